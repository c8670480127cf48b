// Package clustertrustbundle serves certificates.k8s.io/v1
// clustertrustbundles: CA certificates a signer publishes for the
// workloads that trust it.
package clustertrustbundle

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/certificates"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the clustertrustbundles resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the storage (cluster-scoped), selectable by signer.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*certificatesv1.ClusterTrustBundle](scheme.Scheme, false)
	s.ValidateObject = certificates.ValidateClusterTrustBundle
	s.ValidateObjectUpdate = certificates.ValidateClusterTrustBundleUpdate
	s.Fields = certificates.ClusterTrustBundleFields
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   certificatesv1.Resource("clustertrustbundles"),
		Singular: certificatesv1.Resource("clustertrustbundle"),
		New:      func() runtime.Object { return &certificatesv1.ClusterTrustBundle{} },
		NewList:  func() runtime.Object { return &certificatesv1.ClusterTrustBundleList{} },
		Table: tables.New([]metav1.TableColumnDefinition{
			tables.Name,
			{Name: "SignerName", Type: "string", Description: certificatesv1.ClusterTrustBundleSpec{}.SwaggerDoc()["signerName"]},
		}, func(b *certificatesv1.ClusterTrustBundle) []interface{} {
			signer := b.Spec.SignerName
			if signer == "" {
				signer = "<none>"
			}
			return []interface{}{b.Name, signer}
		}),
	})
	return &REST{store}, err
}
