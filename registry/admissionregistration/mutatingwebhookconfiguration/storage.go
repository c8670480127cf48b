// Package mutatingwebhookconfiguration serves
// admissionregistration.k8s.io/v1 mutatingwebhookconfigurations, which
// the MutatingAdmissionWebhook plugin calls.
package mutatingwebhookconfiguration

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/admissionregistration"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the mutatingwebhookconfigurations resource.
type REST struct{ *genericregistry.Store }

// Categories puts the kind in `kubectl get api-extensions`, as upstream.
func (*REST) Categories() []string { return []string{"api-extensions"} }

// NewREST returns the storage (cluster-scoped); the generation moves with
// the webhooks.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*admissionregistrationv1.MutatingWebhookConfiguration](scheme.Scheme, false)
	s.ValidateObject = admissionregistration.ValidateMutatingWebhookConfiguration
	s.ValidateObjectUpdate = admissionregistration.ValidateMutatingWebhookConfigurationUpdate
	strategy.TrackGeneration(s, func(c *admissionregistrationv1.MutatingWebhookConfiguration) interface{} { return c.Webhooks })
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   admissionregistrationv1.Resource("mutatingwebhookconfigurations"),
		Singular: admissionregistrationv1.Resource("mutatingwebhookconfiguration"),
		New:      func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfiguration{} },
		NewList:  func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfigurationList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Webhooks", Type: "integer", Description: "Webhooks indicates the number of webhooks registered in this configuration"},
	tables.Age,
}, func(c *admissionregistrationv1.MutatingWebhookConfiguration) []interface{} {
	return []interface{}{c.Name, int64(len(c.Webhooks)), tables.Since(c.CreationTimestamp)}
})
