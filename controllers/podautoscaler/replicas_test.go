package podautoscaler

import (
	"context"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	clocktesting "k8s.io/utils/clock/testing"
)

// figures is a MetricsClient that answers fixed per-pod CPU figures.
type figures struct {
	cpu podMetrics
	at  time.Time
}

func (f figures) ResourceMetric(_ context.Context, _ corev1.ResourceName, _ string, _ labels.Selector, _ string) (podMetrics, time.Time, error) {
	out := podMetrics{}
	for k, v := range f.cpu {
		v.Timestamp, v.Window = f.at, 15*time.Second
		out[k] = v
	}
	return out, f.at, nil
}
func (f figures) PodsMetric(context.Context, string, string, labels.Selector, labels.Selector) (podMetrics, time.Time, error) {
	return f.ResourceMetric(context.Background(), "", "", nil, "")
}
func (figures) ObjectMetric(context.Context, string, string, *autoscalingv2.CrossVersionObjectReference, labels.Selector) (int64, time.Time, error) {
	return 0, time.Time{}, nil
}
func (figures) ExternalMetric(context.Context, string, string, labels.Selector) ([]int64, time.Time, error) {
	return nil, time.Time{}, nil
}

// pod is a pod requesting 100m CPU, started an hour before now, in phase
// with its Ready condition as given.
func pod(name string, phase corev1.PodPhase, ready corev1.ConditionStatus, now time.Time) *corev1.Pod {
	started := metav1.NewTime(now.Add(-time.Hour))
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}},
		Status: corev1.PodStatus{Phase: phase, StartTime: &started,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready, LastTransitionTime: started}}},
	}
}

func lister(t *testing.T, pods ...*corev1.Pod) corelisters.PodLister {
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, p := range pods {
		if err := indexer.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	return corelisters.NewPodLister(indexer)
}

// The counts upstream's replica calculator gives for a 50% CPU target.
func TestUtilizationReplicas(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	running := func(name string) *corev1.Pod { return pod(name, corev1.PodRunning, corev1.ConditionTrue, now) }
	cases := []struct {
		name    string
		current int32
		pods    []*corev1.Pod
		cpu     map[string]int64
		want    int32
		util    int32
	}{
		{"the usage ratio times the pods", 2, []*corev1.Pod{running("a"), running("b")}, map[string]int64{"a": 150, "b": 150}, 6, 150},
		{"within the 10% tolerance nothing changes", 2, []*corev1.Pod{running("a"), running("b")}, map[string]int64{"a": 54, "b": 54}, 2, 54},
		{"scale down", 4, []*corev1.Pod{running("a"), running("b"), running("c"), running("d")}, map[string]int64{"a": 10, "b": 10, "c": 10, "d": 10}, 1, 10},
		// On a scale-down a pod without figures counts as using its whole
		// request: (10+10+100)/300 = 40% → ratio 0.8 → ceil(0.8*3) = 3.
		{"missing pods damp a scale-down", 3, []*corev1.Pod{running("a"), running("b"), running("c")}, map[string]int64{"a": 10, "b": 10}, 3, 10},
		// On a scale-up a pod not yet ready counts as using nothing:
		// (200+0)/200 = 100% → ratio 2 → ceil(2*2) = 4, not 2*... of one pod.
		{"unready pods damp a scale-up", 2, []*corev1.Pod{running("a"), pod("b", corev1.PodPending, corev1.ConditionFalse, now)}, map[string]int64{"a": 200}, 4, 200},
		// A missing pod that would turn a scale-up into a scale-down
		// leaves the count alone: (60+0)/200 = 30% < 50%.
		{"no reversal of direction", 2, []*corev1.Pod{running("a"), running("b")}, map[string]int64{"a": 60}, 2, 60},
		{"deleted and failed pods are ignored", 1, []*corev1.Pod{running("a"), pod("f", corev1.PodFailed, corev1.ConditionFalse, now)}, map[string]int64{"a": 100, "f": 900}, 2, 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cpu := podMetrics{}
			for k, v := range tc.cpu {
				cpu[k] = podMetric{Value: v}
			}
			c := calculator{metrics: figures{cpu: cpu, at: now}, pods: lister(t, tc.pods...), clock: clocktesting.NewFakePassiveClock(now),
				cpuInitializationPeriod: 5 * time.Minute, initialReadinessDelay: 30 * time.Second}
			got, util, _, _, err := c.utilizationReplicas(context.Background(), tc.current, 50, corev1.ResourceCPU, tolerances{0.1, 0.1}, "ns", labels.Everything(), "")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || util != tc.util {
				t.Errorf("replicas %d utilization %d%%, want %d and %d%%", got, util, tc.want, tc.util)
			}
		})
	}
}

// A pod without a CPU request cannot have a utilization: the error names
// it, in upstream's words.
func TestUtilizationNeedsRequests(t *testing.T) {
	now := time.Now()
	p := pod("a", corev1.PodRunning, corev1.ConditionTrue, now)
	p.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
	c := calculator{metrics: figures{cpu: podMetrics{"a": {Value: 10}}, at: now}, pods: lister(t, p), clock: clocktesting.NewFakePassiveClock(now)}
	_, _, _, _, err := c.utilizationReplicas(context.Background(), 1, 50, corev1.ResourceCPU, tolerances{0.1, 0.1}, "ns", labels.Everything(), "")
	if err == nil || err.Error() != "missing request for cpu in container app of Pod a" {
		t.Fatalf("got %v", err)
	}
}

// A pod that just started and became ready less than one metric window
// before its figure is not trusted yet (its CPU is start-up work).
func TestStartingPodsCPUNotTrusted(t *testing.T) {
	now := time.Now()
	young := pod("a", corev1.PodRunning, corev1.ConditionTrue, now)
	young.Status.StartTime = &metav1.Time{Time: now.Add(-20 * time.Second)}
	young.Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(-10 * time.Second))
	c := calculator{pods: lister(t), clock: clocktesting.NewFakePassiveClock(now), cpuInitializationPeriod: 5 * time.Minute, initialReadinessDelay: 30 * time.Second}
	if !c.cpuNotYetTrusted(young, podMetric{Timestamp: now, Window: 15 * time.Second}, now) {
		t.Error("a figure over a window that began before the pod was ready was trusted")
	}
	if c.cpuNotYetTrusted(young, podMetric{Timestamp: now, Window: 5 * time.Second}, now) {
		t.Error("a figure over a window after the pod was ready was not trusted")
	}
}
