package strategy

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Replicas reads and writes the replica count of a scalable kind.
type Replicas[T runtime.Object] struct {
	// Get returns the desired and current replicas and the label selector
	// (as a string) of obj.
	Get func(obj T) (desired, current int32, selector string)
	// Set changes the desired replicas.
	Set func(obj T, desired int32)
}

// ScaleREST is the scale subresource of a scalable kind: an
// autoscaling/v1 Scale view of its replicas, which `kubectl scale` and
// autoscalers read and write.
type ScaleREST[T runtime.Object] struct {
	store    *genericregistry.Store
	replicas Replicas[T]
	resource schema.GroupResource
}

var (
	_ rest.Getter                   = &ScaleREST[runtime.Object]{}
	_ rest.Updater                  = &ScaleREST[runtime.Object]{}
	_ rest.GroupVersionKindProvider = &ScaleREST[runtime.Object]{}
)

// NewScaleREST serves scale for store, whose objects are of type T.
func NewScaleREST[T runtime.Object](store *genericregistry.Store, replicas Replicas[T]) *ScaleREST[T] {
	return &ScaleREST[T]{store: store, replicas: replicas, resource: store.DefaultQualifiedResource}
}

func (r *ScaleREST[T]) New() runtime.Object { return &autoscalingv1.Scale{} }

func (r *ScaleREST[T]) Destroy() {}

// GroupVersionKind says the body is an autoscaling/v1 Scale whatever group
// the scaled resource lives in.
func (r *ScaleREST[T]) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return autoscalingv1.SchemeGroupVersion.WithKind("Scale")
}

func (r *ScaleREST[T]) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := r.store.Get(ctx, name, options)
	if err != nil {
		return nil, err
	}
	return r.scaleOf(obj)
}

// Update sets the desired replicas from the Scale the client sends; a
// resourceVersion in it makes the update conditional, as upstream.
func (r *ScaleREST[T]) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	info := &scaleUpdate[T]{rest: r, inner: objInfo, validate: updateValidation}
	obj, _, err := r.store.Update(ctx, name, info, nil, rest.ValidateAllObjectUpdateFunc, false, options)
	if err != nil {
		return nil, false, err
	}
	scale, err := r.scaleOf(obj)
	return scale, false, err
}

func (r *ScaleREST[T]) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return rest.NewDefaultTableConvertor(r.resource).ConvertToTable(ctx, object, tableOptions)
}

func (r *ScaleREST[T]) scaleOf(obj runtime.Object) (*autoscalingv1.Scale, error) {
	typed, ok := obj.(T)
	if !ok {
		return nil, fmt.Errorf("not a %T: %T", *new(T), obj)
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	desired, current, selector := r.replicas.Get(typed)
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp(),
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: desired},
		Status: autoscalingv1.ScaleStatus{Replicas: current, Selector: selector},
	}, nil
}

// scaleUpdate turns the client's new Scale into the new object.
type scaleUpdate[T runtime.Object] struct {
	rest     *ScaleREST[T]
	inner    rest.UpdatedObjectInfo
	validate rest.ValidateObjectUpdateFunc
}

func (u *scaleUpdate[T]) Preconditions() *metav1.Preconditions { return u.inner.Preconditions() }

func (u *scaleUpdate[T]) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	oldScale, err := u.rest.scaleOf(oldObj)
	if err != nil {
		return nil, err
	}
	obj, err := u.inner.UpdatedObject(ctx, oldScale)
	if err != nil {
		return nil, err
	}
	scale, ok := obj.(*autoscalingv1.Scale)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected a Scale, got %T", obj))
	}
	if scale.Spec.Replicas < 0 {
		return nil, apierrors.NewInvalid(autoscalingv1.SchemeGroupVersion.WithKind("Scale").GroupKind(), scale.Name,
			field.ErrorList{field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas, "must be greater than or equal to 0")})
	}
	if u.validate != nil {
		if err := u.validate(ctx, scale, oldScale); err != nil {
			return nil, err
		}
	}
	updated := oldObj.DeepCopyObject()
	m, err := meta.Accessor(updated)
	if err != nil {
		return nil, err
	}
	if scale.ResourceVersion != "" {
		m.SetResourceVersion(scale.ResourceVersion)
	}
	u.rest.replicas.Set(updated.(T), scale.Spec.Replicas)
	return updated, nil
}
