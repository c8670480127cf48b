package registry

import (
	"context"

	policyv1 "k8s.io/api/policy/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kybernetes/kybernetes/registry/policy/poddisruptionbudget"
	"github.com/kybernetes/kybernetes/registry/strategy"
)

// budgets gives pods/eviction the PodDisruptionBudgets from their own
// storage, in the request's context (its user, for the audit trail).
type budgets struct {
	store  *poddisruptionbudget.REST
	status *strategy.StatusREST
}

func (b budgets) List(ctx context.Context, namespace string) ([]policyv1.PodDisruptionBudget, error) {
	obj, err := b.store.List(genericapirequest.WithNamespace(ctx, namespace), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*policyv1.PodDisruptionBudgetList).Items, nil
}

func (b budgets) Get(ctx context.Context, namespace, name string) (*policyv1.PodDisruptionBudget, error) {
	obj, err := b.store.Get(genericapirequest.WithNamespace(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*policyv1.PodDisruptionBudget), nil
}

// UpdateStatus writes pdb's status, conflicting when it changed since it
// was read.
func (b budgets) UpdateStatus(ctx context.Context, pdb *policyv1.PodDisruptionBudget) error {
	_, _, err := b.status.Update(genericapirequest.WithNamespace(ctx, pdb.Namespace), pdb.Name, rest.DefaultUpdatedObjectInfo(pdb),
		rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
	return err
}
