// Package csistoragecapacity serves storage.k8s.io/v1 csistoragecapacities.
package csistoragecapacity

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

// REST is the csistoragecapacities resource.
type REST struct{ *genericregistry.Store }

var resource = strategy.Resource{
	Plural:   storagev1.Resource("csistoragecapacities"),
	Singular: storagev1.Resource("csistoragecapacity"),
	New:      func() runtime.Object { return &storagev1.CSIStorageCapacity{} },
	NewList:  func() runtime.Object { return &storagev1.CSIStorageCapacityList{} },
	Table:    table,
}

// NewREST returns the storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*storagev1.CSIStorageCapacity](scheme.Scheme, true)
	s.ValidateObject = storage.ValidateCSIStorageCapacity
	s.ValidateObjectUpdate = storage.ValidateCSIStorageCapacityUpdate
	store, err := s.Store(optsGetter, resource)
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "StorageClassName", Type: "string", Description: storagev1.CSIStorageCapacity{}.SwaggerDoc()["storageClassName"]},
	{Name: "Capacity", Type: "string", Description: storagev1.CSIStorageCapacity{}.SwaggerDoc()["capacity"]},
}, func(o *storagev1.CSIStorageCapacity) []interface{} {
	capacity := "<unset>"
	if o.Capacity != nil {
		capacity = o.Capacity.String()
	}
	return []interface{}{o.Name, o.StorageClassName, capacity}
})
