// Package disruption is the PodDisruptionBudget controller, as upstream's:
// it keeps each budget's status — the pods expected, the healthy ones, the
// healthy ones it needs, and so how many disruptions it allows now — which
// pods/eviction consults and charges. Evictions it granted are in
// status.disruptedPods until the pod is seen going, or for two minutes.
package disruption

import (
	"context"
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	policyinformers "k8s.io/client-go/informers/policy/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	policylisters "k8s.io/client-go/listers/policy/v1"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// DeletionTimeout is how long a granted eviction keeps its pod out of the
// healthy count when the pod is not seen going (upstream's two minutes).
const DeletionTimeout = 2 * time.Minute

// Controller keeps PodDisruptionBudgets' status.
type Controller struct {
	client   kubernetes.Interface
	pdbs     policylisters.PodDisruptionBudgetLister
	pods     corelisters.PodLister
	rss      appslisters.ReplicaSetLister
	scales   scale.ScalesGetter
	mapper   apimeta.RESTMapper
	clock    clock.PassiveClock
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder *events.Recorder
}

// New returns a controller over the budget, pod and replica set informers
// that reads the scale of the pods' controllers through scales.
func New(client kubernetes.Interface, pdbs policyinformers.PodDisruptionBudgetInformer, pods coreinformers.PodInformer, rss appsinformers.ReplicaSetInformer,
	scales scale.ScalesGetter, mapper apimeta.RESTMapper, clk clock.PassiveClock) *Controller {
	c := &Controller{client: client, pdbs: pdbs.Lister(), pods: pods.Lister(), rss: rss.Lister(), scales: scales, mapper: mapper, clock: clk,
		synced:   []cache.InformerSynced{pdbs.Informer().HasSynced, pods.Informer().HasSynced, rss.Informer().HasSynced},
		queue:    runner.NewQueue("disruption"),
		recorder: events.NewRecorder(client, "controllermanager")}
	enqueue := func(obj interface{}) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	_, _ = pdbs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, cur interface{}) { enqueue(cur) }, DeleteFunc: enqueue})
	podChanged := func(obj interface{}) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if pod, ok := obj.(*corev1.Pod); ok {
			for _, key := range c.budgetsOf(pod) {
				c.queue.Add(key)
			}
		}
	}
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: podChanged,
		UpdateFunc: func(old, cur interface{}) { podChanged(old); podChanged(cur) }, DeleteFunc: podChanged})
	return c
}

// budgetsOf are the keys of the budgets selecting pod.
func (c *Controller) budgetsOf(pod *corev1.Pod) []string {
	pdbs, err := c.pdbs.PodDisruptionBudgets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var keys []string
	for _, pdb := range pdbs {
		if selector, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err == nil && selector.Matches(labels.Set(pod.Labels)) {
			keys = append(keys, pdb.Namespace+"/"+pdb.Name)
		}
	}
	return keys
}

// Run processes budgets until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, "disruption", c.queue, c.synced, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	shared, err := c.pdbs.PodDisruptionBudgets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	pdb := shared.DeepCopy()
	pods, err := c.selected(pdb)
	if err != nil {
		return 0, err
	}
	if len(pods) == 0 {
		c.recorder.Event(pdb, corev1.EventTypeNormal, "NoPods", "No matching pods found")
	}
	expected, desired, err := c.expectations(ctx, pdb, pods)
	if err != nil {
		c.recorder.Eventf(pdb, corev1.EventTypeWarning, "CalculateExpectedPodCountFailed", "Failed to calculate the number of expected pods: %v", err)
		// Fail safe: no disruption until the budget can be worked out.
		pdb.Status.DisruptionsAllowed = 0
		pdb.Status.ObservedGeneration = pdb.Generation
		apimeta.SetStatusCondition(&pdb.Status.Conditions, metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionFalse,
			Reason: policyv1.SyncFailedReason, Message: err.Error(), ObservedGeneration: pdb.Generation})
		if uerr := c.writeStatus(ctx, shared, pdb); uerr != nil {
			return 0, uerr
		}
		return 0, runner.Quiet(err)
	}
	now := c.clock.Now()
	disrupted, recheck := disruptedPods(pdb, pods, now)
	healthy := int32(0)
	for _, pod := range pods {
		if _, going := disrupted[pod.Name]; !going && pod.DeletionTimestamp == nil && ready(pod) {
			healthy++
		}
	}
	pdb.Status.ObservedGeneration = pdb.Generation
	pdb.Status.DisruptedPods = disrupted
	pdb.Status.ExpectedPods, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy = expected, desired, healthy
	pdb.Status.DisruptionsAllowed = max(0, healthy-desired)
	setDisruptionAllowed(pdb)
	return recheck, c.writeStatus(ctx, shared, pdb)
}

// writeStatus writes pdb's status when it differs from what is stored.
func (c *Controller) writeStatus(ctx context.Context, shared, pdb *policyv1.PodDisruptionBudget) error {
	if apiequality.Semantic.DeepEqual(shared.Status, pdb.Status) {
		return nil
	}
	_, err := c.client.PolicyV1().PodDisruptionBudgets(pdb.Namespace).UpdateStatus(ctx, pdb, metav1.UpdateOptions{})
	return err
}

// setDisruptionAllowed is the DisruptionAllowed condition of the count.
func setDisruptionAllowed(pdb *policyv1.PodDisruptionBudget) {
	cond := metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionTrue, Reason: policyv1.SufficientPodsReason,
		ObservedGeneration: pdb.Status.ObservedGeneration}
	if pdb.Status.DisruptionsAllowed <= 0 {
		cond.Status, cond.Reason = metav1.ConditionFalse, policyv1.InsufficientPodsReason
	}
	apimeta.SetStatusCondition(&pdb.Status.Conditions, cond)
}

// selected are the budget's pods: a nil selector selects none, an empty
// one all of the namespace (policy/v1).
func (c *Controller) selected(pdb *policyv1.PodDisruptionBudget) ([]*corev1.Pod, error) {
	if pdb.Spec.Selector == nil {
		return nil, nil
	}
	selector, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		return nil, nil // validation refuses these
	}
	return c.pods.Pods(pdb.Namespace).List(selector)
}

// expectations are the pods the budget expects and the healthy ones it
// needs: minAvailable as a count needs that many of the pods there are;
// a percentage, or maxUnavailable, is of the replicas the pods'
// controllers want (rounded up, as upstream).
func (c *Controller) expectations(ctx context.Context, pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod) (expected, desired int32, err error) {
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		if expected, err = c.expectedScale(ctx, pdb, pods); err != nil {
			return 0, 0, err
		}
		unavailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(expected), true)
		if err != nil {
			return 0, 0, err
		}
		return expected, max(0, expected-int32(unavailable)), nil
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		return int32(len(pods)), pdb.Spec.MinAvailable.IntVal, nil
	case pdb.Spec.MinAvailable != nil:
		if expected, err = c.expectedScale(ctx, pdb, pods); err != nil {
			return 0, 0, err
		}
		available, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(expected), true)
		if err != nil {
			return 0, 0, err
		}
		return expected, int32(available), nil
	}
	return 0, 0, nil
}

// expectedScale is the sum of the replicas of the pods' controllers, each
// counted once: a Deployment for the pods of its ReplicaSets, any other
// controller through its scale subresource.
func (c *Controller) expectedScale(ctx context.Context, pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod) (int32, error) {
	seen := map[types.UID]bool{}
	var total int32
	for _, pod := range pods {
		ref := metav1.GetControllerOf(pod)
		if ref == nil {
			return 0, fmt.Errorf("found no controller ref for pod %q", pod.Name)
		}
		owner := *ref
		if ref.Kind == "ReplicaSet" && ref.APIVersion == "apps/v1" {
			if rs, err := c.rss.ReplicaSets(pod.Namespace).Get(ref.Name); err == nil && rs.UID == ref.UID {
				if dref := metav1.GetControllerOf(rs); dref != nil && dref.Kind == "Deployment" {
					owner = *dref
				}
			}
		}
		if seen[owner.UID] {
			continue
		}
		replicas, err := c.replicasOf(ctx, pod.Namespace, owner)
		if err != nil {
			return 0, fmt.Errorf("found no controllers for pod %q", pod.Name)
		}
		seen[owner.UID] = true
		total += replicas
	}
	return total, nil
}

// replicasOf reads the spec.replicas of a controller's scale.
func (c *Controller) replicasOf(ctx context.Context, namespace string, ref metav1.OwnerReference) (int32, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return 0, err
	}
	mapping, err := c.mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: ref.Kind}, gv.Version)
	if err != nil {
		return 0, err
	}
	s, err := c.scales.Scales(namespace).Get(ctx, mapping.Resource.GroupResource(), ref.Name, metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	if s.UID != ref.UID {
		return 0, fmt.Errorf("%s %s is another object than the pods' owner", ref.Kind, ref.Name)
	}
	return s.Spec.Replicas, nil
}

// disruptedPods are the granted evictions still pending: of pods still
// there, not yet deleting, granted less than DeletionTimeout ago. The
// duration is when the oldest of them expires (0: none pending).
func disruptedPods(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod, now time.Time) (map[string]metav1.Time, time.Duration) {
	if len(pdb.Status.DisruptedPods) == 0 {
		return nil, 0
	}
	out := map[string]metav1.Time{}
	recheck := time.Duration(math.MaxInt64)
	for _, pod := range pods {
		at, ok := pdb.Status.DisruptedPods[pod.Name]
		if !ok || pod.DeletionTimestamp != nil {
			continue
		}
		expires := at.Add(DeletionTimeout)
		if !expires.After(now) {
			continue
		}
		out[pod.Name] = at
		recheck = min(recheck, expires.Sub(now))
	}
	if len(out) == 0 {
		return nil, 0
	}
	return out, recheck
}

func ready(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
