package podautoscaler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// replicasForMetrics is the highest count any metric asks for, with the
// metric that asked, and each metric's status. When every metric fails,
// or some fail and the others would scale down, the count is -1 and the
// ScalingActive condition is the first failure's; when some fail and the
// others scale up, the count is returned with the error.
func (c *Controller) replicasForMetrics(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler, target *autoscalingv1.Scale) (int32, string, []autoscalingv2.MetricStatus, error) {
	selector, err := c.selector(hpa, target.Status.Selector)
	if err != nil {
		return -1, "", nil, err
	}
	statuses := make([]autoscalingv2.MetricStatus, len(hpa.Spec.Metrics))
	var (
		replicas     int32
		metric       string
		invalid      int
		firstErr     error
		firstFailure failure
	)
	for i, spec := range hpa.Spec.Metrics {
		proposed, name, failed, err := c.replicasForMetric(ctx, hpa, spec, target, selector, &statuses[i])
		if err != nil {
			if invalid == 0 {
				firstErr, firstFailure = err, failed
			}
			invalid++
			continue
		}
		if replicas == 0 || proposed > replicas {
			replicas, metric = proposed, name
		}
	}
	if invalid > 0 {
		err = fmt.Errorf("invalid metrics (%v invalid out of %v), first error is: %w", invalid, len(hpa.Spec.Metrics), firstErr)
		if invalid == len(hpa.Spec.Metrics) || replicas < target.Spec.Replicas {
			setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, firstFailure.reason, "the HPA was unable to compute the replica count: %v", firstFailure.err)
			return -1, "", statuses, err
		}
	}
	setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionTrue, "ValidMetricFound", "the HPA was able to successfully calculate a replica count from %s", metric)
	return replicas, metric, statuses, err
}

// selector parses the target's pod selector, and refuses one whose pods
// another autoscaler also selects (two autoscalers would fight over them).
func (c *Controller) selector(hpa *autoscalingv2.HorizontalPodAutoscaler, raw string) (labels.Selector, error) {
	if raw == "" {
		c.recorder.Event(hpa, corev1.EventTypeWarning, "SelectorRequired", "selector is required")
		setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, "InvalidSelector", "the HPA target's scale is missing a selector")
		return nil, errors.New("selector is required")
	}
	selector, err := labels.Parse(raw)
	if err != nil {
		msg := fmt.Sprintf("couldn't convert selector into a corresponding internal selector object: %v", err)
		c.recorder.Event(hpa, corev1.EventTypeWarning, "InvalidSelector", msg)
		setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, "InvalidSelector", "%s", msg)
		return nil, errors.New(msg)
	}
	key := hpa.Namespace + "/" + hpa.Name
	pods, err := c.pods.Pods(hpa.Namespace).List(selector)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.selectors[key] = selector
	var others []string
	for other, s := range c.selectors {
		if other == key || !strings.HasPrefix(other, hpa.Namespace+"/") {
			continue
		}
		for _, pod := range pods {
			if s.Matches(labels.Set(pod.Labels)) {
				others = append(others, other)
				break
			}
		}
	}
	c.mu.Unlock()
	if len(others) > 0 {
		sort.Strings(others)
		msg := fmt.Sprintf("pods by selector %v are controlled by more than one HPA (e.g. %v)", raw, append([]string{key}, others[0]))
		c.recorder.Event(hpa, corev1.EventTypeWarning, "AmbiguousSelector", msg)
		setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, "AmbiguousSelector", "%s", msg)
		return nil, errors.New(msg)
	}
	return selector, nil
}

// failure is why one metric gave no count: the reason of its event and
// of the ScalingActive condition, and the error they tell.
type failure struct {
	reason string
	err    error
}

// replicasForMetric is one metric's count, its description ("cpu resource
// utilization (percentage of request)") and status; on failure, an event
// and the failure for the condition.
func (c *Controller) replicasForMetric(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler, spec autoscalingv2.MetricSpec,
	target *autoscalingv1.Scale, selector labels.Selector, status *autoscalingv2.MetricStatus) (int32, string, failure, error) {
	tol := c.tolerances(hpa)
	specReplicas, statusReplicas := target.Spec.Replicas, target.Status.Replicas
	fail := func(reason string, err error, wrap string) (int32, string, failure, error) {
		c.recorder.Event(hpa, corev1.EventTypeWarning, reason, err.Error())
		return 0, "", failure{reason, err}, fmt.Errorf(wrap+": %w", err)
	}
	switch spec.Type {
	case autoscalingv2.ResourceMetricSourceType:
		if spec.Resource == nil {
			break
		}
		replicas, current, name, err := c.resourceReplicas(ctx, hpa, specReplicas, spec.Resource.Target, spec.Resource.Name, "", selector, tol)
		if err != nil {
			return fail("FailedGetResourceMetric", err, fmt.Sprintf("failed to get %s resource metric value", spec.Resource.Name))
		}
		*status = autoscalingv2.MetricStatus{Type: spec.Type, Resource: &autoscalingv2.ResourceMetricStatus{Name: spec.Resource.Name, Current: current}}
		return replicas, name, failure{}, nil
	case autoscalingv2.ContainerResourceMetricSourceType:
		if spec.ContainerResource == nil {
			break
		}
		m := spec.ContainerResource
		replicas, current, name, err := c.resourceReplicas(ctx, hpa, specReplicas, m.Target, m.Name, m.Container, selector, tol)
		if err != nil {
			return fail("FailedGetContainerResourceMetric", err, fmt.Sprintf("failed to get %s container metric value", m.Container))
		}
		*status = autoscalingv2.MetricStatus{Type: spec.Type, ContainerResource: &autoscalingv2.ContainerResourceMetricStatus{Name: m.Name, Container: m.Container, Current: current}}
		return replicas, name, failure{}, nil
	case autoscalingv2.PodsMetricSourceType:
		if spec.Pods == nil || spec.Pods.Target.AverageValue == nil {
			break
		}
		m := spec.Pods
		metricSelector, err := metav1.LabelSelectorAsSelector(m.Metric.Selector)
		if err != nil {
			return fail("FailedGetPodsMetric", err, "failed to get pods metric value")
		}
		replicas, average, _, err := c.calc.podsMetricReplicas(ctx, specReplicas, m.Target.AverageValue.MilliValue(), m.Metric.Name, tol, hpa.Namespace, selector, metricSelector)
		if err != nil {
			return fail("FailedGetPodsMetric", err, "failed to get pods metric value")
		}
		*status = autoscalingv2.MetricStatus{Type: spec.Type, Pods: &autoscalingv2.PodsMetricStatus{Metric: m.Metric,
			Current: autoscalingv2.MetricValueStatus{AverageValue: resource.NewMilliQuantity(average, resource.DecimalSI)}}}
		return replicas, "pods metric " + m.Metric.Name, failure{}, nil
	case autoscalingv2.ObjectMetricSourceType:
		if spec.Object == nil {
			break
		}
		m := spec.Object
		metricSelector, err := metav1.LabelSelectorAsSelector(m.Metric.Selector)
		if err != nil {
			return fail("FailedGetObjectMetric", err, "failed to get object metric value")
		}
		replicas, value, _, err := c.calc.objectReplicas(ctx, specReplicas, statusReplicas, m, tol, hpa.Namespace, selector, metricSelector)
		if err != nil {
			return fail("FailedGetObjectMetric", err, "failed to get object metric value")
		}
		current := autoscalingv2.MetricValueStatus{Value: resource.NewMilliQuantity(value, resource.DecimalSI)}
		if m.Target.Type == autoscalingv2.AverageValueMetricType {
			current = autoscalingv2.MetricValueStatus{AverageValue: resource.NewMilliQuantity(value, resource.DecimalSI)}
		}
		*status = autoscalingv2.MetricStatus{Type: spec.Type, Object: &autoscalingv2.ObjectMetricStatus{DescribedObject: m.DescribedObject, Metric: m.Metric, Current: current}}
		return replicas, fmt.Sprintf("%s metric %s", m.DescribedObject.Kind, m.Metric.Name), failure{}, nil
	case autoscalingv2.ExternalMetricSourceType:
		if spec.External == nil {
			break
		}
		m := spec.External
		metricSelector, err := metav1.LabelSelectorAsSelector(m.Metric.Selector)
		if err != nil {
			return fail("FailedGetExternalMetric", err, fmt.Sprintf("failed to get %s external metric value", m.Metric.Name))
		}
		replicas, value, _, err := c.calc.externalReplicas(ctx, specReplicas, statusReplicas, m, tol, hpa.Namespace, selector, metricSelector)
		if err != nil {
			return fail("FailedGetExternalMetric", err, fmt.Sprintf("failed to get %s external metric value", m.Metric.Name))
		}
		current := autoscalingv2.MetricValueStatus{Value: resource.NewMilliQuantity(value, resource.DecimalSI)}
		if m.Target.AverageValue != nil {
			current = autoscalingv2.MetricValueStatus{AverageValue: resource.NewMilliQuantity(value, resource.DecimalSI)}
		}
		*status = autoscalingv2.MetricStatus{Type: spec.Type, External: &autoscalingv2.ExternalMetricStatus{Metric: m.Metric, Current: current}}
		return replicas, fmt.Sprintf("external metric %s(%+v)", m.Metric.Name, m.Metric.Selector), failure{}, nil
	}
	// Validation refuses these; an object stored before it did gets a
	// condition, not a crash.
	err := fmt.Errorf("unknown metric source type %q or a source without its target", spec.Type)
	return fail("InvalidMetricSourceType", err, "invalid metric")
}

// resourceReplicas is the count for a resource or container resource
// metric, by utilization of requests or by average value.
func (c *Controller) resourceReplicas(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler, current int32, target autoscalingv2.MetricTarget,
	name corev1.ResourceName, container string, selector labels.Selector, tol tolerances) (int32, autoscalingv2.MetricValueStatus, string, error) {
	if target.AverageValue != nil {
		replicas, average, _, err := c.calc.rawResourceReplicas(ctx, current, target.AverageValue.MilliValue(), name, tol, hpa.Namespace, selector, container)
		if err != nil {
			return 0, autoscalingv2.MetricValueStatus{}, "", fmt.Errorf("failed to get %s usage: %w", name, err)
		}
		q := quantity(name, average)
		return replicas, autoscalingv2.MetricValueStatus{AverageValue: &q}, fmt.Sprintf("%s resource", name), nil
	}
	if target.AverageUtilization == nil {
		return 0, autoscalingv2.MetricValueStatus{}, "", errors.New("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set")
	}
	replicas, utilization, average, _, err := c.calc.utilizationReplicas(ctx, current, *target.AverageUtilization, name, tol, hpa.Namespace, selector, container)
	if err != nil {
		return 0, autoscalingv2.MetricValueStatus{}, "", fmt.Errorf("failed to get %s utilization: %w", name, err)
	}
	description := fmt.Sprintf("%s resource utilization (percentage of request)", name)
	if container != "" {
		description = fmt.Sprintf("%s container resource utilization (percentage of request)", name)
	}
	q := quantity(name, average)
	return replicas, autoscalingv2.MetricValueStatus{AverageUtilization: &utilization, AverageValue: &q}, description, nil
}

// quantity prints memory in binary units and the rest in milli-units, as
// metrics-server does.
func quantity(name corev1.ResourceName, milli int64) resource.Quantity {
	format := resource.DecimalSI
	if name == corev1.ResourceMemory {
		format = resource.BinarySI
	}
	return *resource.NewMilliQuantity(milli, format)
}

// tolerances are the controller's, unless the behavior sets its own.
func (c *Controller) tolerances(hpa *autoscalingv2.HorizontalPodAutoscaler) tolerances {
	t := tolerances{c.opts.Tolerance, c.opts.Tolerance}
	if b := hpa.Spec.Behavior; b != nil {
		if b.ScaleDown != nil && b.ScaleDown.Tolerance != nil {
			t.down = b.ScaleDown.Tolerance.AsApproximateFloat64()
		}
		if b.ScaleUp != nil && b.ScaleUp.Tolerance != nil {
			t.up = b.ScaleUp.Tolerance.AsApproximateFloat64()
		}
	}
	return t
}
