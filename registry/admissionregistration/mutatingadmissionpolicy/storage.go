// Package mutatingadmissionpolicy serves admissionregistration.k8s.io/v1
// mutatingadmissionpolicies, the CEL patches the MutatingAdmissionPolicy
// plugin applies once a binding applies them.
package mutatingadmissionpolicy

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

// REST is the mutatingadmissionpolicies resource.
type REST struct{ *genericregistry.Store }

// Categories puts the kind in `kubectl get api-extensions`, as upstream.
func (*REST) Categories() []string { return []string{"api-extensions"} }

// NewREST returns the storage (cluster-scoped); the generation moves with
// the spec.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*admissionregistrationv1.MutatingAdmissionPolicy](scheme.Scheme, false)
	s.ValidateObject = admissionregistration.ValidateMutatingAdmissionPolicy
	s.ValidateObjectUpdate = admissionregistration.ValidateMutatingAdmissionPolicyUpdate
	strategy.TrackGeneration(s, func(p *admissionregistrationv1.MutatingAdmissionPolicy) interface{} { return p.Spec })
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   admissionregistrationv1.Resource("mutatingadmissionpolicies"),
		Singular: admissionregistrationv1.Resource("mutatingadmissionpolicy"),
		New:      func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicy{} },
		NewList:  func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Mutations", Type: "integer", Description: "Mutation indicates the number of mutations rules defined in this configuration"},
	{Name: "ParamKind", Type: "string", Description: "ParamKind specifies the kind of resources used to parameterize this policy"},
	tables.Age,
}, func(p *admissionregistrationv1.MutatingAdmissionPolicy) []interface{} {
	return []interface{}{p.Name, int64(len(p.Spec.Mutations)), admissionregistration.ParamKindColumn(p.Spec.ParamKind), tables.Since(p.CreationTimestamp)}
})
