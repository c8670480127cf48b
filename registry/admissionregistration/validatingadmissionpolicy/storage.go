// Package validatingadmissionpolicy serves admissionregistration.k8s.io/v1
// validatingadmissionpolicies, the CEL rules the ValidatingAdmissionPolicy
// plugin checks requests against once a binding applies them.
package validatingadmissionpolicy

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

// REST is the validatingadmissionpolicies resource.
type REST struct{ *genericregistry.Store }

// Categories puts the kind in `kubectl get api-extensions`, as upstream.
func (*REST) Categories() []string { return []string{"api-extensions"} }

// NewREST returns the storage (cluster-scoped) and its status subresource,
// where type checking reports; the generation moves with the spec.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*admissionregistrationv1.ValidatingAdmissionPolicy](scheme.Scheme, false)
	s.ValidateObject = admissionregistration.ValidateValidatingAdmissionPolicy
	s.ValidateObjectUpdate = admissionregistration.ValidateValidatingAdmissionPolicyUpdate
	status := s.SplitStatus("admissionregistration.k8s.io/v1", true)
	status.ValidateObjectUpdate = admissionregistration.ValidateValidatingAdmissionPolicyStatus
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   admissionregistrationv1.Resource("validatingadmissionpolicies"),
		Singular: admissionregistrationv1.Resource("validatingadmissionpolicy"),
		New:      func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicy{} },
		NewList:  func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Validations", Type: "integer", Description: "Validations indicates the number of validation rules defined in this configuration"},
	{Name: "ParamKind", Type: "string", Description: "ParamKind specifies the kind of resources used to parameterize this policy"},
	tables.Age,
}, func(p *admissionregistrationv1.ValidatingAdmissionPolicy) []interface{} {
	return []interface{}{p.Name, int64(len(p.Spec.Validations)), admissionregistration.ParamKindColumn(p.Spec.ParamKind), tables.Since(p.CreationTimestamp)}
})
