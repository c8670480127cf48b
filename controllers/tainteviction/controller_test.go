package tainteviction

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestEvictionDelay(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	added := metav1.NewTime(now.Add(-100 * time.Second))
	unreachable := []corev1.Taint{{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoExecute, TimeAdded: &added}}
	tolerate := func(seconds *int64) corev1.Toleration {
		return corev1.Toleration{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds}
	}
	cases := []struct {
		name        string
		taints      []corev1.Taint
		tolerations []corev1.Toleration
		wait        time.Duration
		evict       bool
	}{
		{"no taints", nil, nil, 0, false},
		{"untolerated: at once", unreachable, nil, 0, true},
		{"300 s from when the taint was added", unreachable, []corev1.Toleration{tolerate(ptr.To[int64](300))}, 200 * time.Second, true},
		{"time already up", unreachable, []corev1.Toleration{tolerate(ptr.To[int64](60))}, 0, true},
		{"tolerated for ever", unreachable, []corev1.Toleration{tolerate(nil)}, 0, false},
		{"the shortest time counts", unreachable, []corev1.Toleration{tolerate(nil), tolerate(ptr.To[int64](150))}, 50 * time.Second, true},
		{"one of two taints untolerated", append(unreachable, corev1.Taint{Key: "dedicated", Effect: corev1.TaintEffectNoExecute}),
			[]corev1.Toleration{tolerate(nil)}, 0, true},
	}
	for _, tc := range cases {
		wait, evict := evictionDelay(tc.taints, tc.tolerations, now)
		if wait != tc.wait || evict != tc.evict {
			t.Errorf("%s: got %v, %v; want %v, %v", tc.name, wait, evict, tc.wait, tc.evict)
		}
	}
}
