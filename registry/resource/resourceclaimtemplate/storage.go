// Package resourceclaimtemplate serves resource.k8s.io/v1
// resourceclaimtemplates.
package resourceclaimtemplate

import (
	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/resource"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the resourceclaimtemplates resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the storage (namespaced).
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*resourcev1.ResourceClaimTemplate](scheme.Scheme, true)
	s.ValidateObject = resource.ValidateResourceClaimTemplate
	s.ValidateObjectUpdate = resource.ValidateResourceClaimTemplateUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   resourcev1.Resource("resourceclaimtemplates"),
		Singular: resourcev1.Resource("resourceclaimtemplate"),
		New:      func() runtime.Object { return &resourcev1.ResourceClaimTemplate{} },
		NewList:  func() runtime.Object { return &resourcev1.ResourceClaimTemplateList{} },
		Table: tables.New([]metav1.TableColumnDefinition{tables.Name, tables.Age}, func(t *resourcev1.ResourceClaimTemplate) []interface{} {
			return []interface{}{t.Name, tables.Since(t.CreationTimestamp)}
		}),
	})
	return &REST{store}, err
}
