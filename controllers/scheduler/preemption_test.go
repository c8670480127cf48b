package scheduler

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func runningPod(name string, priority int32, cpu string, started time.Time) *podInfo {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name), Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Priority: ptr.To(priority), Containers: []corev1.Container{{Name: "c",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}}},
		Status: corev1.PodStatus{StartTime: &metav1.Time{Time: started}}}
	return newPodInfo(pod)
}

func nodeWith(name, cpu string, pods ...*podInfo) *nodeInfo {
	n := &nodeInfo{node: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}},
		allocatable: fromList(corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourcePods: resource.MustParse("110")}),
		pods:        map[types.UID]*podInfo{}}
	for _, p := range pods {
		n.pods[p.pod.UID] = p
		n.addPod(p, 1)
	}
	return n
}

func victimNames(c candidate) []string {
	var names []string
	for _, v := range c.victims {
		names = append(names, v.pod.Name)
	}
	return names
}

// The fewest victims: of the lower-priority pods the most important are
// given back first, and a budget's pods before the others.
func TestSelectVictimsReprievesTheImportantAndTheBudgeted(t *testing.T) {
	now := time.Now()
	preemptor := &podContext{info: runningPod("preemptor", 100, "2", now)}
	s := &Scheduler{}
	n := nodeWith("n", "4",
		runningPod("higher", 200, "1", now),
		runningPod("old", 10, "1", now.Add(-time.Hour)),
		runningPod("new", 10, "1", now),
		runningPod("least", 1, "1", now))
	c, ok := s.selectVictims(preemptor, n, nil)
	if !ok || len(c.victims) != 2 || victimNames(c)[0] != "new" || victimNames(c)[1] != "least" {
		t.Fatalf("victims %v (ok %v), want new and least: old runs longer, higher outranks the preemptor", victimNames(c), ok)
	}
	budget := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default"},
		Spec:   policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "least"}}},
		Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 0}}
	c, _ = s.selectVictims(preemptor, n, []*policyv1.PodDisruptionBudget{budget})
	if got := victimNames(c); len(got) != 2 || got[0] != "old" || got[1] != "new" || c.violating != 0 {
		t.Errorf("with least protected: victims %v, %d violating; want old and new, none violating", got, c.violating)
	}
	if _, ok := s.selectVictims(&podContext{info: runningPod("huge", 100, "8", now)}, n, nil); ok {
		t.Error("victims found for a pod larger than the node")
	}
}

// Nodes are preferred by fewest budget violations, then the lowest
// highest victim priority, then the fewest victims.
func TestPickCandidateOrder(t *testing.T) {
	now := time.Now()
	a := candidate{node: nodeWith("a", "1"), victims: []*podInfo{runningPod("a1", 50, "1", now)}, violating: 1}
	b := candidate{node: nodeWith("b", "1"), victims: []*podInfo{runningPod("b1", 60, "1", now)}}
	c := candidate{node: nodeWith("c", "1"), victims: []*podInfo{runningPod("c1", 10, "1", now), runningPod("c2", 10, "1", now)}}
	d := candidate{node: nodeWith("d", "1"), victims: []*podInfo{runningPod("d1", 10, "1", now)}}
	if got := pickCandidate([]candidate{a, b, c, d}).node.node.Name; got != "d" {
		t.Errorf("picked %s, want d", got)
	}
	if got := pickCandidate([]candidate{a, b}).node.node.Name; got != "b" {
		t.Errorf("picked %s, want b (no budget violated)", got)
	}
}
