// Package configmap serves core/v1 configmaps.
package configmap

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

// REST is the configmaps resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get cm` work.
func (*REST) ShortNames() []string { return []string{"cm"} }

// NewREST returns the configmaps storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*corev1.ConfigMap](scheme.Scheme, true)
	s.ValidateObject = core.ValidateConfigMap
	s.ValidateObjectUpdate = core.ValidateConfigMapUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("configmaps"),
		Singular: corev1.Resource("configmap"),
		New:      func() runtime.Object { return &corev1.ConfigMap{} },
		NewList:  func() runtime.Object { return &corev1.ConfigMapList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Data", Type: "integer", Description: "The number of keys in data and binaryData."},
	tables.Age,
}, func(cm *corev1.ConfigMap) []interface{} {
	return []interface{}{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), tables.Since(cm.CreationTimestamp)}
})
