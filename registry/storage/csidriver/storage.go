// Package csidriver serves storage.k8s.io/v1 csidrivers.
package csidriver

import (
	"strings"

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

// REST is the csidrivers resource.
type REST struct{ *genericregistry.Store }

var resource = strategy.Resource{
	Plural:   storagev1.Resource("csidrivers"),
	Singular: storagev1.Resource("csidriver"),
	New:      func() runtime.Object { return &storagev1.CSIDriver{} },
	NewList:  func() runtime.Object { return &storagev1.CSIDriverList{} },
	Table:    table,
}

// NewREST returns the storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*storagev1.CSIDriver](scheme.Scheme, false)
	s.ValidateObject = storage.ValidateCSIDriver
	s.ValidateObjectUpdate = storage.ValidateCSIDriverUpdate
	store, err := s.Store(optsGetter, resource)
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "AttachRequired", Type: "boolean", Description: storagev1.CSIDriverSpec{}.SwaggerDoc()["attachRequired"]},
	{Name: "PodInfoOnMount", Type: "boolean", Description: storagev1.CSIDriverSpec{}.SwaggerDoc()["podInfoOnMount"]},
	{Name: "StorageCapacity", Type: "boolean", Description: storagev1.CSIDriverSpec{}.SwaggerDoc()["storageCapacity"]},
	{Name: "TokenRequests", Type: "string", Description: storagev1.CSIDriverSpec{}.SwaggerDoc()["tokenRequests"]},
	{Name: "RequiresRepublish", Type: "boolean", Description: storagev1.CSIDriverSpec{}.SwaggerDoc()["requiresRepublish"]},
	{Name: "Modes", Type: "string", Description: storagev1.CSIDriverSpec{}.SwaggerDoc()["volumeLifecycleModes"]},
	tables.Age,
}, func(o *storagev1.CSIDriver) []interface{} {
	var modes, audiences []string
	for _, m := range o.Spec.VolumeLifecycleModes {
		modes = append(modes, string(m))
	}
	tokens := "<unset>"
	if o.Spec.TokenRequests != nil {
		for _, t := range o.Spec.TokenRequests {
			audiences = append(audiences, t.Audience)
		}
		tokens = strings.Join(audiences, ",")
	}
	modeList := strings.Join(modes, ",")
	if modeList == "" {
		modeList = "<none>"
	}
	return []interface{}{o.Name, ptr.Deref(o.Spec.AttachRequired, true), ptr.Deref(o.Spec.PodInfoOnMount, false), ptr.Deref(o.Spec.StorageCapacity, false),
		tokens, ptr.Deref(o.Spec.RequiresRepublish, false), modeList, tables.Since(o.CreationTimestamp)}
})
