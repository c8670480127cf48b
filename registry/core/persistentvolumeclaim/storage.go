// Package persistentvolumeclaim serves core/v1 persistentvolumeclaims with
// their status subresource.
package persistentvolumeclaim

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the persistentvolumeclaims resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get pvc` work.
func (*REST) ShortNames() []string { return []string{"pvc"} }

// NewREST returns the persistentvolumeclaims storage and its status
// subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*corev1.PersistentVolumeClaim](scheme.Scheme, true)
	s.ValidateObject = core.ValidatePersistentVolumeClaim
	s.ValidateObjectUpdate = core.ValidatePersistentVolumeClaimUpdate
	status := s.SplitStatus("v1", false)
	status.ValidateObjectUpdate = core.ValidatePersistentVolumeClaimStatusUpdate
	s.PrepareCreate = func(pvc *corev1.PersistentVolumeClaim) {
		pvc.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}
	}
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("persistentvolumeclaims"),
		Singular: corev1.Resource("persistentvolumeclaim"),
		New:      func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
		NewList:  func() runtime.Object { return &corev1.PersistentVolumeClaimList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Status", Type: "string", Description: corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["phase"]},
	{Name: "Volume", Type: "string", Description: corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeName"]},
	{Name: "Capacity", Type: "string", Description: corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["capacity"]},
	{Name: "Access Modes", Type: "string", Description: corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["accessModes"]},
	{Name: "StorageClass", Type: "string", Description: "StorageClass of the pvc"},
	{Name: "VolumeAttributesClass", Type: "string", Description: "VolumeAttributesClass of the pvc"},
	tables.Age,
	{Name: "VolumeMode", Type: "string", Priority: 1, Description: corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeMode"]},
}, func(pvc *corev1.PersistentVolumeClaim) []interface{} {
	capacity, modes := "", ""
	if pvc.Spec.VolumeName != "" {
		storage := pvc.Status.Capacity[corev1.ResourceStorage]
		capacity, modes = storage.String(), tables.AccessModes(pvc.Status.AccessModes)
	}
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	return []interface{}{pvc.Name, string(pvc.Status.Phase), pvc.Spec.VolumeName, capacity, modes, class,
		tables.OrUnset(pvc.Spec.VolumeAttributesClassName), tables.Since(pvc.CreationTimestamp), tables.VolumeMode(pvc.Spec.VolumeMode)}
})
