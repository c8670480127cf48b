// Package serviceaccount serves core/v1 serviceaccounts.
package serviceaccount

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

// REST is the serviceaccounts resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get sa` work.
func (*REST) ShortNames() []string { return []string{"sa"} }

// NewREST returns the serviceaccounts storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*corev1.ServiceAccount](scheme.Scheme, true)
	s.ValidateObject = core.ValidateServiceAccount
	s.ValidateObjectUpdate = core.ValidateServiceAccountUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("serviceaccounts"),
		Singular: corev1.Resource("serviceaccount"),
		New:      func() runtime.Object { return &corev1.ServiceAccount{} },
		NewList:  func() runtime.Object { return &corev1.ServiceAccountList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	tables.Age,
}, func(sa *corev1.ServiceAccount) []interface{} {
	return []interface{}{sa.Name, tables.Since(sa.CreationTimestamp)}
})
