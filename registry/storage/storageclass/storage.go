// Package storageclass serves storage.k8s.io/v1 storageclasses.
package storageclass

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/apis/storage"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the storageclasses resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get sc` work.
func (*REST) ShortNames() []string { return []string{"sc"} }

var resource = strategy.Resource{
	Plural:   storagev1.Resource("storageclasses"),
	Singular: storagev1.Resource("storageclass"),
	New:      func() runtime.Object { return &storagev1.StorageClass{} },
	NewList:  func() runtime.Object { return &storagev1.StorageClassList{} },
	Table:    table,
}

// NewREST returns the storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*storagev1.StorageClass](scheme.Scheme, false)
	s.ValidateObject = storage.ValidateStorageClass
	s.ValidateObjectUpdate = storage.ValidateStorageClassUpdate
	store, err := s.Store(optsGetter, resource)
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Provisioner", Type: "string", Description: storagev1.StorageClass{}.SwaggerDoc()["provisioner"]},
	{Name: "ReclaimPolicy", Type: "string", Description: storagev1.StorageClass{}.SwaggerDoc()["reclaimPolicy"]},
	{Name: "VolumeBindingMode", Type: "string", Description: storagev1.StorageClass{}.SwaggerDoc()["volumeBindingMode"]},
	{Name: "AllowVolumeExpansion", Type: "string", Description: storagev1.StorageClass{}.SwaggerDoc()["allowVolumeExpansion"]},
	tables.Age,
}, func(o *storagev1.StorageClass) []interface{} {
	name := o.Name
	// One object's row cannot know whether a newer default exists; the
	// annotation alone marks it, as upstream's single-object print.
	if o.Annotations[storage.IsDefaultAnnotation] == "true" {
		name += " (default)"
	}
	reclaim, binding := string(corev1.PersistentVolumeReclaimDelete), string(storagev1.VolumeBindingImmediate)
	if o.ReclaimPolicy != nil {
		reclaim = string(*o.ReclaimPolicy)
	}
	if o.VolumeBindingMode != nil {
		binding = string(*o.VolumeBindingMode)
	}
	return []interface{}{name, o.Provisioner, reclaim, binding, ptr.Deref(o.AllowVolumeExpansion, false), tables.Since(o.CreationTimestamp)}
})
