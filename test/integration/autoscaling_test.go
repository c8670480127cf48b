package integration

import (
	"context"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// One stored autoscaler, both versions served: a v2 object with a metric v1
// cannot express survives being read and written back through v1.
func TestHorizontalPodAutoscalerVersionsRoundTrip(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	v2 := shared.Client.AutoscalingV2().HorizontalPodAutoscalers(ns)
	v1 := shared.Client.AutoscalingV1().HorizontalPodAutoscalers(ns)

	memory := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("200Mi"))}}}
	cpu := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](60)}}}
	_, err := v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MaxReplicas:    5, Metrics: []autoscalingv2.MetricSpec{cpu, memory},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The autoscaler controller writes status (the target is missing) as
	// the test reads and writes: a conflict means read again.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		old, err := v1.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if ptr.Deref(old.Spec.TargetCPUUtilizationPercentage, 0) != 60 || *old.Spec.MinReplicas != 1 ||
			old.Annotations["autoscaling.alpha.kubernetes.io/metrics"] == "" {
			t.Fatalf("v1 view: %+v annotations %v", old.Spec, old.Annotations)
		}
		old.Spec.MaxReplicas = 7
		_, err = v1.Update(ctx, old, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	back, err := v2.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if back.Spec.MaxReplicas != 7 || len(back.Spec.Metrics) != 2 || back.Spec.Metrics[1].Resource.Name != corev1.ResourceMemory ||
		len(back.Annotations) != 0 {
		t.Fatalf("v2 after a v1 round trip: %+v annotations %v", back.Spec, back.Annotations)
	}

	// A v1 autoscaler without a target gets v2's default of 80% CPU.
	created, err := v1.Create(ctx, &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "plain"},
		Spec: autoscalingv1.HorizontalPodAutoscalerSpec{MaxReplicas: 3,
			ScaleTargetRef: autoscalingv1.CrossVersionObjectReference{Kind: "Deployment", Name: "plain"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ptr.Deref(created.Spec.TargetCPUUtilizationPercentage, 0) != 80 {
		t.Fatalf("default target: %v", created.Spec.TargetCPUUtilizationPercentage)
	}

	_, err = v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: ptr.To[int32](4), MaxReplicas: 2}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.maxReplicas")
	assertInvalid(t, err, "spec.scaleTargetRef.kind")
}

// A behavior is completed with upstream's defaults (the scale-down window
// left to the controller's flag); a bad one is refused with field paths.
func TestHorizontalPodAutoscalerBehavior(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	v2 := shared.Client.AutoscalingV2().HorizontalPodAutoscalers(ns)
	ref := autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
	created, err := v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: ref, MaxReplicas: 3,
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](60)}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := created.Spec.Behavior
	if b.ScaleUp == nil || ptr.Deref(b.ScaleUp.StabilizationWindowSeconds, -1) != 0 || len(b.ScaleUp.Policies) != 2 ||
		ptr.Deref(b.ScaleDown.StabilizationWindowSeconds, 0) != 60 || len(b.ScaleDown.Policies) != 1 ||
		b.ScaleDown.Policies[0] != (autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}) ||
		ptr.Deref(b.ScaleDown.SelectPolicy, "") != autoscalingv2.MaxChangePolicySelect {
		t.Errorf("defaulted behavior: %+v / %+v", b.ScaleUp, b.ScaleDown)
	}
	if created.Generation != 1 {
		t.Errorf("generation %d, want 1", created.Generation)
	}
	updated, err := updateLatest(ctx, "web", v2.Get, v2.Update, func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 4 })
	if err != nil || updated.Generation != 2 {
		t.Fatalf("a spec change: generation %d, %v", updated.Generation, err)
	}

	bad := []autoscalingv2.HPAScalingPolicy{{Type: "Fast", Value: 0, PeriodSeconds: 1801}}
	_, err = v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: ref, MaxReplicas: 3,
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp:   &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](3601), Policies: bad},
				ScaleDown: &autoscalingv2.HPAScalingRules{SelectPolicy: ptr.To[autoscalingv2.ScalingPolicySelect]("Sometimes")},
			}}}, metav1.CreateOptions{})
	for _, path := range []string{"spec.behavior.scaleUp.stabilizationWindowSeconds", "spec.behavior.scaleUp.policies[0].type",
		"spec.behavior.scaleUp.policies[0].value", "spec.behavior.scaleUp.policies[0].periodSeconds", "spec.behavior.scaleDown.selectPolicy"} {
		assertInvalid(t, err, path)
	}
}
