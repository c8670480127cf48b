// Package poddisruptionbudget serves policy/v1 poddisruptionbudgets.
package poddisruptionbudget

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/policy"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the poddisruptionbudgets resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get pdb` work.
func (*REST) ShortNames() []string { return []string{"pdb"} }

// NewREST returns the storage and its status subresource. The generation
// moves with the spec: an eviction waits until the disruption controller
// has seen the current one.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*policyv1.PodDisruptionBudget](scheme.Scheme, true)
	s.ValidateObject = policy.ValidatePodDisruptionBudget
	s.ValidateObjectUpdate = policy.ValidatePodDisruptionBudgetUpdate
	status := s.SplitStatus("policy/v1", true)
	status.ValidateObjectUpdate = policy.ValidatePodDisruptionBudgetStatusUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   policyv1.Resource("poddisruptionbudgets"),
		Singular: policyv1.Resource("poddisruptionbudget"),
		New:      func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
		NewList:  func() runtime.Object { return &policyv1.PodDisruptionBudgetList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Min Available", Type: "string", Description: policyv1.PodDisruptionBudgetSpec{}.SwaggerDoc()["minAvailable"]},
	{Name: "Max Unavailable", Type: "string", Description: policyv1.PodDisruptionBudgetSpec{}.SwaggerDoc()["maxUnavailable"]},
	{Name: "Allowed Disruptions", Type: "integer", Description: policyv1.PodDisruptionBudgetStatus{}.SwaggerDoc()["disruptionsAllowed"]},
	tables.Age,
}, func(pdb *policyv1.PodDisruptionBudget) []interface{} {
	minAvailable, maxUnavailable := "N/A", "N/A"
	if pdb.Spec.MinAvailable != nil {
		minAvailable = pdb.Spec.MinAvailable.String()
	}
	if pdb.Spec.MaxUnavailable != nil {
		maxUnavailable = pdb.Spec.MaxUnavailable.String()
	}
	return []interface{}{pdb.Name, minAvailable, maxUnavailable, int64(pdb.Status.DisruptionsAllowed), tables.Since(pdb.CreationTimestamp)}
})
