// Package endpoints serves core/v1 endpoints.
package endpoints

import (
	"fmt"
	"net"
	"strconv"
	"strings"

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

// REST is the endpoints resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get ep` work.
func (*REST) ShortNames() []string { return []string{"ep"} }

// NewREST returns the endpoints storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*corev1.Endpoints](scheme.Scheme, true)
	s.ValidateObject = core.ValidateEndpoints
	s.ValidateObjectUpdate = core.ValidateEndpointsUpdate
	s.CreateOnUpdate = true
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("endpoints"),
		Singular: corev1.Resource("endpoints"),
		New:      func() runtime.Object { return &corev1.Endpoints{} },
		NewList:  func() runtime.Object { return &corev1.EndpointsList{} },
		Table:    table,
	})
	return &REST{store}, err
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Endpoints", Type: "string", Description: corev1.Endpoints{}.SwaggerDoc()["subsets"]},
	tables.Age,
}, func(ep *corev1.Endpoints) []interface{} {
	return []interface{}{ep.Name, formatEndpoints(ep), tables.Since(ep.CreationTimestamp)}
})

// formatEndpoints lists ready ip:port pairs, three at most, then "+ N more...".
func formatEndpoints(ep *corev1.Endpoints) string {
	const max = 3
	var list []string
	total := 0
	for _, ss := range ep.Subsets {
		for _, addr := range ss.Addresses {
			if len(ss.Ports) == 0 {
				total++
				if len(list) < max {
					list = append(list, addr.IP)
				}
				continue
			}
			for _, port := range ss.Ports {
				total++
				if len(list) < max {
					list = append(list, net.JoinHostPort(addr.IP, strconv.Itoa(int(port.Port))))
				}
			}
		}
	}
	if total == 0 {
		return "<none>"
	}
	out := strings.Join(list, ",")
	if total > max {
		out += fmt.Sprintf(" + %d more...", total-max)
	}
	return out
}
