// Package runtimeclass serves node.k8s.io/v1 runtimeclasses.
package runtimeclass

import (
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/node"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the runtimeclasses resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the storage (cluster-scoped).
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*nodev1.RuntimeClass](scheme.Scheme, false)
	s.ValidateObject = node.ValidateRuntimeClass
	s.ValidateObjectUpdate = node.ValidateRuntimeClassUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   nodev1.Resource("runtimeclasses"),
		Singular: nodev1.Resource("runtimeclass"),
		New:      func() runtime.Object { return &nodev1.RuntimeClass{} },
		NewList:  func() runtime.Object { return &nodev1.RuntimeClassList{} },
		Table: tables.New([]metav1.TableColumnDefinition{
			tables.Name,
			{Name: "Handler", Type: "string", Description: nodev1.RuntimeClass{}.SwaggerDoc()["handler"]},
			tables.Age,
		}, func(rc *nodev1.RuntimeClass) []interface{} {
			return []interface{}{rc.Name, rc.Handler, tables.Since(rc.CreationTimestamp)}
		}),
	})
	return &REST{store}, err
}
