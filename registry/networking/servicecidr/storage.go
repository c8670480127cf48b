// Package servicecidr serves networking.k8s.io/v1 servicecidrs, the ranges
// cluster IPs come from, with their status subresource. The server keeps the
// default one, named kubernetes, equal to --service-cluster-ip-range.
package servicecidr

import (
	"strings"

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

// DefaultName is the ServiceCIDR made from --service-cluster-ip-range.
const DefaultName = "kubernetes"

// REST is the servicecidrs resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the servicecidrs storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*networkingv1.ServiceCIDR](scheme.Scheme, false)
	s.ValidateObject = networking.ValidateServiceCIDR
	s.ValidateObjectUpdate = networking.ValidateServiceCIDRUpdate
	status := s.SplitStatus("networking.k8s.io/v1", false)
	status.ValidateObjectUpdate = networking.ValidateServiceCIDRStatusUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   networkingv1.Resource("servicecidrs"),
		Singular: networkingv1.Resource("servicecidr"),
		New:      func() runtime.Object { return &networkingv1.ServiceCIDR{} },
		NewList:  func() runtime.Object { return &networkingv1.ServiceCIDRList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "CIDRs", Type: "string", Description: "CIDRs defines the IP blocks in CIDR notation from which to assign service cluster IPs"},
	tables.Age,
}, func(sc *networkingv1.ServiceCIDR) []interface{} {
	return []interface{}{sc.Name, strings.Join(sc.Spec.CIDRs, ","), tables.Since(sc.CreationTimestamp)}
})
