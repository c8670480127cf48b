// Package ingressclass serves networking.k8s.io/v1 ingressclasses.
package ingressclass

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/networking"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the ingressclasses resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the ingressclasses storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*networkingv1.IngressClass](scheme.Scheme, false)
	s.ValidateObject = networking.ValidateIngressClass
	s.ValidateObjectUpdate = networking.ValidateIngressClassUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   networkingv1.Resource("ingressclasses"),
		Singular: networkingv1.Resource("ingressclass"),
		New:      func() runtime.Object { return &networkingv1.IngressClass{} },
		NewList:  func() runtime.Object { return &networkingv1.IngressClassList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Controller", Type: "string", Description: "Controller that is responsible for handling this class"},
	{Name: "Parameters", Type: "string", Description: "A reference to a resource with additional parameters"},
	tables.Age,
}, func(ic *networkingv1.IngressClass) []interface{} {
	params := "<none>"
	if p := ic.Spec.Parameters; p != nil {
		group := ""
		if p.APIGroup != nil {
			group = "." + *p.APIGroup
		}
		params = fmt.Sprintf("%s%s/%s", p.Kind, group, p.Name)
	}
	return []interface{}{ic.Name, ic.Spec.Controller, params, tables.Since(ic.CreationTimestamp)}
})
