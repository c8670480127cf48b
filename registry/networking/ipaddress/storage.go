// Package ipaddress serves networking.k8s.io/v1 ipaddresses: an object per
// allocated cluster IP, named by the address, pointing at its Service.
package ipaddress

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/networking"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the ipaddresses resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get ip` work, as upstream.
func (*REST) ShortNames() []string { return []string{"ip"} }

// NewREST returns the ipaddresses storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*networkingv1.IPAddress](scheme.Scheme, false)
	s.ValidateObject = networking.ValidateIPAddress
	s.ValidateObjectUpdate = networking.ValidateIPAddressUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   networkingv1.Resource("ipaddresses"),
		Singular: networkingv1.Resource("ipaddress"),
		New:      func() runtime.Object { return &networkingv1.IPAddress{} },
		NewList:  func() runtime.Object { return &networkingv1.IPAddressList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "ParentRef", Type: "string", Description: "ParentRef references the resource that an IPAddress is attached to"},
}, func(ip *networkingv1.IPAddress) []interface{} {
	parent := "<none>"
	if ref := ip.Spec.ParentRef; ref != nil {
		parent = strings.ToLower(schema.GroupResource{Group: ref.Group, Resource: ref.Resource}.String())
		if ref.Namespace != "" {
			parent += "/" + ref.Namespace
		}
		parent += "/" + ref.Name
	}
	return []interface{}{ip.Name, parent}
})
