package podautoscaler

import (
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/kybernetes/kybernetes/apis/autoscaling"
)

// Without a behavior the count falls only when every recommendation of
// the window is lower, and rises at most to twice (at least 4).
func TestWithoutBehavior(t *testing.T) {
	now := time.Now()
	h := &history{recommendations: []recommendation{{5, now.Add(-4 * time.Minute)}, {3, now.Add(-2 * time.Minute)}}}
	if got := h.stabilizeWithoutBehavior(now, 5*time.Minute, 1); got != 5 {
		t.Errorf("within the window: %d, want the highest recent recommendation 5", got)
	}
	if got := h.stabilizeWithoutBehavior(now.Add(2*time.Minute), 5*time.Minute, 1); got != 3 {
		t.Errorf("once 5 has left the window: %d, want 3", got)
	}
	if len(h.recommendations) != 3 {
		t.Errorf("the stale recommendation was not reused: %v", h.recommendations)
	}
	for _, tc := range []struct {
		current, desired, want int32
		reason                 string
	}{
		{1, 10, 4, "ScaleUpLimit"},
		{3, 10, 6, "ScaleUpLimit"},
		{5, 20, 8, "TooManyReplicas"},
		{5, 0, 1, "TooFewReplicas"},
		{5, 6, 6, "DesiredWithinRange"},
	} {
		if l := limitWithoutBehavior(tc.current, tc.desired, 1, 8); l.replicas != tc.want || l.reason != tc.reason {
			t.Errorf("%d → %d: got %d (%s), want %d (%s)", tc.current, tc.desired, l.replicas, l.reason, tc.want, tc.reason)
		}
	}
}

func behavior(up, down *autoscalingv2.HPAScalingRules) *autoscalingv2.HorizontalPodAutoscalerBehavior {
	hpa := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: up, ScaleDown: down}}}
	autoscaling.SetDefaultsHorizontalPodAutoscaler(hpa)
	if hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds == nil {
		hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = ptrTo[int32](300)
	}
	return hpa.Spec.Behavior
}

// The defaulted policies: up by 4 pods or 100% per 15 s, whichever is
// more; a change within the period counts against it.
func TestDefaultScaleUpPolicies(t *testing.T) {
	now := time.Now()
	b := behavior(nil, nil)
	h := &history{}
	if l := h.limitWithBehavior(now, b, 2, 100, 1, 100); l.replicas != 6 || l.reason != "ScaleUpLimit" {
		t.Errorf("2 → 100: %+v, want 6 (4 pods beat 100%%)", l)
	}
	if l := h.limitWithBehavior(now, b, 10, 100, 1, 100); l.replicas != 20 {
		t.Errorf("10 → 100: %+v, want 20 (100%% beats 4 pods)", l)
	}
	h.recordScale(now, b, 10, 20)
	if l := h.limitWithBehavior(now.Add(5*time.Second), b, 20, 100, 1, 100); l.replicas != 20 {
		t.Errorf("20 → 100 five seconds after 10 → 20: %+v, want to hold at 20", l)
	}
	if l := h.limitWithBehavior(now.Add(16*time.Second), b, 20, 100, 1, 100); l.replicas != 40 {
		t.Errorf("20 → 100 once the period passed: %+v, want 40", l)
	}
}

// selectPolicy Min takes the smallest allowance; Disabled none.
func TestSelectPolicies(t *testing.T) {
	now := time.Now()
	minimum, disabled := autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect
	policies := []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 1, PeriodSeconds: 60},
		{Type: autoscalingv2.PercentScalingPolicy, Value: 50, PeriodSeconds: 60}}
	b := behavior(&autoscalingv2.HPAScalingRules{SelectPolicy: &minimum, Policies: policies},
		&autoscalingv2.HPAScalingRules{SelectPolicy: &minimum, Policies: policies})
	h := &history{}
	if l := h.limitWithBehavior(now, b, 10, 30, 1, 100); l.replicas != 11 {
		t.Errorf("up with Min: %d, want 11 (1 pod, not 50%%)", l.replicas)
	}
	if l := h.limitWithBehavior(now, b, 10, 1, 1, 100); l.replicas != 9 || l.reason != "ScaleDownLimit" {
		t.Errorf("down with Min: %+v, want 9 (1 pod, not 50%%)", l)
	}
	b.ScaleDown.SelectPolicy = &disabled
	if l := h.limitWithBehavior(now, b, 10, 1, 1, 100); l.replicas != 10 {
		t.Errorf("down when disabled: %d, want 10", l.replicas)
	}
}

// With a behavior, the count stays between the lowest recommendation of
// the scale-up window and the highest of the scale-down window.
func TestStabilizationWindows(t *testing.T) {
	now := time.Now()
	up := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptrTo[int32](60)}
	down := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptrTo[int32](120)}
	b := behavior(up, down)
	h := &history{recommendations: []recommendation{{4, now.Add(-30 * time.Second)}, {8, now.Add(-90 * time.Second)}}}
	if got, reason, _ := h.stabilizeWithBehavior(now, b, 5, 10); got != 5 || reason != "ScaleUpStabilized" {
		t.Errorf("up to 10 after a recent 4: %d %s, want to stay at 5", got, reason)
	}
	if got, reason, _ := h.stabilizeWithBehavior(now, b, 5, 2); got != 5 || reason != "ScaleDownStabilized" {
		t.Errorf("down to 2 after a recent 8 and 10: %d %s, want to stay at 5", got, reason)
	}
}
