// Package namespace serves core/v1 namespaces with their status and finalize
// subresources. Deleting a namespace first marks it Terminating; the
// namespace controller empties it and removes the "kubernetes" finalizer,
// and only then does a delete remove it.
package namespace

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/util/dryrun"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the namespaces resource.
type REST struct {
	*genericregistry.Store
}

// FinalizeREST is namespaces/finalize: it writes spec.finalizers only.
type FinalizeREST struct{ store *genericregistry.Store }

// ShortNames makes `kubectl get ns` work.
func (*REST) ShortNames() []string { return []string{"ns"} }

// NewREST returns the namespaces storage and its subresources.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, *FinalizeREST, error) {
	s := strategy.New[*corev1.Namespace](scheme.Scheme, false)
	s.ValidateObject = core.ValidateNamespace
	s.ValidateObjectUpdate = core.ValidateNamespaceUpdate
	s.Fields = core.NamespaceFields
	status := s.SplitStatus("v1", false)
	status.ValidateObjectUpdate = core.ValidateNamespaceStatusUpdate
	s.PrepareCreate = func(ns *corev1.Namespace) {
		labelWithName(ns)
		ns.Status.Phase = corev1.NamespaceActive
		if !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
			ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
		}
	}
	// Finalizers change only through namespaces/finalize.
	s.PrepareUpdate = func(ns, old *corev1.Namespace) {
		labelWithName(ns)
		ns.Spec.Finalizers = old.Spec.Finalizers
	}
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("namespaces"),
		Singular: corev1.Resource("namespace"),
		New:      func() runtime.Object { return &corev1.Namespace{} },
		NewList:  func() runtime.Object { return &corev1.NamespaceList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, nil, err
	}

	// namespaces/finalize writes spec.finalizers (the main strategy without
	// its finalizer guard) and keeps status.
	finalize := *s
	finalize.PrepareUpdate = func(ns, _ *corev1.Namespace) { labelWithName(ns) }
	finalizeStore := *store
	finalizeStore.UpdateStrategy = &finalize
	finalizeStore.ResetFieldsStrategy = &finalize

	return &REST{store}, strategy.NewStatusREST(store, status), &FinalizeREST{&finalizeStore}, nil
}

// labelWithName keeps the kubernetes.io/metadata.name label equal to the
// namespace's name, as upstream does on every write, so that selectors
// (webhooks, policies, network policies) can pick namespaces by name.
func labelWithName(ns *corev1.Namespace) {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}

// Delete marks a namespace Terminating the first time; once the namespace
// controller has emptied it and cleared spec.finalizers, it removes it.
func (r *REST) Delete(ctx context.Context, name string, validate rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	obj, err := r.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, false, err
	}
	ns := obj.(*corev1.Namespace)
	if options == nil {
		options = metav1.NewDeleteOptions(0)
	}
	if p := options.Preconditions; p != nil {
		if p.UID != nil && *p.UID != ns.UID {
			return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
				fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, ns.UID))
		}
		if p.ResourceVersion != nil && *p.ResourceVersion != ns.ResourceVersion {
			return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
				fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, ns.ResourceVersion))
		}
	}
	if validate != nil {
		if err := validate(ctx, ns); err != nil {
			return nil, false, err
		}
	}
	switch {
	case ns.DeletionTimestamp.IsZero():
		marked, err := r.markTerminating(ctx, name, options)
		return marked, false, err
	case len(ns.Spec.Finalizers) > 0:
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
			errors.New("The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system."))
	}
	return r.Store.Delete(ctx, name, validate, options)
}

// markTerminating sets deletionTimestamp and phase Terminating, keeping what
// is already set so that repeated deletes change nothing.
func (r *REST) markTerminating(ctx context.Context, name string, options *metav1.DeleteOptions) (runtime.Object, error) {
	key, err := r.KeyFunc(ctx, name)
	if err != nil {
		return nil, err
	}
	out := &corev1.Namespace{}
	err = r.Storage.GuaranteedUpdate(ctx, key, out, false, nil,
		storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
			ns := obj.(*corev1.Namespace)
			if ns.DeletionTimestamp.IsZero() {
				now := metav1.Now()
				ns.DeletionTimestamp = &now
				ns.DeletionGracePeriodSeconds = new(int64)
			}
			ns.Status.Phase = corev1.NamespaceTerminating
			if options.PropagationPolicy != nil && *options.PropagationPolicy == metav1.DeletePropagationOrphan &&
				!slices.Contains(ns.Finalizers, metav1.FinalizerOrphanDependents) {
				ns.Finalizers = append(ns.Finalizers, metav1.FinalizerOrphanDependents)
			}
			return ns, nil
		}), dryrun.IsDryRun(options.DryRun), nil)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r *FinalizeREST) New() runtime.Object { return &corev1.Namespace{} }
func (r *FinalizeREST) Destroy()            {}

func (r *FinalizeREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Status", Type: "string", Description: "The status of the namespace"},
	tables.Age,
}, func(ns *corev1.Namespace) []interface{} {
	return []interface{}{ns.Name, string(ns.Status.Phase), tables.Since(ns.CreationTimestamp)}
})
