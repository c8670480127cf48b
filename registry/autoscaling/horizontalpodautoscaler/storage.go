// Package horizontalpodautoscaler serves autoscaling horizontalpodautoscalers
// in v2 and v1 from one store of v2 objects.
package horizontalpodautoscaler

import (
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"

	"github.com/kybernetes/kybernetes/apis/autoscaling"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the horizontalpodautoscalers resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get hpa` work.
func (*REST) ShortNames() []string { return []string{"hpa"} }

// Categories puts autoscalers in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// NewREST returns the storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*autoscalingv2.HorizontalPodAutoscaler](scheme.Scheme, true)
	s.ValidateObject = autoscaling.ValidateHorizontalPodAutoscaler
	s.ValidateObjectUpdate = autoscaling.ValidateHorizontalPodAutoscalerUpdate
	// Generation moves with the spec, so that the controller (and
	// status.observedGeneration) can tell a new spec from a status write.
	status := s.SplitStatus("autoscaling/v2", true)
	status.ValidateObjectUpdate = autoscaling.ValidateHorizontalPodAutoscalerStatusUpdate
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   autoscalingv2.Resource("horizontalpodautoscalers"),
		Singular: autoscalingv2.Resource("horizontalpodautoscaler"),
		New:      func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
		NewList:  func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscalerList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Reference", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["scaleTargetRef"]},
	{Name: "Targets", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["metrics"]},
	{Name: "MinPods", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["minReplicas"]},
	{Name: "MaxPods", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["maxReplicas"]},
	{Name: "Replicas", Type: "string", Description: autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]},
	tables.Age,
}, func(hpa *autoscalingv2.HorizontalPodAutoscaler) []interface{} {
	ref := hpa.Spec.ScaleTargetRef.Kind + "/" + hpa.Spec.ScaleTargetRef.Name
	min := "<unset>"
	if hpa.Spec.MinReplicas != nil {
		min = fmt.Sprint(*hpa.Spec.MinReplicas)
	}
	return []interface{}{hpa.Name, ref, targets(hpa), min, int64(hpa.Spec.MaxReplicas), int64(hpa.Status.CurrentReplicas),
		tables.Since(hpa.CreationTimestamp)}
})

// targets prints "current/target" for the first two metrics, as kubectl
// shows them ("cpu: 73%/50%", "<unknown>" before the first reading,
// "(avg)" for per-pod targets of one figure), and how many more there are.
func targets(hpa *autoscalingv2.HorizontalPodAutoscaler) string {
	if len(hpa.Spec.Metrics) == 0 {
		return "<none>"
	}
	var out []string
	for i, m := range hpa.Spec.Metrics {
		var status autoscalingv2.MetricStatus
		if i < len(hpa.Status.CurrentMetrics) {
			status = hpa.Status.CurrentMetrics[i]
		}
		out = append(out, metricTarget(m, status))
	}
	const shown = 2
	if len(out) > shown {
		return fmt.Sprintf("%s + %d more...", strings.Join(out[:shown], ", "), len(out)-shown)
	}
	return strings.Join(out, ", ")
}

// metricTarget is one metric's "current/target".
func metricTarget(m autoscalingv2.MetricSpec, status autoscalingv2.MetricStatus) string {
	quantity := func(q *resource.Quantity) string {
		if q == nil {
			return "<unknown>"
		}
		return q.String()
	}
	percent := func(p *int32) string {
		if p == nil {
			return "<unknown>"
		}
		return fmt.Sprintf("%d%%", *p)
	}
	// resource is a (container) resource metric: by average value, or by
	// utilization ("<auto>" with neither).
	resourceTarget := func(name corev1.ResourceName, target autoscalingv2.MetricTarget, current *autoscalingv2.MetricValueStatus) string {
		if target.AverageValue != nil {
			var q *resource.Quantity
			if current != nil {
				q = current.AverageValue
			}
			return fmt.Sprintf("%s: %s/%s", name, quantity(q), target.AverageValue.String())
		}
		var p *int32
		if current != nil {
			p = current.AverageUtilization
		}
		want := "<auto>"
		if target.AverageUtilization != nil {
			want = percent(target.AverageUtilization)
		}
		return fmt.Sprintf("%s: %s/%s", name, percent(p), want)
	}
	// single is a metric of one figure (external, object): by value, or
	// by average per pod.
	single := func(target autoscalingv2.MetricTarget, current *autoscalingv2.MetricValueStatus) string {
		if target.AverageValue != nil {
			var q *resource.Quantity
			if current != nil {
				q = current.AverageValue
			}
			return fmt.Sprintf("%s/%s (avg)", quantity(q), target.AverageValue.String())
		}
		var q *resource.Quantity
		if current != nil {
			q = current.Value
		}
		return fmt.Sprintf("%s/%s", quantity(q), quantity(target.Value))
	}
	switch {
	case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil:
		var current *autoscalingv2.MetricValueStatus
		if status.Resource != nil {
			current = &status.Resource.Current
		}
		return resourceTarget(m.Resource.Name, m.Resource.Target, current)
	case m.Type == autoscalingv2.ContainerResourceMetricSourceType && m.ContainerResource != nil:
		var current *autoscalingv2.MetricValueStatus
		if status.ContainerResource != nil {
			current = &status.ContainerResource.Current
		}
		return resourceTarget(m.ContainerResource.Name, m.ContainerResource.Target, current)
	case m.Type == autoscalingv2.PodsMetricSourceType && m.Pods != nil:
		var q *resource.Quantity
		if status.Pods != nil {
			q = status.Pods.Current.AverageValue
		}
		return fmt.Sprintf("%s/%s", quantity(q), quantity(m.Pods.Target.AverageValue))
	case m.Type == autoscalingv2.ObjectMetricSourceType && m.Object != nil:
		var current *autoscalingv2.MetricValueStatus
		if status.Object != nil {
			current = &status.Object.Current
		}
		return single(m.Object.Target, current)
	case m.Type == autoscalingv2.ExternalMetricSourceType && m.External != nil:
		var current *autoscalingv2.MetricValueStatus
		if status.External != nil {
			current = &status.External.Current
		}
		return single(m.External.Target, current)
	}
	return "<unknown type>"
}
