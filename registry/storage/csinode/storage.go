// Package csinode serves storage.k8s.io/v1 csinodes.
package csinode

import (
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/apis/storage"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the csinodes resource.
type REST struct{ *genericregistry.Store }

var resource = strategy.Resource{
	Plural:   storagev1.Resource("csinodes"),
	Singular: storagev1.Resource("csinode"),
	New:      func() runtime.Object { return &storagev1.CSINode{} },
	NewList:  func() runtime.Object { return &storagev1.CSINodeList{} },
	Table:    table,
}

// NewREST returns the storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*storagev1.CSINode](scheme.Scheme, false)
	s.ValidateObject = storage.ValidateCSINode
	s.ValidateObjectUpdate = storage.ValidateCSINodeUpdate
	store, err := s.Store(optsGetter, resource)
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Drivers", Type: "integer", Description: "Drivers indicates the number of CSI drivers registered on the node"},
	tables.Age,
}, func(o *storagev1.CSINode) []interface{} {
	return []interface{}{o.Name, int64(len(o.Spec.Drivers)), tables.Since(o.CreationTimestamp)}
})
