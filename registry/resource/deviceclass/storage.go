// Package deviceclass serves resource.k8s.io/v1 deviceclasses.
package deviceclass

import (
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

// REST is the deviceclasses resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the storage (cluster-scoped). A class's spec may change:
// allocations already made keep what they got.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*resourcev1.DeviceClass](scheme.Scheme, false)
	s.ValidateObject = resource.ValidateDeviceClass
	s.ValidateObjectUpdate = resource.ValidateDeviceClassUpdate
	strategy.TrackGeneration(s, func(c *resourcev1.DeviceClass) interface{} { return c.Spec })
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   resourcev1.Resource("deviceclasses"),
		Singular: resourcev1.Resource("deviceclass"),
		New:      func() runtime.Object { return &resourcev1.DeviceClass{} },
		NewList:  func() runtime.Object { return &resourcev1.DeviceClassList{} },
		Table: tables.New([]metav1.TableColumnDefinition{tables.Name, tables.Age}, func(c *resourcev1.DeviceClass) []interface{} {
			return []interface{}{c.Name, tables.Since(c.CreationTimestamp)}
		}),
	})
	return &REST{store}, err
}
