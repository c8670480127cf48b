package horizontalpodautoscaler

import (
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

// The TARGETS column as kubectl prints it for each kind of metric.
func TestTargetsColumn(t *testing.T) {
	q := func(s string) *resource.Quantity { return ptr.To(resource.MustParse(s)) }
	cpu := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)}}}
	memory := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("200Mi")}}}
	external := autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: "queue"}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: q("30")}}}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: []autoscalingv2.MetricSpec{cpu, memory}}}
	if got := targets(hpa); got != "cpu: <unknown>/50%, memory: <unknown>/200Mi" {
		t.Errorf("before a reading: %q", got)
	}
	hpa.Status.CurrentMetrics = []autoscalingv2.MetricStatus{
		{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{Name: corev1.ResourceCPU,
			Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr.To[int32](73), AverageValue: q("73m")}}},
		{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{Name: corev1.ResourceMemory,
			Current: autoscalingv2.MetricValueStatus{AverageValue: q("120Mi")}}},
	}
	if got := targets(hpa); got != "cpu: 73%/50%, memory: 120Mi/200Mi" {
		t.Errorf("with readings: %q", got)
	}
	hpa.Spec.Metrics = append(hpa.Spec.Metrics, external)
	if got := targets(hpa); got != "cpu: 73%/50%, memory: 120Mi/200Mi + 1 more..." {
		t.Errorf("three metrics: %q", got)
	}
	hpa.Spec.Metrics, hpa.Status.CurrentMetrics = []autoscalingv2.MetricSpec{external}, nil
	if got := targets(hpa); got != "<unknown>/30 (avg)" {
		t.Errorf("external per pod: %q", got)
	}
}
