package podautoscaler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	corelisters "k8s.io/client-go/listers/core/v1"
	resourcehelpers "k8s.io/component-helpers/resource"
	"k8s.io/utils/clock"
)

// tolerances are how far below (down) and above (up) 1 the ratio of
// usage to target may be before the replica count changes.
type tolerances struct{ down, up float64 }

func (t tolerances) within(ratio float64) bool { return 1-t.down <= ratio && ratio <= 1+t.up }

// calculator turns a metric's figures into a replica count, as upstream's
// replica calculator does: the usage ratio times the pods that reported,
// with pods not yet ready and pods without figures counted so that they
// can only damp a change, never cause or reverse one.
type calculator struct {
	metrics MetricsClient
	pods    corelisters.PodLister
	clock   clock.PassiveClock
	// cpuInitializationPeriod is how long after a pod starts its CPU
	// figures are trusted only once it is ready and a full window has
	// passed since; initialReadinessDelay is how long after the start a
	// pod that is not ready is taken to be still starting.
	cpuInitializationPeriod, initialReadinessDelay time.Duration
}

// podGroups sorts the selected pods for one metric.
type podGroups struct {
	ready                     int
	unready, missing, ignored sets.Set[string]
}

// group sorts pods into those whose figures count (ready), those not yet
// ready (Pending, or for CPU still starting), those without figures, and
// those ignored (being deleted, or failed).
func (c *calculator) group(pods []*corev1.Pod, metrics podMetrics, resource corev1.ResourceName) podGroups {
	g := podGroups{unready: sets.New[string](), missing: sets.New[string](), ignored: sets.New[string]()}
	now := c.clock.Now()
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodFailed {
			g.ignored.Insert(pod.Name)
			continue
		}
		if pod.Status.Phase == corev1.PodPending {
			g.unready.Insert(pod.Name)
			continue
		}
		metric, found := metrics[pod.Name]
		if !found {
			g.missing.Insert(pod.Name)
			continue
		}
		if resource == corev1.ResourceCPU && c.cpuNotYetTrusted(pod, metric, now) {
			g.unready.Insert(pod.Name)
			continue
		}
		g.ready++
	}
	return g
}

// cpuNotYetTrusted says whether a pod's CPU figure may be start-up noise:
// within the initialization period, the pod is not ready or its readiness
// changed less than one metric window before the figure; after it, the
// pod is not ready and has never been.
func (c *calculator) cpuNotYetTrusted(pod *corev1.Pod, metric podMetric, now time.Time) bool {
	var ready *corev1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			ready = &pod.Status.Conditions[i]
		}
	}
	if ready == nil || pod.Status.StartTime == nil {
		return true
	}
	started := pod.Status.StartTime.Time
	if started.Add(c.cpuInitializationPeriod).After(now) {
		return ready.Status == corev1.ConditionFalse || metric.Timestamp.Before(ready.LastTransitionTime.Add(metric.Window))
	}
	return ready.Status == corev1.ConditionFalse && started.Add(c.initialReadinessDelay).After(ready.LastTransitionTime.Time)
}

// usageRatio is the ratio of usage to target over a set of figures.
type usageRatio func(podMetrics) (float64, error)

// adjusted is the replica count from figures and a ratio function, once
// the pods without figures and those not ready are accounted for: on a
// scale-up they count as using nothing, on a scale-down pods without
// figures count as using missingOnScaleDown; if that changes the
// direction, or the change falls within tolerance, nothing changes.
func adjusted(current int32, g podGroups, metrics podMetrics, ratioOf usageRatio, ratio float64, missingOnScaleDown func(pod string) int64, tol tolerances) (int32, error) {
	scaleUpWithUnready := g.unready.Len() > 0 && ratio > 1
	if !scaleUpWithUnready && g.missing.Len() == 0 {
		if tol.within(ratio) {
			return current, nil
		}
		return int32(math.Ceil(ratio * float64(g.ready))), nil
	}
	for pod := range g.missing {
		switch {
		case ratio < 1:
			metrics[pod] = podMetric{Value: missingOnScaleDown(pod)}
		case ratio > 1:
			metrics[pod] = podMetric{Value: 0}
		}
	}
	if scaleUpWithUnready {
		for pod := range g.unready {
			metrics[pod] = podMetric{Value: 0}
		}
	}
	newRatio, err := ratioOf(metrics)
	if err != nil {
		return 0, err
	}
	if tol.within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
		return current, nil
	}
	replicas := int32(math.Ceil(newRatio * float64(len(metrics))))
	if (newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current) {
		return current, nil
	}
	return replicas, nil
}

// selectedPods lists the pods of selector; none is an error.
func (c *calculator) selectedPods(namespace string, selector labels.Selector) ([]*corev1.Pod, error) {
	pods, err := c.pods.Pods(namespace).List(selector)
	if err != nil {
		return nil, fmt.Errorf("unable to get pods while calculating replica count: %w", err)
	}
	if len(pods) == 0 {
		return nil, errors.New("no pods returned by selector while calculating replica count")
	}
	return pods, nil
}

// utilizationReplicas is the count for a Utilization target: usage as a
// percentage of the pods' requests. It also returns the utilization and
// the average raw usage (milli-units) for the status.
func (c *calculator) utilizationReplicas(ctx context.Context, current, target int32, resource corev1.ResourceName, tol tolerances,
	namespace string, selector labels.Selector, container string) (int32, int32, int64, time.Time, error) {
	metrics, at, err := c.metrics.ResourceMetric(ctx, resource, namespace, selector, container)
	if err != nil {
		return 0, 0, 0, time.Time{}, fmt.Errorf("unable to get metrics for resource %s: %w", resource, err)
	}
	pods, err := c.selectedPods(namespace, selector)
	if err != nil {
		return 0, 0, 0, time.Time{}, err
	}
	g := c.group(pods, metrics, resource)
	deleteAll(metrics, g.ignored, g.unready)
	if len(metrics) == 0 {
		return 0, 0, 0, time.Time{}, errors.New("did not receive metrics for targeted pods (pods might be unready)")
	}
	requests, err := podRequests(pods, container, resource)
	if err != nil {
		return 0, 0, 0, time.Time{}, err
	}
	utilization, average, err := utilizationOf(metrics, requests)
	if err != nil {
		return 0, 0, 0, time.Time{}, err
	}
	ratioOf := func(m podMetrics) (float64, error) {
		u, _, err := utilizationOf(m, requests)
		return float64(u) / float64(target), err
	}
	fallback := int64(max(100, target))
	replicas, err := adjusted(current, g, metrics, ratioOf, float64(utilization)/float64(target),
		func(pod string) int64 { return requests[pod] * fallback / 100 }, tol)
	if err != nil {
		return 0, utilization, average, time.Time{}, err
	}
	return replicas, utilization, average, at, nil
}

// utilizationOf is the whole-percent utilization of the pods that have
// both a figure and a request, and their average usage.
func utilizationOf(metrics podMetrics, requests map[string]int64) (int32, int64, error) {
	var used, requested int64
	n := 0
	for pod, m := range metrics {
		request, ok := requests[pod]
		if !ok {
			continue
		}
		used += m.Value
		requested += request
		n++
	}
	if requested == 0 {
		return 0, 0, errors.New("no metrics returned matched known pods")
	}
	return int32(used * 100 / requested), used / int64(n), nil
}

// averageReplicas is the count for an AverageValue target over per-pod
// figures (a resource's raw usage, or a pods metric): resource names the
// resource, for CPU's start-up rules, or is empty.
func (c *calculator) averageReplicas(metrics podMetrics, current int32, target int64, resource corev1.ResourceName, tol tolerances,
	namespace string, selector labels.Selector) (int32, int64, error) {
	pods, err := c.selectedPods(namespace, selector)
	if err != nil {
		return 0, 0, err
	}
	g := c.group(pods, metrics, resource)
	deleteAll(metrics, g.ignored, g.unready)
	if len(metrics) == 0 {
		return 0, 0, errors.New("did not receive metrics for targeted pods (pods might be unready)")
	}
	average := averageOf(metrics)
	ratioOf := func(m podMetrics) (float64, error) { return float64(averageOf(m)) / float64(target), nil }
	replicas, err := adjusted(current, g, metrics, ratioOf, float64(average)/float64(target), func(string) int64 { return target }, tol)
	return replicas, average, err
}

func averageOf(metrics podMetrics) int64 {
	var sum int64
	for _, m := range metrics {
		sum += m.Value
	}
	return sum / int64(len(metrics))
}

// rawResourceReplicas is the count for a resource's AverageValue target.
func (c *calculator) rawResourceReplicas(ctx context.Context, current int32, target int64, resource corev1.ResourceName, tol tolerances,
	namespace string, selector labels.Selector, container string) (int32, int64, time.Time, error) {
	metrics, at, err := c.metrics.ResourceMetric(ctx, resource, namespace, selector, container)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metrics for resource %s: %w", resource, err)
	}
	replicas, average, err := c.averageReplicas(metrics, current, target, resource, tol, namespace, selector)
	return replicas, average, at, err
}

// podsMetricReplicas is the count for a Pods metric's AverageValue target.
func (c *calculator) podsMetricReplicas(ctx context.Context, current int32, target int64, metric string, tol tolerances,
	namespace string, selector, metricSelector labels.Selector) (int32, int64, time.Time, error) {
	metrics, at, err := c.metrics.PodsMetric(ctx, metric, namespace, selector, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metric %s: %w", metric, err)
	}
	replicas, average, err := c.averageReplicas(metrics, current, target, "", tol, namespace, selector)
	return replicas, average, at, err
}

// totalRatioReplicas is the count for a target on one total figure (an
// object's Value, an external metric's Value): the ready pods times the
// ratio; from zero replicas, the ratio rounded up.
func (c *calculator) totalRatioReplicas(current int32, ratio float64, tol tolerances, namespace string, selector labels.Selector) (int32, error) {
	if current == 0 {
		return int32(math.Ceil(ratio)), nil
	}
	if tol.within(ratio) {
		return current, nil
	}
	pods, err := c.selectedPods(namespace, selector)
	if err != nil {
		return 0, fmt.Errorf("unable to calculate ready pods: %s", err)
	}
	ready := 0
	for _, pod := range pods {
		if pod.Status.Phase == corev1.PodRunning && isReady(pod) {
			ready++
		}
	}
	return clampInt32(math.Ceil(ratio * float64(ready))), nil
}

// perPodReplicas is the count for an AverageValue target on one total
// figure: the total over the target, when the change is beyond tolerance.
// It returns the per-pod average for the status.
func perPodReplicas(statusReplicas int32, total, target int64, tol tolerances) (int32, int64) {
	replicas := statusReplicas
	if !tol.within(float64(total) / (float64(target) * float64(statusReplicas))) {
		replicas = clampInt32(math.Ceil(float64(total) / float64(target)))
	}
	if statusReplicas == 0 {
		return replicas, total
	}
	return replicas, int64(math.Ceil(float64(total) / float64(statusReplicas)))
}

func clampInt32(f float64) int32 {
	if f > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(f)
}

func isReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// objectReplicas is the count for an Object metric.
func (c *calculator) objectReplicas(ctx context.Context, specReplicas, statusReplicas int32, spec *autoscalingv2.ObjectMetricSource, tol tolerances,
	namespace string, selector, metricSelector labels.Selector) (int32, int64, time.Time, error) {
	value, at, err := c.metrics.ObjectMetric(ctx, spec.Metric.Name, namespace, &spec.DescribedObject, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metric %s on %s %s/%s: %w", spec.Metric.Name, spec.DescribedObject.Kind, namespace, spec.DescribedObject.Name, err)
	}
	switch {
	case spec.Target.Type == autoscalingv2.ValueMetricType && spec.Target.Value != nil:
		replicas, err := c.totalRatioReplicas(specReplicas, float64(value)/float64(spec.Target.Value.MilliValue()), tol, namespace, selector)
		return replicas, value, at, err
	case spec.Target.Type == autoscalingv2.AverageValueMetricType && spec.Target.AverageValue != nil:
		replicas, average := perPodReplicas(statusReplicas, value, spec.Target.AverageValue.MilliValue(), tol)
		return replicas, average, at, nil
	}
	return 0, 0, time.Time{}, errors.New("invalid object metric source: neither a value target nor an average value target was set")
}

// externalReplicas is the count for an External metric: the sum of its
// series against the target.
func (c *calculator) externalReplicas(ctx context.Context, specReplicas, statusReplicas int32, spec *autoscalingv2.ExternalMetricSource, tol tolerances,
	namespace string, selector, metricSelector labels.Selector) (int32, int64, time.Time, error) {
	values, at, err := c.metrics.ExternalMetric(ctx, spec.Metric.Name, namespace, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get external metric %s/%s/%+v: %s", namespace, spec.Metric.Name, spec.Metric.Selector, err)
	}
	var total int64
	for _, v := range values {
		if v > 0 && total > math.MaxInt64-v {
			total = math.MaxInt64
			break
		}
		total += v
	}
	switch {
	case spec.Target.AverageValue != nil:
		replicas, average := perPodReplicas(statusReplicas, total, spec.Target.AverageValue.MilliValue(), tol)
		return replicas, average, at, nil
	case spec.Target.Value != nil:
		replicas, err := c.totalRatioReplicas(specReplicas, float64(total)/float64(spec.Target.Value.MilliValue()), tol, namespace, selector)
		return replicas, total, at, err
	}
	return 0, 0, time.Time{}, errors.New("invalid external metric source: neither a value target nor an average value target was set")
}

// podRequests is each pod's request of resource in milli-units: of the
// one container named; else the pod-level request when the pod has one;
// else the sum over its containers and sidecars (restartable init
// containers), none of which may lack it.
func podRequests(pods []*corev1.Pod, container string, resource corev1.ResourceName) (map[string]int64, error) {
	requests := make(map[string]int64, len(pods))
	for _, pod := range pods {
		if container == "" && resourcehelpers.IsPodLevelRequestsSet(pod) {
			q, ok := resourcehelpers.PodRequests(pod, resourcehelpers.PodResourcesOptions{})[resource]
			if !ok {
				return nil, fmt.Errorf("missing pod-level request for %s in Pod %s", resource, pod.Name)
			}
			requests[pod.Name] = q.MilliValue()
			continue
		}
		containers := append([]corev1.Container{}, pod.Spec.Containers...)
		for _, c := range pod.Spec.InitContainers {
			if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				containers = append(containers, c)
			}
		}
		var sum int64
		found := false
		for _, c := range containers {
			if container != "" && c.Name != container {
				continue
			}
			q, ok := c.Resources.Requests[resource]
			if !ok {
				return nil, fmt.Errorf("missing request for %s in container %s of Pod %s", resource, c.Name, pod.Name)
			}
			sum += q.MilliValue()
			found = true
		}
		if container != "" && !found {
			return nil, fmt.Errorf("container %s not found in Pod %s", container, pod.Name)
		}
		requests[pod.Name] = sum
	}
	return requests, nil
}

func deleteAll(metrics podMetrics, groups ...sets.Set[string]) {
	for _, g := range groups {
		for pod := range g {
			delete(metrics, pod)
		}
	}
}
