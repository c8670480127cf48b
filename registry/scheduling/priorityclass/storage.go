// Package priorityclass serves scheduling.k8s.io/v1 priorityclasses.
package priorityclass

import (
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/scheduling"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the priorityclasses resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get pc` work.
func (*REST) ShortNames() []string { return []string{"pc"} }

// NewREST returns the storage (cluster-scoped).
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*schedulingv1.PriorityClass](scheme.Scheme, false)
	s.ValidateObject = scheduling.ValidatePriorityClass
	s.ValidateObjectUpdate = scheduling.ValidatePriorityClassUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   schedulingv1.Resource("priorityclasses"),
		Singular: schedulingv1.Resource("priorityclass"),
		New:      func() runtime.Object { return &schedulingv1.PriorityClass{} },
		NewList:  func() runtime.Object { return &schedulingv1.PriorityClassList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Value", Type: "integer", Description: schedulingv1.PriorityClass{}.SwaggerDoc()["value"]},
	{Name: "Global-Default", Type: "boolean", Description: schedulingv1.PriorityClass{}.SwaggerDoc()["globalDefault"]},
	tables.Age,
	{Name: "PreemptionPolicy", Type: "string", Description: schedulingv1.PriorityClass{}.SwaggerDoc()["preemptionPolicy"]},
}, func(pc *schedulingv1.PriorityClass) []interface{} {
	policy := ""
	if pc.PreemptionPolicy != nil {
		policy = string(*pc.PreemptionPolicy)
	}
	return []interface{}{pc.Name, int64(pc.Value), pc.GlobalDefault, tables.Since(pc.CreationTimestamp), policy}
})
