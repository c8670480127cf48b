// Package resourceclaim serves resource.k8s.io/v1 resourceclaims and their
// status, which the scheduler (allocation, reservations) and drivers write.
package resourceclaim

import (
	"strings"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/resource"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the resourceclaims resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the storage (namespaced) and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*resourcev1.ResourceClaim](scheme.Scheme, true)
	s.ValidateObject = resource.ValidateResourceClaim
	s.ValidateObjectUpdate = resource.ValidateResourceClaimUpdate
	status := s.SplitStatus("resource.k8s.io/v1", false)
	status.ValidateObjectUpdate = resource.ValidateResourceClaimStatusUpdate
	status.SetStatusMetadata(strategy.StatusKeepsNoMetadata)
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   resourcev1.Resource("resourceclaims"),
		Singular: resourcev1.Resource("resourceclaim"),
		New:      func() runtime.Object { return &resourcev1.ResourceClaim{} },
		NewList:  func() runtime.Object { return &resourcev1.ResourceClaimList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "State", Type: "string", Description: "A summary of the current state (allocated, pending, reserved, etc.)."},
	tables.Age,
}, func(c *resourcev1.ResourceClaim) []interface{} {
	return []interface{}{c.Name, State(c), tables.Since(c.CreationTimestamp)}
})

// State is the claim's STATE column, upstream's summary: pending until
// allocated, reserved while a consumer holds it, deleted once deletion
// was asked for.
func State(c *resourcev1.ResourceClaim) string {
	var states []string
	if c.DeletionTimestamp != nil {
		states = append(states, "deleted")
	}
	switch {
	case c.Status.Allocation != nil:
		states = append(states, "allocated")
		if len(c.Status.ReservedFor) > 0 {
			states = append(states, "reserved")
		}
	case c.DeletionTimestamp == nil:
		states = append(states, "pending")
	}
	return strings.Join(states, ",")
}
