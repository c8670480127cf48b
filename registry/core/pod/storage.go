// Package pod serves core/v1 pods with their status, binding and eviction
// subresources. Pods on a node are deleted gracefully: the delete marks them
// and the node's kubelet removes them once their containers have stopped.
package pod

import (
	"context"
	"fmt"

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
)

// REST is the pods resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get po` work.
func (*REST) ShortNames() []string { return []string{"po"} }

// Categories puts pods in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// Storage is the pods resource and its subresources.
type Storage struct {
	Pod      *REST
	Status   *strategy.StatusREST
	Binding  *BindingREST
	Bindings *BindingsREST
	Eviction *EvictionREST
	// Log, Exec, Attach and PortForward reach the pod's kubelet.
	Log         *LogREST
	Exec        *StreamREST
	Attach      *StreamREST
	PortForward *StreamREST
}

// NewStorage returns the pods storage; kubelet reaches the nodes' kubelets.
func NewStorage(optsGetter generic.RESTOptionsGetter, kubelet *Kubelet) (*Storage, error) {
	s := &podStrategy{Strategy: strategy.New[*corev1.Pod](scheme.Scheme, true)}
	s.ValidateObject = core.ValidatePod
	s.ValidateObjectUpdate = core.ValidatePodUpdate
	s.Fields = core.PodFields
	status := s.SplitStatus("v1", true)
	status.ValidateObjectUpdate = core.ValidatePodStatusUpdate
	// Old kubelets wrote owner references through pods/status in ways that
	// broke garbage collection; upstream keeps the stored ones, and so do we.
	status.PrepareUpdate = func(pod, old *corev1.Pod) { pod.OwnerReferences = old.OwnerReferences }
	s.PrepareCreate = func(pod *corev1.Pod) {
		pod.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: qosClass(pod)}
		if len(pod.Spec.SchedulingGates) > 0 {
			// Shown by kubectl as the pod's STATUS until the gates go.
			pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
				Reason: corev1.PodReasonSchedulingGated, Message: "Scheduling is blocked due to non-empty scheduling gates"}}
		}
	}
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   corev1.Resource("pods"),
		Singular: corev1.Resource("pod"),
		New:      func() runtime.Object { return &corev1.Pod{} },
		NewList:  func() runtime.Object { return &corev1.PodList{} },
		Table:    table,
	})
	if err != nil {
		return nil, err
	}
	// The delete strategy decides the grace period.
	store.DeleteStrategy = s
	binding := &BindingREST{store: store}
	return &Storage{
		Pod:      &REST{store},
		Status:   strategy.NewStatusREST(store, status),
		Binding:  binding,
		Bindings: &BindingsREST{binding: binding},
		Eviction: &EvictionREST{store: store, status: strategy.NewStatusREST(store, status)},

		Log:         &LogREST{store: store, kubelet: kubelet},
		Exec:        newExecREST(store, kubelet),
		Attach:      newAttachREST(store, kubelet),
		PortForward: newPortForwardREST(store, kubelet),
	}, nil
}

// podStrategy adds graceful deletion to the shared strategy.
type podStrategy struct {
	*strategy.Strategy[*corev1.Pod]
}

// CheckGracefulDelete gives a pod its terminationGracePeriodSeconds unless
// the request says otherwise; a pod that no kubelet runs (not scheduled, or
// finished) is deleted at once, as upstream does.
func (s *podStrategy) CheckGracefulDelete(ctx context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	if options == nil {
		return false
	}
	pod := obj.(*corev1.Pod)
	period := int64(0)
	switch {
	case options.GracePeriodSeconds != nil:
		period = *options.GracePeriodSeconds
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		period = *pod.Spec.TerminationGracePeriodSeconds
	}
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		period = 0
	}
	options.GracePeriodSeconds = &period
	return true
}

// BindingREST is pods/binding: the scheduler's way to put a pod on a node.
type BindingREST struct{ store *genericregistry.Store }

var _ rest.NamedCreater = &BindingREST{}

func (r *BindingREST) New() runtime.Object { return &corev1.Binding{} }
func (r *BindingREST) Destroy()            {}

// Create binds the named pod to the binding's target node. A pod that is
// already bound, or is being deleted, cannot be bound (409 Conflict).
func (r *BindingREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	binding, ok := obj.(*corev1.Binding)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Binding: %T", obj))
	}
	if name != binding.Name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Binding object")
	}
	if errs := core.ValidateBinding(binding); len(errs) > 0 {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), binding.Name, errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, binding.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	err := Bind(ctx, r.store, binding, dryrun.IsDryRun(options.DryRun))
	if err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess, Code: 201}, nil
}

// BindingsREST is the namespaced bindings resource: a binding names the pod
// to bind, which is the older way to reach pods/binding.
type BindingsREST struct{ binding *BindingREST }

var _ rest.Creater = &BindingsREST{}

func (r *BindingsREST) New() runtime.Object     { return &corev1.Binding{} }
func (r *BindingsREST) Destroy()                {}
func (r *BindingsREST) NamespaceScoped() bool   { return true }
func (r *BindingsREST) GetSingularName() string { return "binding" }

func (r *BindingsREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	binding, ok := obj.(*corev1.Binding)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Binding: %T", obj))
	}
	return r.binding.Create(ctx, binding.Name, obj, createValidation, options)
}

// Bind sets spec.nodeName and the PodScheduled condition of a pod in one
// guaranteed update, refusing pods that are bound or terminating.
func Bind(ctx context.Context, store *genericregistry.Store, binding *corev1.Binding, dryRun bool) error {
	key, err := store.KeyFunc(ctx, binding.Name)
	if err != nil {
		return err
	}
	var preconditions *storage.Preconditions
	if binding.UID != "" {
		preconditions = &storage.Preconditions{UID: &binding.UID}
	}
	err = store.Storage.GuaranteedUpdate(ctx, key, &corev1.Pod{}, false, preconditions,
		storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
			pod := obj.(*corev1.Pod)
			if pod.DeletionTimestamp != nil {
				return nil, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", pod.Name)
			}
			if pod.Spec.NodeName != "" {
				return nil, fmt.Errorf("pod %v is already assigned to node %q", pod.Name, pod.Spec.NodeName)
			}
			if len(pod.Spec.SchedulingGates) > 0 {
				return nil, fmt.Errorf("pod %v has non-empty .spec.schedulingGates", pod.Name)
			}
			pod.Spec.NodeName = binding.Target.Name
			for k, v := range binding.Annotations {
				if pod.Annotations == nil {
					pod.Annotations = map[string]string{}
				}
				pod.Annotations[k] = v
			}
			setScheduled(pod)
			return pod, nil
		}), dryRun, nil)
	if err != nil && !apierrors.IsNotFound(err) {
		if _, isStatus := err.(apierrors.APIStatus); !isStatus {
			err = apierrors.NewConflict(corev1.Resource("pods/binding"), binding.Name, err)
		}
	}
	return err
}

func setScheduled(pod *corev1.Pod) {
	condition := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodScheduled {
			pod.Status.Conditions[i] = condition
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, condition)
}
