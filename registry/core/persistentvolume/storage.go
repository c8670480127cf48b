// Package persistentvolume serves core/v1 persistentvolumes with their
// status subresource.
package persistentvolume

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

// REST is the persistentvolumes resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get pv` work.
func (*REST) ShortNames() []string { return []string{"pv"} }

// NewREST returns the persistentvolumes storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*corev1.PersistentVolume](scheme.Scheme, false)
	s.ValidateObject = core.ValidatePersistentVolume
	s.ValidateObjectUpdate = core.ValidatePersistentVolumeUpdate
	status := s.SplitStatus("v1", false)
	status.ValidateObjectUpdate = core.ValidatePersistentVolumeStatusUpdate
	s.PrepareCreate = func(pv *corev1.PersistentVolume) {
		pv.Status = corev1.PersistentVolumeStatus{Phase: corev1.VolumePending, LastPhaseTransitionTime: ptrNow()}
	}
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("persistentvolumes"),
		Singular: corev1.Resource("persistentvolume"),
		New:      func() runtime.Object { return &corev1.PersistentVolume{} },
		NewList:  func() runtime.Object { return &corev1.PersistentVolumeList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

func ptrNow() *metav1.Time {
	now := metav1.Now()
	return &now
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Capacity", Type: "string", Description: corev1.PersistentVolumeSpec{}.SwaggerDoc()["capacity"]},
	{Name: "Access Modes", Type: "string", Description: corev1.PersistentVolumeSpec{}.SwaggerDoc()["accessModes"]},
	{Name: "Reclaim Policy", Type: "string", Description: corev1.PersistentVolumeSpec{}.SwaggerDoc()["persistentVolumeReclaimPolicy"]},
	{Name: "Status", Type: "string", Description: corev1.PersistentVolumeStatus{}.SwaggerDoc()["phase"]},
	{Name: "Claim", Type: "string", Description: corev1.PersistentVolumeSpec{}.SwaggerDoc()["claimRef"]},
	{Name: "StorageClass", Type: "string", Description: "StorageClass of the pv"},
	{Name: "VolumeAttributesClass", Type: "string", Description: "VolumeAttributesClass of the pv"},
	{Name: "Reason", Type: "string", Description: corev1.PersistentVolumeStatus{}.SwaggerDoc()["reason"]},
	tables.Age,
	{Name: "VolumeMode", Type: "string", Priority: 1, Description: corev1.PersistentVolumeSpec{}.SwaggerDoc()["volumeMode"]},
}, func(pv *corev1.PersistentVolume) []interface{} {
	claim := ""
	if ref := pv.Spec.ClaimRef; ref != nil {
		claim = ref.Namespace + "/" + ref.Name
	}
	capacity := pv.Spec.Capacity[corev1.ResourceStorage]
	return []interface{}{pv.Name, capacity.String(), tables.AccessModes(pv.Spec.AccessModes), string(pv.Spec.PersistentVolumeReclaimPolicy),
		string(pv.Status.Phase), claim, pv.Spec.StorageClassName, tables.OrUnset(pv.Spec.VolumeAttributesClassName),
		pv.Status.Reason, tables.Since(pv.CreationTimestamp), tables.VolumeMode(pv.Spec.VolumeMode)}
})
