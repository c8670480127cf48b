// Package resourceslice serves resource.k8s.io/v1 resourceslices.
package resourceslice

import (
	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/resource"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the resourceslices resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the storage (cluster-scoped), selectable by node, driver
// and pool as upstream's.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*resourcev1.ResourceSlice](scheme.Scheme, false)
	s.ValidateObject = resource.ValidateResourceSlice
	s.ValidateObjectUpdate = resource.ValidateResourceSliceUpdate
	s.Fields = resource.SliceFields
	strategy.TrackGeneration(s, func(sl *resourcev1.ResourceSlice) interface{} { return sl.Spec })
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   resourcev1.Resource("resourceslices"),
		Singular: resourcev1.Resource("resourceslice"),
		New:      func() runtime.Object { return &resourcev1.ResourceSlice{} },
		NewList:  func() runtime.Object { return &resourcev1.ResourceSliceList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Node", Type: "string", Description: resourcev1.ResourceSliceSpec{}.SwaggerDoc()["nodeName"]},
	{Name: "Driver", Type: "string", Description: resourcev1.ResourceSliceSpec{}.SwaggerDoc()["driver"]},
	{Name: "Pool", Type: "string", Description: resourcev1.ResourcePool{}.SwaggerDoc()["name"]},
	tables.Age,
}, func(sl *resourcev1.ResourceSlice) []interface{} {
	return []interface{}{sl.Name, ptr.Deref(sl.Spec.NodeName, ""), sl.Spec.Driver, sl.Spec.Pool.Name, tables.Since(sl.CreationTimestamp)}
})
