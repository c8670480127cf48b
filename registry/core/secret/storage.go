// Package secret serves core/v1 secrets.
package secret

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

// REST is the secrets resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the secrets storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*corev1.Secret](scheme.Scheme, true)
	s.ValidateObject = core.ValidateSecret
	s.ValidateObjectUpdate = core.ValidateSecretUpdate
	s.Fields = core.SecretFields
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("secrets"),
		Singular: corev1.Resource("secret"),
		New:      func() runtime.Object { return &corev1.Secret{} },
		NewList:  func() runtime.Object { return &corev1.SecretList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Type", Type: "string", Description: corev1.Secret{}.SwaggerDoc()["type"]},
	{Name: "Data", Type: "integer", Description: "The number of keys in data."},
	tables.Age,
}, func(s *corev1.Secret) []interface{} {
	return []interface{}{s.Name, string(s.Type), int64(len(s.Data)), tables.Since(s.CreationTimestamp)}
})
