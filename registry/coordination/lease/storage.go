// Package lease serves coordination.k8s.io/v1 leases.
package lease

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/coordination"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the leases resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the leases storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*coordinationv1.Lease](scheme.Scheme, true)
	s.ValidateObject = coordination.ValidateLease
	s.ValidateObjectUpdate = coordination.ValidateLeaseUpdate
	s.CreateOnUpdate = true
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   coordinationv1.Resource("leases"),
		Singular: coordinationv1.Resource("lease"),
		New:      func() runtime.Object { return &coordinationv1.Lease{} },
		NewList:  func() runtime.Object { return &coordinationv1.LeaseList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Holder", Type: "string", Description: coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]},
	tables.Age,
}, func(l *coordinationv1.Lease) []interface{} {
	holder := ""
	if l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	return []interface{}{l.Name, holder, tables.Since(l.CreationTimestamp)}
})
