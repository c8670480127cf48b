// Package podautoscaler is the horizontal pod autoscaler controller, with
// upstream's autoscaling/v2 semantics: every sync period each autoscaler's
// metrics (resource usage from metrics.k8s.io, custom and external metrics
// where an adapter serves them) give a replica count, which is stabilized
// and rate-limited by the autoscaler's behavior, bounded by its minimum and
// maximum, and written to its target's scale subresource; the status keeps
// the figures, the conditions AbleToScale, ScalingActive and
// ScalingLimited, and events say what was done and what failed.
package podautoscaler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	autoscalinginformers "k8s.io/client-go/informers/autoscaling/v2"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kybernetes/kybernetes/apis/autoscaling"
	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// Options are kube-controller-manager's --horizontal-pod-autoscaler-*
// settings.
type Options struct {
	// SyncPeriod is how often each autoscaler is looked at.
	SyncPeriod time.Duration
	// Tolerance is how far the usage ratio may be from 1 before the count
	// changes (an autoscaler's behavior may set its own).
	Tolerance float64
	// DownscaleStabilization is the scale-down stabilization window of an
	// autoscaler that does not set one.
	DownscaleStabilization time.Duration
	// CPUInitializationPeriod and InitialReadinessDelay say which pods'
	// CPU figures are start-up noise.
	CPUInitializationPeriod time.Duration
	InitialReadinessDelay   time.Duration
}

// DefaultOptions are upstream's defaults.
func DefaultOptions() Options {
	return Options{SyncPeriod: 15 * time.Second, Tolerance: 0.1, DownscaleStabilization: 5 * time.Minute,
		CPUInitializationPeriod: 5 * time.Minute, InitialReadinessDelay: 30 * time.Second}
}

// Controller is the horizontal pod autoscaler controller.
type Controller struct {
	client   kubernetes.Interface
	scales   scale.ScalesGetter
	mapper   apimeta.RESTMapper
	hpas     autoscalinglisters.HorizontalPodAutoscalerLister
	pods     corelisters.PodLister
	calc     calculator
	clock    clock.PassiveClock
	opts     Options
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder *events.Recorder

	mu sync.Mutex
	// histories and selectors are per autoscaler key: the past
	// recommendations and changes, and the pod selector of its target as
	// last read (to tell when two autoscalers select the same pods).
	histories map[string]*history
	selectors map[string]labels.Selector
}

// New returns a controller over the autoscaler and pod informers, reading
// metrics from metrics and scaling through scales (whose resources mapper
// resolves).
func New(client kubernetes.Interface, scales scale.ScalesGetter, mapper apimeta.RESTMapper, metrics MetricsClient,
	hpas autoscalinginformers.HorizontalPodAutoscalerInformer, pods coreinformers.PodInformer, opts Options, clk clock.PassiveClock) *Controller {
	c := &Controller{
		client: client, scales: scales, mapper: mapper,
		hpas: hpas.Lister(), pods: pods.Lister(),
		calc: calculator{metrics: metrics, pods: pods.Lister(), clock: clk,
			cpuInitializationPeriod: opts.CPUInitializationPeriod, initialReadinessDelay: opts.InitialReadinessDelay},
		clock: clk, opts: opts,
		synced: []cache.InformerSynced{hpas.Informer().HasSynced, pods.Informer().HasSynced},
		// A failed sync is retried after one sync period, as upstream
		// (which looks again then anyway), not with a growing back-off.
		queue: workqueue.NewTypedRateLimitingQueueWithConfig[string](fixedInterval(opts.SyncPeriod),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "horizontalpodautoscaler"}),
		recorder:  events.NewRecorder(client, "horizontal-pod-autoscaler"),
		histories: map[string]*history{}, selectors: map[string]labels.Selector{},
	}
	_, _ = hpas.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue,
		// Only a change of the spec (a new generation) is looked at at
		// once; the controller's own status writes wait for the period.
		UpdateFunc: func(old, cur interface{}) {
			o, ok1 := old.(*autoscalingv2.HorizontalPodAutoscaler)
			n, ok2 := cur.(*autoscalingv2.HorizontalPodAutoscaler)
			if ok1 && ok2 && o.Generation != n.Generation {
				c.enqueue(cur)
			}
		},
		DeleteFunc: c.enqueue,
	})
	return c
}

func (c *Controller) enqueue(obj interface{}) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// Run processes autoscalers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, "horizontalpodautoscaler", c.queue, c.synced, workers, c.sync)
}

// sync reconciles one autoscaler and asks to be called again after the
// sync period.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	shared, err := c.hpas.HorizontalPodAutoscalers(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		c.mu.Lock()
		delete(c.histories, key)
		delete(c.selectors, key)
		c.mu.Unlock()
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	hpa := shared.DeepCopy()
	// An object written through autoscaling/v1 carries its behavior in an
	// annotation that v2 defaulting never saw.
	autoscaling.SetDefaultsHorizontalPodAutoscaler(hpa)
	err = c.reconcile(ctx, key, hpa)
	if !apiequality.Semantic.DeepEqual(shared.Status, hpa.Status) {
		updated := shared.DeepCopy()
		updated.Status = hpa.Status
		if _, uerr := c.client.AutoscalingV2().HorizontalPodAutoscalers(namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); uerr != nil {
			c.recorder.Event(shared, corev1.EventTypeWarning, "FailedUpdateStatus", uerr.Error())
			return 0, errors.Join(err, fmt.Errorf("failed to update status for %s: %w", name, uerr))
		}
	}
	if err != nil {
		return 0, err
	}
	return c.opts.SyncPeriod, nil
}

// reconcile computes the count, scales the target and sets hpa's status
// (which sync writes, also when this fails).
func (c *Controller) reconcile(ctx context.Context, key string, hpa *autoscalingv2.HorizontalPodAutoscaler) error {
	ref := hpa.Spec.ScaleTargetRef
	reference := fmt.Sprintf("%s/%s/%s", ref.Kind, hpa.Namespace, ref.Name)
	target, resource, err := c.getScale(ctx, hpa)
	if err != nil {
		c.recorder.Event(hpa, corev1.EventTypeWarning, "FailedGetScale", err.Error())
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionFalse, "FailedGetScale", "the HPA controller was unable to get the target's current scale: %v", err)
		return runner.Quiet(fmt.Errorf("failed to query scale subresource for %s: %w", reference, err))
	}
	setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale")

	now := c.clock.Now()
	h := c.historyOf(key, target.Spec.Replicas, now)
	current := target.Spec.Replicas
	minReplicas := int32(1)
	if hpa.Spec.MinReplicas != nil {
		minReplicas = *hpa.Spec.MinReplicas
	}
	var (
		desired  int32
		reason   string
		statuses []autoscalingv2.MetricStatus
	)
	switch {
	case current == 0:
		// Scaled to zero by hand: the autoscaler stands aside (upstream,
		// without the HPAScaleToZero feature).
		setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
		c.setStatus(hpa, current, 0, nil, false)
		return nil
	case current > hpa.Spec.MaxReplicas:
		desired, reason = hpa.Spec.MaxReplicas, "Current number of replicas above Spec.MaxReplicas"
	case current < minReplicas:
		desired, reason = minReplicas, "Current number of replicas below Spec.MinReplicas"
	default:
		proposed, metric, computed, err := c.replicasForMetrics(ctx, hpa, target)
		statuses = computed
		if proposed < 0 {
			c.setStatus(hpa, current, hpa.Status.DesiredReplicas, statuses, false)
			c.recorder.Event(hpa, corev1.EventTypeWarning, "FailedComputeMetricsReplicas", err.Error())
			return runner.Quiet(fmt.Errorf("failed to compute desired number of replicas based on listed metrics for %s: %w", reference, err))
		}
		if err != nil {
			// Some metrics failed, but the others ask for more: scale,
			// then report the failure.
			defer c.recorder.Event(hpa, corev1.EventTypeWarning, "FailedComputeMetricsReplicas", err.Error())
		}
		desired = proposed
		switch {
		case desired > current:
			reason = metric + " above target"
		case desired < current:
			reason = "All metrics below target"
		}
		c.mu.Lock()
		desired = c.normalize(hpa, h, now, current, desired, minReplicas)
		c.mu.Unlock()
	}

	if desired == current {
		c.setStatus(hpa, current, current, statuses, false)
		return nil
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		target.Spec.Replicas = desired
		_, err := c.scales.Scales(hpa.Namespace).Update(ctx, resource, target, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			if latest, gerr := c.scales.Scales(hpa.Namespace).Get(ctx, resource, ref.Name, metav1.GetOptions{}); gerr == nil {
				target = latest
			}
		}
		return err
	})
	if err != nil {
		c.recorder.Eventf(hpa, corev1.EventTypeWarning, "FailedRescale", "New size: %d; reason: %s; error: %v", desired, reason, err)
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionFalse, "FailedUpdateScale", "the HPA controller was unable to update the target scale: %v", err)
		c.setStatus(hpa, current, hpa.Status.DesiredReplicas, statuses, false)
		return fmt.Errorf("failed to rescale %s: %w", reference, err)
	}
	setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededRescale", "the HPA controller was able to update the target scale to %d", desired)
	c.recorder.Eventf(hpa, corev1.EventTypeNormal, "SuccessfulRescale", "New size: %d; reason: %s", desired, reason)
	klog.InfoS("Successfully rescaled", "HPA", klog.KObj(hpa), "currentReplicas", current, "desiredReplicas", desired, "reason", reason)
	c.mu.Lock()
	h.recordScale(now, hpa.Spec.Behavior, current, desired)
	c.mu.Unlock()
	c.setStatus(hpa, current, desired, statuses, true)
	return nil
}

// historyOf is the history of key, started with the current count as its
// first recommendation (so that a new autoscaler does not scale down
// before a window of its own).
func (c *Controller) historyOf(key string, current int32, now time.Time) *history {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.histories[key]
	if h == nil {
		h = &history{recommendations: []recommendation{{current, now}}}
		c.histories[key] = h
	}
	return h
}

// getScale reads the target's scale subresource, trying each resource
// its kind maps to.
func (c *Controller) getScale(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler) (*autoscalingv1.Scale, schema.GroupResource, error) {
	ref := hpa.Spec.ScaleTargetRef
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return nil, schema.GroupResource{}, err
	}
	mappings, err := c.mapper.RESTMappings(schema.GroupKind{Group: gv.Group, Kind: ref.Kind})
	if err != nil {
		return nil, schema.GroupResource{}, err
	}
	var first error
	for _, m := range mappings {
		resource := m.Resource.GroupResource()
		s, err := c.scales.Scales(hpa.Namespace).Get(ctx, resource, ref.Name, metav1.GetOptions{})
		if err == nil {
			return s, resource, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = errors.New("unrecognized resource")
	}
	return nil, schema.GroupResource{}, first
}

// normalize stabilizes the metrics' count and bounds it, setting the
// AbleToScale and ScalingLimited conditions; c.mu is held.
func (c *Controller) normalize(hpa *autoscalingv2.HorizontalPodAutoscaler, h *history, now time.Time, current, desired, minReplicas int32) int32 {
	var stabilized int32
	var l limit
	stabilizedReason, stabilizedMessage := "ScaleDownStabilized", downStabilized
	if b := hpa.Spec.Behavior; b != nil {
		if b.ScaleDown.StabilizationWindowSeconds == nil {
			b.ScaleDown.StabilizationWindowSeconds = ptrTo(int32(c.opts.DownscaleStabilization.Seconds()))
		}
		stabilized, stabilizedReason, stabilizedMessage = h.stabilizeWithBehavior(now, b, current, desired)
		l = h.limitWithBehavior(now, b, current, stabilized, minReplicas, hpa.Spec.MaxReplicas)
	} else {
		stabilized = h.stabilizeWithoutBehavior(now, c.opts.DownscaleStabilization, desired)
		l = limitWithoutBehavior(current, stabilized, minReplicas, hpa.Spec.MaxReplicas)
	}
	if stabilized != desired {
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, stabilizedReason, "%s", stabilizedMessage)
	} else {
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, "ReadyForNewScale", "recommended size matches current size")
	}
	limited := corev1.ConditionFalse
	if l.replicas != stabilized {
		limited = corev1.ConditionTrue
	}
	setCondition(hpa, autoscalingv2.ScalingLimited, limited, l.reason, "%s", l.message)
	return l.replicas
}

func ptrTo[T any](v T) *T { return &v }

// setStatus rewrites the status around its conditions.
func (c *Controller) setStatus(hpa *autoscalingv2.HorizontalPodAutoscaler, current, desired int32, metrics []autoscalingv2.MetricStatus, rescaled bool) {
	generation := hpa.Generation
	hpa.Status = autoscalingv2.HorizontalPodAutoscalerStatus{
		ObservedGeneration: &generation,
		CurrentReplicas:    current,
		DesiredReplicas:    desired,
		LastScaleTime:      hpa.Status.LastScaleTime,
		CurrentMetrics:     metrics,
		Conditions:         hpa.Status.Conditions,
	}
	if rescaled {
		now := metav1.NewTime(c.clock.Now())
		hpa.Status.LastScaleTime = &now
	}
}

// setCondition sets one condition, its transition time moving only when
// its status does.
func setCondition(hpa *autoscalingv2.HorizontalPodAutoscaler, kind autoscalingv2.HorizontalPodAutoscalerConditionType, status corev1.ConditionStatus, reason, format string, args ...interface{}) {
	var cond *autoscalingv2.HorizontalPodAutoscalerCondition
	for i := range hpa.Status.Conditions {
		if hpa.Status.Conditions[i].Type == kind {
			cond = &hpa.Status.Conditions[i]
		}
	}
	if cond == nil {
		hpa.Status.Conditions = append(hpa.Status.Conditions, autoscalingv2.HorizontalPodAutoscalerCondition{Type: kind})
		cond = &hpa.Status.Conditions[len(hpa.Status.Conditions)-1]
	}
	if cond.Status != status {
		cond.LastTransitionTime = metav1.Now()
	}
	cond.Status, cond.Reason, cond.Message = status, reason, fmt.Sprintf(format, args...)
}

// fixedInterval is a rate limiter that always waits the same.
type fixedInterval time.Duration

func (f fixedInterval) When(string) time.Duration { return time.Duration(f) }
func (fixedInterval) Forget(string)               {}
func (fixedInterval) NumRequeues(string) int      { return 1 }
