// Package controllerrevision serves apps/v1 controllerrevisions, the stored
// history of daemon sets (and stateful sets).
package controllerrevision

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/apps"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the controllerrevisions resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the controllerrevisions storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*appsv1.ControllerRevision](scheme.Scheme, true)
	s.ValidateObject = apps.ValidateControllerRevision
	s.ValidateObjectUpdate = apps.ValidateControllerRevisionUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   appsv1.Resource("controllerrevisions"),
		Singular: appsv1.Resource("controllerrevision"),
		New:      func() runtime.Object { return &appsv1.ControllerRevision{} },
		NewList:  func() runtime.Object { return &appsv1.ControllerRevisionList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Controller", Type: "string", Description: "Controller of the object"},
	{Name: "Revision", Type: "integer", Description: appsv1.ControllerRevision{}.SwaggerDoc()["revision"]},
	tables.Age,
}, func(r *appsv1.ControllerRevision) []interface{} {
	controller := "<none>"
	if ref := metav1.GetControllerOf(r); ref != nil {
		gv, _ := schema.ParseGroupVersion(ref.APIVersion)
		controller = schema.GroupKind{Group: gv.Group, Kind: ref.Kind}.String() + "/" + ref.Name
	}
	return []interface{}{r.Name, controller, r.Revision, tables.Since(r.CreationTimestamp)}
})
