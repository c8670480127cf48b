// Package validatingwebhookconfiguration serves
// admissionregistration.k8s.io/v1 validatingwebhookconfigurations, which
// the ValidatingAdmissionWebhook plugin calls.
package validatingwebhookconfiguration

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

// REST is the validatingwebhookconfigurations resource.
type REST struct{ *genericregistry.Store }

// Categories puts the kind in `kubectl get api-extensions`, as upstream.
func (*REST) Categories() []string { return []string{"api-extensions"} }

// NewREST returns the storage (cluster-scoped); the generation moves with
// the webhooks.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*admissionregistrationv1.ValidatingWebhookConfiguration](scheme.Scheme, false)
	s.ValidateObject = admissionregistration.ValidateValidatingWebhookConfiguration
	s.ValidateObjectUpdate = admissionregistration.ValidateValidatingWebhookConfigurationUpdate
	strategy.TrackGeneration(s, func(c *admissionregistrationv1.ValidatingWebhookConfiguration) interface{} { return c.Webhooks })
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   admissionregistrationv1.Resource("validatingwebhookconfigurations"),
		Singular: admissionregistrationv1.Resource("validatingwebhookconfiguration"),
		New:      func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
		NewList:  func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfigurationList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Webhooks", Type: "integer", Description: "Webhooks indicates the number of webhooks registered in this configuration"},
	tables.Age,
}, func(c *admissionregistrationv1.ValidatingWebhookConfiguration) []interface{} {
	return []interface{}{c.Name, int64(len(c.Webhooks)), tables.Since(c.CreationTimestamp)}
})
