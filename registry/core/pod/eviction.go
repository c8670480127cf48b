package pod

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/util/dryrun"
	"k8s.io/client-go/util/retry"

	"github.com/kybernetes/kybernetes/registry/strategy"
)

// Budgets are the PodDisruptionBudgets an eviction consults and charges.
type Budgets interface {
	List(ctx context.Context, namespace string) ([]policyv1.PodDisruptionBudget, error)
	Get(ctx context.Context, namespace, name string) (*policyv1.PodDisruptionBudget, error)
	UpdateStatus(ctx context.Context, pdb *policyv1.PodDisruptionBudget) error
}

// maxDisruptedPods caps the evictions a budget may have granted that the
// disruption controller has not yet seen done (upstream's limit).
const maxDisruptedPods = 2000

// evictionRetry is how often a budget write that conflicts is retried.
var evictionRetry = wait.Backoff{Steps: 20, Duration: 500 * time.Millisecond, Factor: 1.0, Jitter: 0.1}

// EvictionREST is pods/eviction: a delete that the pod's
// PodDisruptionBudget must allow, as upstream's. A pod that is not running
// (pending, finished, already deleting) goes at once; one covered by a
// budget goes only while the budget allows a disruption, which the
// eviction charges (status.disruptionsAllowed down by one, the pod in
// status.disruptedPods until the controller sees it gone); otherwise 429.
type EvictionREST struct {
	store  *genericregistry.Store
	status *strategy.StatusREST
	// Budgets, when set, are consulted; nil: no budget limits evictions.
	Budgets Budgets
}

var (
	_ rest.NamedCreater             = &EvictionREST{}
	_ rest.GroupVersionKindProvider = &EvictionREST{}
)

// GroupVersionKind says the body is a policy/v1 Eviction, though the
// subresource lives in the core group.
func (r *EvictionREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return policyv1.SchemeGroupVersion.WithKind("Eviction")
}

func (r *EvictionREST) New() runtime.Object { return &policyv1.Eviction{} }
func (r *EvictionREST) Destroy()            {}

func (r *EvictionREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	eviction, ok := obj.(*policyv1.Eviction)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not an Eviction: %T", obj))
	}
	if name != eviction.Name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Eviction object")
	}
	deleteOptions, err := evictionDeleteOptions(eviction, options)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if createValidation != nil {
		if err := createValidation(ctx, eviction.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	pod, err := r.pod(ctx, name)
	if err != nil {
		return nil, err
	}
	// A pod that is not running has disrupted nothing more by going.
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed || pod.DeletionTimestamp != nil {
		return r.delete(ctx, name, deleteOptions)
	}
	if pod.Status.Phase == corev1.PodPending {
		return r.delete(ctx, name, pinned(deleteOptions, pod))
	}
	var budgets []policyv1.PodDisruptionBudget
	if r.Budgets != nil {
		if budgets, err = r.covering(ctx, pod); err != nil {
			return nil, err
		}
	}
	switch {
	case len(budgets) > 1:
		return &metav1.Status{Status: metav1.StatusFailure, Code: 500,
			Message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."}, nil
	case len(budgets) == 0:
		return r.delete(ctx, name, deleteOptions)
	}
	pdb := &budgets[0]
	if !podReady(pod) {
		// An unready pod counts for nothing: it may go when the policy
		// says always, or while the budget is met without it.
		always := pdb.Spec.UnhealthyPodEvictionPolicy != nil && *pdb.Spec.UnhealthyPodEvictionPolicy == policyv1.AlwaysAllow
		if always || pdb.Status.CurrentHealthy >= pdb.Status.DesiredHealthy && pdb.Status.DesiredHealthy > 0 {
			out, err := r.delete(ctx, name, pinned(deleteOptions, pod))
			if apierrors.IsConflict(err) && deleteOptions.Preconditions == nil {
				// The pod changed (it may be ready now): ask again.
				return nil, stillProcessing(pdb.Name)
			}
			return out, err
		}
	}
	refresh := false
	err = retry.RetryOnConflict(evictionRetry, func() error {
		if refresh {
			if pdb, err = r.Budgets.Get(ctx, pod.Namespace, pdb.Name); err != nil {
				return err
			}
		}
		refresh = true
		return r.charge(ctx, pdb, pod.Name, dryrun.IsDryRun(deleteOptions.DryRun))
	})
	if wait.Interrupted(err) {
		err = apierrors.NewTimeoutError(fmt.Sprintf("couldn't update PodDisruptionBudget %q due to conflicts", pdb.Name), 10)
	}
	if err != nil {
		return nil, err
	}
	return r.delete(ctx, name, deleteOptions)
}

func (r *EvictionREST) pod(ctx context.Context, name string) (*corev1.Pod, error) {
	obj, err := r.store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

// delete marks the pod with the DisruptionTarget condition (so that its
// controller and its containers can tell an eviction from a crash) and
// deletes it; the preconditions hold for both writes.
func (r *EvictionREST) delete(ctx context.Context, name string, options *metav1.DeleteOptions) (runtime.Object, error) {
	if !dryrun.IsDryRun(options.DryRun) {
		marked, _, err := r.status.Update(ctx, name, rest.DefaultUpdatedObjectInfo(nil, func(_ context.Context, _, old runtime.Object) (runtime.Object, error) {
			pod := old.(*corev1.Pod).DeepCopy()
			if p := options.Preconditions; p != nil {
				if p.UID != nil && *p.UID != pod.UID || p.ResourceVersion != nil && *p.ResourceVersion != pod.ResourceVersion {
					return nil, apierrors.NewConflict(corev1.Resource("pods"), name, errors.New("the pod changed since the eviction was decided"))
				}
			}
			setDisruptionTarget(pod)
			return pod, nil
		}), rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
		if err != nil {
			return nil, err
		}
		if options.Preconditions != nil && options.Preconditions.ResourceVersion != nil {
			// Our own write moved the version on.
			options = options.DeepCopy()
			rv := marked.(*corev1.Pod).ResourceVersion
			options.Preconditions.ResourceVersion = &rv
		}
	}
	if _, _, err := r.store.Delete(ctx, name, rest.ValidateAllObjectFunc, options); err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess, Code: 201}, nil
}

func setDisruptionTarget(pod *corev1.Pod) {
	cond := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "EvictionByEvictionAPI",
		Message: "Eviction API: evicting", LastTransitionTime: metav1.Now()}
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.DisruptionTarget {
			if pod.Status.Conditions[i].Status == corev1.ConditionTrue {
				cond.LastTransitionTime = pod.Status.Conditions[i].LastTransitionTime
			}
			pod.Status.Conditions[i] = cond
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, cond)
}

// covering are the budgets whose selector selects the pod.
func (r *EvictionREST) covering(ctx context.Context, pod *corev1.Pod) ([]policyv1.PodDisruptionBudget, error) {
	all, err := r.Budgets.List(ctx, pod.Namespace)
	if err != nil {
		return nil, err
	}
	var out []policyv1.PodDisruptionBudget
	for _, pdb := range all {
		selector, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || !selector.Matches(labels.Set(pod.Labels)) {
			continue
		}
		out = append(out, pdb)
	}
	return out, nil
}

// charge takes one disruption from the budget, or says why it cannot.
func (r *EvictionREST) charge(ctx context.Context, pdb *policyv1.PodDisruptionBudget, pod string, dryRun bool) error {
	refuse := func(msg string) error {
		err := apierrors.NewForbidden(policyv1.Resource("poddisruptionbudget"), pdb.Name, errors.New(msg))
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause,
			Message: fmt.Sprintf("The disruption budget %s does not allow evicting pods currently: %s", pdb.Name, msg)})
		return err
	}
	switch {
	case pdb.Status.ObservedGeneration < pdb.Generation:
		return stillProcessing(pdb.Name)
	case pdb.Status.DisruptionsAllowed < 0:
		return refuse("pdb disruptions allowed is negative")
	case len(pdb.Status.DisruptedPods) > maxDisruptedPods:
		return refuse("too many pending evictions not confirmed by PDB controller")
	case pdb.Status.DisruptionsAllowed == 0:
		err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: whyNoDisruption(pdb)})
		return err
	}
	pdb = pdb.DeepCopy()
	pdb.Status.DisruptionsAllowed--
	if pdb.Status.DisruptionsAllowed == 0 {
		SetDisruptionAllowed(pdb)
	}
	if dryRun {
		return nil
	}
	if pdb.Status.DisruptedPods == nil {
		pdb.Status.DisruptedPods = map[string]metav1.Time{}
	}
	// The controller must not count the pod while its deletion is under way.
	pdb.Status.DisruptedPods[pod] = metav1.Now()
	return r.Budgets.UpdateStatus(ctx, pdb)
}

// whyNoDisruption is the cause of a refusal, in upstream's words.
func whyNoDisruption(pdb *policyv1.PodDisruptionBudget) string {
	cond := apimeta.FindStatusCondition(pdb.Status.Conditions, policyv1.DisruptionAllowedCondition)
	switch {
	case cond != nil && cond.Status == metav1.ConditionFalse && cond.Message != "" && cond.Reason == policyv1.SyncFailedReason:
		return fmt.Sprintf("The disruption budget %s does not allow evicting pods currently because it failed sync: %s", pdb.Name, cond.Message)
	case pdb.Status.CurrentHealthy <= pdb.Status.DesiredHealthy:
		return fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy)
	case cond != nil && cond.Status == metav1.ConditionFalse && cond.Message != "":
		return fmt.Sprintf("The disruption budget %s does not allow evicting pods currently (%s): %s", pdb.Name, cond.Reason, cond.Message)
	}
	return fmt.Sprintf("The disruption budget %s does not allow evicting pods currently", pdb.Name)
}

// stillProcessing is the 429 for a budget the controller has not caught
// up with: try again in 10 s.
func stillProcessing(name string) error {
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause,
		Message: fmt.Sprintf("The disruption budget %s is still being processed by the server.", name)})
	return err
}

// SetDisruptionAllowed sets the DisruptionAllowed condition from the
// count of allowed disruptions.
func SetDisruptionAllowed(pdb *policyv1.PodDisruptionBudget) {
	cond := metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionTrue, Reason: policyv1.SufficientPodsReason,
		ObservedGeneration: pdb.Status.ObservedGeneration}
	if pdb.Status.DisruptionsAllowed <= 0 {
		cond.Status, cond.Reason = metav1.ConditionFalse, policyv1.InsufficientPodsReason
	}
	apimeta.SetStatusCondition(&pdb.Status.Conditions, cond)
}

// pinned adds the pod's resourceVersion as a precondition (unless the
// client gave one): the pod must not have become ready since it was read.
func pinned(options *metav1.DeleteOptions, pod *corev1.Pod) *metav1.DeleteOptions {
	if options.Preconditions != nil && options.Preconditions.ResourceVersion != nil {
		return options
	}
	options = options.DeepCopy()
	if options.Preconditions == nil {
		options.Preconditions = &metav1.Preconditions{}
	}
	rv := pod.ResourceVersion
	options.Preconditions.ResourceVersion = &rv
	return options
}

// evictionDeleteOptions are the eviction's delete options with the
// request's dry run, which must agree with the body's.
func evictionDeleteOptions(eviction *policyv1.Eviction, options *metav1.CreateOptions) (*metav1.DeleteOptions, error) {
	switch {
	case eviction.DeleteOptions == nil:
		return &metav1.DeleteOptions{DryRun: options.DryRun}, nil
	case len(eviction.DeleteOptions.DryRun) == 0:
		out := eviction.DeleteOptions.DeepCopy()
		out.DryRun = options.DryRun
		return out, nil
	case len(options.DryRun) == 0 || reflect.DeepEqual(options.DryRun, eviction.DeleteOptions.DryRun):
		return eviction.DeleteOptions, nil
	}
	return nil, fmt.Errorf("Non-matching dry-run options in request and content: %v and %v", options.DryRun, eviction.DeleteOptions.DryRun)
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
