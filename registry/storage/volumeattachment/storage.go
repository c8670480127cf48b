// Package volumeattachment serves storage.k8s.io/v1 volumeattachments.
package volumeattachment

import (
	storagev1 "k8s.io/api/storage/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/apis/storage"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the volumeattachments resource.
type REST struct{ *genericregistry.Store }

var resource = strategy.Resource{
	Plural:   storagev1.Resource("volumeattachments"),
	Singular: storagev1.Resource("volumeattachment"),
	New:      func() runtime.Object { return &storagev1.VolumeAttachment{} },
	NewList:  func() runtime.Object { return &storagev1.VolumeAttachmentList{} },
	Table:    table,
}

// NewREST returns the storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*storagev1.VolumeAttachment](scheme.Scheme, false)
	s.ValidateObject = storage.ValidateVolumeAttachment
	s.ValidateObjectUpdate = storage.ValidateVolumeAttachmentUpdate
	status := s.SplitStatus("storage.k8s.io/v1", false)
	status.ValidateObjectUpdate = func(o, old *storagev1.VolumeAttachment) field.ErrorList {
		return apimachineryvalidation.ValidateObjectMetaUpdate(&o.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	}
	store, err := s.Store(optsGetter, resource)
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Attacher", Type: "string", Format: "name", Description: storagev1.VolumeAttachmentSpec{}.SwaggerDoc()["attacher"]},
	{Name: "PV", Type: "string", Description: storagev1.VolumeAttachmentSource{}.SwaggerDoc()["persistentVolumeName"]},
	{Name: "Node", Type: "string", Description: storagev1.VolumeAttachmentSpec{}.SwaggerDoc()["nodeName"]},
	{Name: "Attached", Type: "boolean", Description: storagev1.VolumeAttachmentStatus{}.SwaggerDoc()["attached"]},
	tables.Age,
}, func(o *storagev1.VolumeAttachment) []interface{} {
	return []interface{}{o.Name, o.Spec.Attacher, ptr.Deref(o.Spec.Source.PersistentVolumeName, ""), o.Spec.NodeName, o.Status.Attached, tables.Since(o.CreationTimestamp)}
})
