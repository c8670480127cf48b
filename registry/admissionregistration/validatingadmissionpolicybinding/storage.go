// Package validatingadmissionpolicybinding serves
// admissionregistration.k8s.io/v1 validatingadmissionpolicybindings, which
// apply a policy to a scope, with parameters and validation actions.
package validatingadmissionpolicybinding

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

// REST is the validatingadmissionpolicybindings resource.
type REST struct{ *genericregistry.Store }

// Categories puts the kind in `kubectl get api-extensions`, as upstream.
func (*REST) Categories() []string { return []string{"api-extensions"} }

// NewREST returns the storage (cluster-scoped); the generation moves with
// the spec.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*admissionregistrationv1.ValidatingAdmissionPolicyBinding](scheme.Scheme, false)
	s.ValidateObject = admissionregistration.ValidateValidatingAdmissionPolicyBinding
	s.ValidateObjectUpdate = admissionregistration.ValidateValidatingAdmissionPolicyBindingUpdate
	strategy.TrackGeneration(s, func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) interface{} { return b.Spec })
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   admissionregistrationv1.Resource("validatingadmissionpolicybindings"),
		Singular: admissionregistrationv1.Resource("validatingadmissionpolicybinding"),
		New:      func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{} },
		NewList:  func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "PolicyName", Type: "string", Description: "PolicyName indicates the policy definition which the policy binding binded to"},
	{Name: "ParamRef", Type: "string", Description: "ParamRef indicates the param resource which sets the configuration param"},
	tables.Age,
}, func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) []interface{} {
	return []interface{}{b.Name, b.Spec.PolicyName, admissionregistration.ParamRefColumn(b.Spec.ParamRef), tables.Since(b.CreationTimestamp)}
})
