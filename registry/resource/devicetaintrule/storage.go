// Package devicetaintrule serves resource.k8s.io/v1 devicetaintrules and
// their status.
package devicetaintrule

import (
	resourcev1 "k8s.io/api/resource/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/resource"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the devicetaintrules resource.
type REST struct{ *genericregistry.Store }

// NewREST returns the storage (cluster-scoped) and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*resourcev1.DeviceTaintRule](scheme.Scheme, false)
	s.ValidateObject = resource.ValidateDeviceTaintRule
	s.ValidateObjectUpdate = resource.ValidateDeviceTaintRuleUpdate
	status := s.SplitStatus("resource.k8s.io/v1", true)
	status.ValidateObjectUpdate = func(r, old *resourcev1.DeviceTaintRule) field.ErrorList {
		allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
		return append(allErrs, metav1validation.ValidateConditions(r.Status.Conditions, field.NewPath("status", "conditions"))...)
	}
	status.SetStatusMetadata(strategy.StatusKeepsNoMetadata)
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   resourcev1.Resource("devicetaintrules"),
		Singular: resourcev1.Resource("devicetaintrule"),
		New:      func() runtime.Object { return &resourcev1.DeviceTaintRule{} },
		NewList:  func() runtime.Object { return &resourcev1.DeviceTaintRuleList{} },
		Table: tables.New([]metav1.TableColumnDefinition{tables.Name, tables.Age}, func(r *resourcev1.DeviceTaintRule) []interface{} {
			return []interface{}{r.Name, tables.Since(r.CreationTimestamp)}
		}),
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}
