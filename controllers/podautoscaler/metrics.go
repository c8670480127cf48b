package podautoscaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	resourceclient "k8s.io/metrics/pkg/client/clientset/versioned/typed/metrics/v1beta1"
	customclient "k8s.io/metrics/pkg/client/custom_metrics"
	externalclient "k8s.io/metrics/pkg/client/external_metrics"
)

// podMetric is one pod's figure for a metric, in milli-units (millicores
// for CPU, milli-bytes for memory, as upstream keeps them).
type podMetric struct {
	Timestamp time.Time
	Window    time.Duration
	Value     int64
}

// podMetrics are the figures by pod name.
type podMetrics map[string]podMetric

// MetricsClient is where the controller reads usage: the resource metrics
// API (metrics.k8s.io, which the API server itself serves), and the custom
// and external metrics APIs when an adapter serves them.
type MetricsClient interface {
	// ResourceMetric is each selected pod's usage of resource, summed over
	// its containers, or of the one container named.
	ResourceMetric(ctx context.Context, resource corev1.ResourceName, namespace string, selector labels.Selector, container string) (podMetrics, time.Time, error)
	// PodsMetric is a custom metric of each selected pod.
	PodsMetric(ctx context.Context, metric, namespace string, selector, metricSelector labels.Selector) (podMetrics, time.Time, error)
	// ObjectMetric is a custom metric of one object.
	ObjectMetric(ctx context.Context, metric, namespace string, object *autoscalingv2.CrossVersionObjectReference, metricSelector labels.Selector) (int64, time.Time, error)
	// ExternalMetric is every series of an external metric.
	ExternalMetric(ctx context.Context, metric, namespace string, metricSelector labels.Selector) ([]int64, time.Time, error)
}

// customMetricsWindow is the window a custom metric without one is
// taken to cover (upstream's assumption).
const customMetricsWindow = time.Minute

// RESTMetrics reads the three metrics APIs through their client-go
// clients. Custom or External nil: those APIs are not consulted (an
// autoscaler that asks for them gets an error condition).
type RESTMetrics struct {
	Resource resourceclient.PodMetricsesGetter
	Custom   customclient.CustomMetricsClient
	External externalclient.ExternalMetricsClient
}

var _ MetricsClient = (*RESTMetrics)(nil)

// ResourceMetric lists the pods' metrics. A pod is left out when one of
// its containers has no figure for resource (it is then "missing", which
// the replica count treats cautiously), or, for a container metric, when
// that container has none.
func (m *RESTMetrics) ResourceMetric(ctx context.Context, resource corev1.ResourceName, namespace string, selector labels.Selector, container string) (podMetrics, time.Time, error) {
	list, err := m.Resource.PodMetricses(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unable to fetch metrics from resource metrics API: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from resource metrics API")
	}
	out := make(podMetrics, len(list.Items))
	for _, pod := range list.Items {
		if value, ok := resourceValue(pod, resource, container); ok {
			out[pod.Name] = podMetric{Timestamp: pod.Timestamp.Time, Window: pod.Window.Duration, Value: value}
		}
	}
	return out, list.Items[0].Timestamp.Time, nil
}

// resourceValue is a pod's usage of resource in milli-units: that of
// container, or the sum over all containers (none may lack it).
func resourceValue(pod metricsv1beta1.PodMetrics, resource corev1.ResourceName, container string) (int64, bool) {
	if container != "" {
		for _, c := range pod.Containers {
			if c.Name == container {
				v, ok := c.Usage[resource]
				return v.MilliValue(), ok
			}
		}
		return 0, false
	}
	if len(pod.Containers) == 0 {
		return 0, false
	}
	var sum int64
	for _, c := range pod.Containers {
		v, ok := c.Usage[resource]
		if !ok {
			return 0, false
		}
		sum += v.MilliValue()
	}
	return sum, true
}

// PodsMetric reads custom.metrics.k8s.io for the selected pods.
func (m *RESTMetrics) PodsMetric(_ context.Context, metric, namespace string, selector, metricSelector labels.Selector) (podMetrics, time.Time, error) {
	if m.Custom == nil {
		return nil, time.Time{}, errors.New("unable to fetch metrics from custom metrics API: no custom metrics API is served")
	}
	list, err := m.Custom.NamespacedMetrics(namespace).GetForObjects(schema.GroupKind{Kind: "Pod"}, selector, metric, metricSelector)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unable to fetch metrics from custom metrics API: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from custom metrics API")
	}
	out := make(podMetrics, len(list.Items))
	for _, item := range list.Items {
		window := customMetricsWindow
		if item.WindowSeconds != nil {
			window = time.Duration(*item.WindowSeconds) * time.Second
		}
		out[item.DescribedObject.Name] = podMetric{Timestamp: item.Timestamp.Time, Window: window, Value: item.Value.MilliValue()}
	}
	return out, list.Items[0].Timestamp.Time, nil
}

// ObjectMetric reads custom.metrics.k8s.io for one object; a Namespace is
// always the autoscaler's own (a reference cannot leave it).
func (m *RESTMetrics) ObjectMetric(_ context.Context, metric, namespace string, object *autoscalingv2.CrossVersionObjectReference, metricSelector labels.Selector) (int64, time.Time, error) {
	if m.Custom == nil {
		return 0, time.Time{}, errors.New("unable to fetch metrics from custom metrics API: no custom metrics API is served")
	}
	gk := schema.FromAPIVersionAndKind(object.APIVersion, object.Kind).GroupKind()
	var err error
	var value int64
	var at time.Time
	if gk == (schema.GroupKind{Kind: "Namespace"}) {
		v, e := m.Custom.RootScopedMetrics().GetForObject(gk, namespace, metric, metricSelector)
		if err = e; e == nil {
			value, at = v.Value.MilliValue(), v.Timestamp.Time
		}
	} else {
		v, e := m.Custom.NamespacedMetrics(namespace).GetForObject(gk, object.Name, metric, metricSelector)
		if err = e; e == nil {
			value, at = v.Value.MilliValue(), v.Timestamp.Time
		}
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("unable to fetch metrics from custom metrics API: %w", err)
	}
	return value, at, nil
}

// ExternalMetric reads external.metrics.k8s.io.
func (m *RESTMetrics) ExternalMetric(_ context.Context, metric, namespace string, metricSelector labels.Selector) ([]int64, time.Time, error) {
	if m.External == nil {
		return nil, time.Time{}, errors.New("unable to fetch metrics from external metrics API: no external metrics API is served")
	}
	list, err := m.External.NamespacedMetrics(namespace).List(metric, metricSelector)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unable to fetch metrics from external metrics API: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from external metrics API")
	}
	values := make([]int64, 0, len(list.Items))
	for _, item := range list.Items {
		values = append(values, item.Value.MilliValue())
	}
	return values, list.Items[0].Timestamp.Time, nil
}
