package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func testPod(uid, node, cpu string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: uid, Namespace: "default", UID: types.UID(uid)},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}}}}
}

// An assumed pod counts on its node until its binding is seen, and is
// forgotten if the binding fails; a bound pod replaces its assumption.
func TestCacheAssumeForgetConfirm(t *testing.T) {
	c := newCache()
	c.setNode(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: corev1.NodeStatus{
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourcePods: resource.MustParse("10")}}})
	requested := func() int64 { return c.nodes["n1"].requested.milliCPU }

	c.assume(newPodInfo(testPod("a", "", "500m")), "n1")
	if requested() != 500 || !c.isAssumed("a") {
		t.Fatalf("after assume: %dm, assumed %v", requested(), c.isAssumed("a"))
	}
	c.forget("a")
	if requested() != 0 || c.isAssumed("a") {
		t.Fatalf("after forget: %dm", requested())
	}

	c.assume(newPodInfo(testPod("b", "", "700m")), "n1")
	c.addPod(testPod("b", "n1", "700m")) // the binding shows in the informer
	if requested() != 700 || c.isAssumed("b") {
		t.Fatalf("after confirm: %dm, assumed %v", requested(), c.isAssumed("b"))
	}
	c.forget("b") // a late failure report must not drop a bound pod
	if requested() != 700 {
		t.Fatalf("forget dropped a bound pod: %dm", requested())
	}
	finished := testPod("b", "n1", "700m")
	finished.Status.Phase = corev1.PodSucceeded
	c.addPod(finished)
	if requested() != 0 || c.nodes["n1"].requested.pods != 0 {
		t.Fatalf("a finished pod still counts: %+v", c.nodes["n1"].requested)
	}
}

func TestFitErrorMessage(t *testing.T) {
	got := fitError(3, map[string]int{"node(s) had untolerated taint {dedicated: db}": 2, "Insufficient cpu": 1})
	if want := "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: db}."; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestFeasibleNodesToFind(t *testing.T) {
	s := &Scheduler{}
	for _, tc := range []struct{ nodes, want int }{{50, 50}, {100, 100}, {1000, 420}, {5000, 500}, {10000, 500}} {
		if got := s.feasibleNodesToFind(tc.nodes); got != tc.want {
			t.Errorf("%d nodes: %d, want %d", tc.nodes, got, tc.want)
		}
	}
}
