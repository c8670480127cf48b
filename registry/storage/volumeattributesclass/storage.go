// Package volumeattributesclass serves storage.k8s.io/v1 volumeattributesclasses.
package volumeattributesclass

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

// REST is the volumeattributesclasses resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get vac` work.
func (*REST) ShortNames() []string { return []string{"vac"} }

var resource = strategy.Resource{
	Plural:   storagev1.Resource("volumeattributesclasses"),
	Singular: storagev1.Resource("volumeattributesclass"),
	New:      func() runtime.Object { return &storagev1.VolumeAttributesClass{} },
	NewList:  func() runtime.Object { return &storagev1.VolumeAttributesClassList{} },
	Table:    table,
}

// NewREST returns the storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*storagev1.VolumeAttributesClass](scheme.Scheme, false)
	s.ValidateObject = storage.ValidateVolumeAttributesClass
	s.ValidateObjectUpdate = storage.ValidateVolumeAttributesClassUpdate
	store, err := s.Store(optsGetter, resource)
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "DriverName", Type: "string", Description: storagev1.VolumeAttributesClass{}.SwaggerDoc()["driverName"]},
	tables.Age,
}, func(o *storagev1.VolumeAttributesClass) []interface{} {
	return []interface{}{o.Name, o.DriverName, tables.Since(o.CreationTimestamp)}
})
