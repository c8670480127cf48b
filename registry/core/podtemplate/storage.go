// Package podtemplate serves core/v1 podtemplates.
package podtemplate

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the podtemplates resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the podtemplates storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*corev1.PodTemplate](scheme.Scheme, true)
	s.ValidateObject = core.ValidatePodTemplate
	s.ValidateObjectUpdate = core.ValidatePodTemplateUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("podtemplates"),
		Singular: corev1.Resource("podtemplate"),
		New:      func() runtime.Object { return &corev1.PodTemplate{} },
		NewList:  func() runtime.Object { return &corev1.PodTemplateList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	{Name: "Template", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
	{Name: "Containers", Type: "string", Description: "Names of each container in the template."},
	{Name: "Images", Type: "string", Description: "Images referenced by each container in the template."},
	{Name: "Pod Labels", Type: "string", Description: "The labels for the pod template."},
}, func(t *corev1.PodTemplate) []interface{} {
	names, images := tables.Containers(&t.Template.Spec)
	return []interface{}{t.Name, names, images, labels.FormatLabels(t.Template.Labels)}
})
