// Package podcertificaterequest serves certificates.k8s.io/v1
// podcertificaterequests, which kubelets make for the podCertificate
// projected volumes of their pods and signers answer through status.
package podcertificaterequest

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/certificates"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the podcertificaterequests resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the storage (namespaced) and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*certificatesv1.PodCertificateRequest](scheme.Scheme, true)
	s.ValidateObject = certificates.ValidatePodCertificateRequest
	s.ValidateObjectUpdate = certificates.ValidatePodCertificateRequestUpdate
	s.Fields = certificates.PodCertificateRequestFields
	status := s.SplitStatus("certificates.k8s.io/v1", false)
	status.ValidateObjectUpdate = certificates.ValidatePodCertificateRequestStatusUpdate
	status.SetStatusMetadata(strategy.StatusKeepsNoMetadata)
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   certificatesv1.Resource("podcertificaterequests"),
		Singular: certificatesv1.Resource("podcertificaterequest"),
		New:      func() runtime.Object { return &certificatesv1.PodCertificateRequest{} },
		NewList:  func() runtime.Object { return &certificatesv1.PodCertificateRequestList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "PodName", Type: "string", Description: certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["podName"]},
	{Name: "ServiceAccountName", Type: "string", Description: certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["serviceAccountName"]},
	{Name: "NodeName", Type: "string", Description: certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["nodeName"]},
	{Name: "SignerName", Type: "string", Description: certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["signerName"]},
	{Name: "State", Type: "string", Description: "Is the request Pending, Issued, Denied, or Failed?"},
	{Name: "UnverifiedUserAnnotations", Type: "string", Priority: 1, Description: certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["unverifiedUserAnnotations"]},
}, func(r *certificatesv1.PodCertificateRequest) []interface{} {
	state := "Pending"
	for _, c := range r.Status.Conditions {
		switch c.Type {
		case certificatesv1.PodCertificateRequestConditionTypeIssued, certificatesv1.PodCertificateRequestConditionTypeDenied,
			certificatesv1.PodCertificateRequestConditionTypeFailed:
			state = c.Type
		}
	}
	return []interface{}{r.Name, r.Spec.PodName, r.Spec.ServiceAccountName, string(r.Spec.NodeName), r.Spec.SignerName, state,
		labels.FormatLabels(r.Spec.UnverifiedUserAnnotations)}
})
