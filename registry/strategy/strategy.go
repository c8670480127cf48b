// Package strategy is the create/update/delete strategy that every simple
// kybernetes resource shares: each resource supplies only its validation, its
// create and update preparation and its field-selector fields.
package strategy

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// Strategy implements rest.RESTCreateStrategy, rest.RESTUpdateStrategy and
// rest.RESTDeleteStrategy for objects of type T.
type Strategy[T runtime.Object] struct {
	runtime.ObjectTyper
	names.NameGenerator

	// Namespaced says whether objects live in a namespace.
	Namespaced bool
	// ValidateObject checks a new object; ValidateObjectUpdate an updated one.
	ValidateObject       func(obj T) field.ErrorList
	ValidateObjectUpdate func(obj, old T) field.ErrorList
	// PrepareCreate and PrepareUpdate, when set, clear or carry over what a
	// client may not write (status on the main resource, for example).
	PrepareCreate func(obj T)
	PrepareUpdate func(obj, old T)
	// Fields returns the kind's field-selector fields beyond metadata.name
	// and metadata.namespace.
	Fields func(obj T) fields.Set
	// ResetFields are the fields PrepareUpdate overwrites (status on the
	// main resource, spec on status), so that server-side apply does not
	// record a manager as their owner.
	ResetFields map[fieldpath.APIVersion]*fieldpath.Set
	// CreateOnUpdate lets a PUT to a missing object create it, as upstream
	// allows for endpoints, leases and events.
	CreateOnUpdate bool

	writes          part
	trackGeneration bool
	statusOnCreate  bool
	statusMetadata  StatusMetadata
}

// GetResetFields implements rest.ResetFieldsStrategy.
func (s *Strategy[T]) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set { return s.ResetFields }

// New returns a strategy with the scheme's typer and the standard
// generateName suffix.
func New[T runtime.Object](typer runtime.ObjectTyper, namespaced bool) *Strategy[T] {
	return &Strategy[T]{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator, Namespaced: namespaced}
}

func (s *Strategy[T]) NamespaceScoped() bool { return s.Namespaced }

func (s *Strategy[T]) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	s.prepareCreate(obj)
	if s.PrepareCreate != nil {
		s.PrepareCreate(obj.(T))
	}
}

func (s *Strategy[T]) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	s.prepareUpdate(obj, old)
	if s.PrepareUpdate != nil {
		s.PrepareUpdate(obj.(T), old.(T))
	}
}

func (s *Strategy[T]) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return s.ValidateObject(obj.(T))
}

func (s *Strategy[T]) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return s.ValidateObjectUpdate(obj.(T), old.(T))
}

func (s *Strategy[T]) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

func (s *Strategy[T]) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}

func (s *Strategy[T]) Canonicalize(obj runtime.Object) {}

func (s *Strategy[T]) AllowCreateOnUpdate(ctx context.Context) bool { return s.CreateOnUpdate }

func (s *Strategy[T]) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// GetAttrs returns the labels and field-selector fields of an object.
func (s *Strategy[T]) GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	typed, ok := obj.(T)
	if !ok {
		return nil, nil, fmt.Errorf("not a %T: %T", *new(T), obj)
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil, err
	}
	fs := fields.Set{"metadata.name": m.GetName()}
	if s.Namespaced {
		fs["metadata.namespace"] = m.GetNamespace()
	}
	if s.Fields != nil {
		fs = generic.MergeFieldsSets(fs, s.Fields(typed))
	}
	return labels.Set(m.GetLabels()), fs, nil
}

// Matcher returns the selection predicate the generic store uses to filter
// lists and watches by label and field selectors.
func (s *Strategy[T]) Matcher(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: s.GetAttrs}
}

// Resource names a resource and the Go types of its objects and lists.
type Resource struct {
	// Plural is the resource, e.g. configmaps.configmaps; Singular its
	// singular name, e.g. configmap.
	Plural, Singular schema.GroupResource
	New, NewList     func() runtime.Object
	Table            rest.TableConvertor
}

// Store builds the etcd-backed generic store of one resource that uses this
// strategy for create, update and delete.
func (s *Strategy[T]) Store(optsGetter generic.RESTOptionsGetter, r Resource) (*genericregistry.Store, error) {
	store := &genericregistry.Store{
		NewFunc:                   r.New,
		NewListFunc:               r.NewList,
		DefaultQualifiedResource:  r.Plural,
		SingularQualifiedResource: r.Singular,
		CreateStrategy:            s,
		UpdateStrategy:            s,
		DeleteStrategy:            s,
		TableConvertor:            r.Table,
		PredicateFunc:             s.Matcher,
		ResetFieldsStrategy:       s,
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: s.GetAttrs}); err != nil {
		return nil, err
	}
	return store, nil
}
