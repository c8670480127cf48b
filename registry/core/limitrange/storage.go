// Package limitrange serves core/v1 limitranges. Upstream has no columns
// for them: kubectl prints NAME and CREATED AT.
package limitrange

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
)

// REST is the limitranges resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get limits` work.
func (*REST) ShortNames() []string { return []string{"limits"} }

// NewREST returns the limitranges storage.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := strategy.New[*corev1.LimitRange](scheme.Scheme, true)
	s.ValidateObject = core.ValidateLimitRange
	s.ValidateObjectUpdate = core.ValidateLimitRangeUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("limitranges"),
		Singular: corev1.Resource("limitrange"),
		New:      func() runtime.Object { return &corev1.LimitRange{} },
		NewList:  func() runtime.Object { return &corev1.LimitRangeList{} },
		Table:    rest.NewDefaultTableConvertor(corev1.Resource("limitranges")),
	})
	return &REST{store}, err
}
