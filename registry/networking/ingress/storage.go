// Package ingress serves networking.k8s.io/v1 ingresses with their status
// subresource.
package ingress

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

// REST is the ingresses resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get ing` work.
func (*REST) ShortNames() []string { return []string{"ing"} }

// NewREST returns the ingresses storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*networkingv1.Ingress](scheme.Scheme, true)
	s.ValidateObject = networking.ValidateIngress
	s.ValidateObjectUpdate = networking.ValidateIngressUpdate
	status := s.SplitStatus("networking.k8s.io/v1", true)
	status.ValidateObjectUpdate = networking.ValidateIngressStatusUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   networkingv1.Resource("ingresses"),
		Singular: networkingv1.Resource("ingress"),
		New:      func() runtime.Object { return &networkingv1.Ingress{} },
		NewList:  func() runtime.Object { return &networkingv1.IngressList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Class", Type: "string", Description: "The name of the IngressClass resource that should be used for ingress class configuration"},
	{Name: "Hosts", Type: "string", Description: "Hosts that incoming requests are matched against before the ingress rule"},
	{Name: "Address", Type: "string", Description: "Address is a list containing ingress points for the load-balancer"},
	{Name: "Ports", Type: "string", Description: "Ports of TLS configurations that open"},
	tables.Age,
}, func(ing *networkingv1.Ingress) []interface{} {
	class := "<none>"
	if ing.Spec.IngressClassName != nil {
		class = *ing.Spec.IngressClassName
	}
	var hosts []string
	for _, rule := range ing.Spec.Rules {
		if rule.Host != "" {
			hosts = append(hosts, rule.Host)
		}
	}
	hostList := "*"
	if len(hosts) > 0 {
		hostList = strings.Join(hosts, ",")
	}
	var addresses []string
	for _, lb := range ing.Status.LoadBalancer.Ingress {
		if lb.IP != "" {
			addresses = append(addresses, lb.IP)
		} else if lb.Hostname != "" {
			addresses = append(addresses, lb.Hostname)
		}
	}
	ports := "80"
	if len(ing.Spec.TLS) > 0 {
		ports = "80, 443"
	}
	return []interface{}{ing.Name, class, hostList, strings.Join(addresses, ","), ports, tables.Since(ing.CreationTimestamp)}
})
