// Package endpointslice serves discovery.k8s.io/v1 endpointslices.
package endpointslice

import (
	"fmt"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/discovery"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the endpointslices resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the endpointslices storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*discoveryv1.EndpointSlice](scheme.Scheme, true)
	s.ValidateObject = discovery.ValidateEndpointSlice
	s.ValidateObjectUpdate = discovery.ValidateEndpointSliceUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   discoveryv1.Resource("endpointslices"),
		Singular: discoveryv1.Resource("endpointslice"),
		New:      func() runtime.Object { return &discoveryv1.EndpointSlice{} },
		NewList:  func() runtime.Object { return &discoveryv1.EndpointSliceList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "AddressType", Type: "string", Description: discoveryv1.EndpointSlice{}.SwaggerDoc()["addressType"]},
	{Name: "Ports", Type: "string", Description: discoveryv1.EndpointSlice{}.SwaggerDoc()["ports"]},
	{Name: "Endpoints", Type: "string", Description: discoveryv1.EndpointSlice{}.SwaggerDoc()["endpoints"]},
	tables.Age,
}, func(slice *discoveryv1.EndpointSlice) []interface{} {
	var ports, addresses []string
	for _, p := range slice.Ports {
		switch {
		case p.Port != nil:
			ports = append(ports, fmt.Sprint(*p.Port))
		case p.Name != nil:
			ports = append(ports, *p.Name)
		default:
			ports = append(ports, "*")
		}
	}
	for _, ep := range slice.Endpoints {
		addresses = append(addresses, ep.Addresses...)
	}
	return []interface{}{slice.Name, string(slice.AddressType), firstThree(ports), firstThree(addresses), tables.Since(slice.CreationTimestamp)}
})

// firstThree lists up to three values, then "+ N more...", <unset> if none.
func firstThree(values []string) string {
	if len(values) == 0 {
		return "<unset>"
	}
	if len(values) <= 3 {
		return strings.Join(values, ",")
	}
	return fmt.Sprintf("%s + %d more...", strings.Join(values[:3], ","), len(values)-3)
}
