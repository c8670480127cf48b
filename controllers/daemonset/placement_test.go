package daemonset

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func daemonSet(spec corev1.PodSpec) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}
}

func node(name string, labels map[string]string, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: corev1.NodeSpec{Taints: taints}}
}

func TestPlacement(t *testing.T) {
	gpu := map[string]string{"gpu": "true"}
	cases := []struct {
		name                   string
		spec                   corev1.PodSpec
		node                   *corev1.Node
		shouldRun, mayContinue bool
	}{
		{"plain node", corev1.PodSpec{}, node("a", nil), true, true},
		{"nodeSelector matches", corev1.PodSpec{NodeSelector: gpu}, node("a", gpu), true, true},
		{"nodeSelector does not match", corev1.PodSpec{NodeSelector: gpu}, node("a", nil), false, false},
		{"required affinity excludes", corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "gpu", Operator: corev1.NodeSelectorOpDoesNotExist}}}}}}}},
			node("a", gpu), false, false},
		{"cordoned: the daemon tolerates unschedulable", corev1.PodSpec{},
			node("a", nil, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}), true, true},
		{"unreachable: the daemon tolerates it", corev1.PodSpec{},
			node("a", nil, corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}), true, true},
		{"untolerated NoSchedule: no new pod, the running one stays", corev1.PodSpec{},
			node("a", nil, corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}), false, true},
		{"untolerated NoExecute: the pod goes", corev1.PodSpec{},
			node("a", nil, corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoExecute}), false, false},
		{"tolerated NoExecute", corev1.PodSpec{Tolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db"}}},
			node("a", nil, corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoExecute}), true, true},
		{"network-unavailable tolerated only with hostNetwork", corev1.PodSpec{HostNetwork: true},
			node("a", nil, corev1.Taint{Key: corev1.TaintNodeNetworkUnavailable, Effect: corev1.TaintEffectNoSchedule}), true, true},
		{"network-unavailable without hostNetwork", corev1.PodSpec{},
			node("a", nil, corev1.Taint{Key: corev1.TaintNodeNetworkUnavailable, Effect: corev1.TaintEffectNoSchedule}), false, true},
	}
	for _, tc := range cases {
		run, cont := placement(daemonSet(tc.spec), tc.node)
		if run != tc.shouldRun || cont != tc.mayContinue {
			t.Errorf("%s: placement = %v, %v; want %v, %v", tc.name, run, cont, tc.shouldRun, tc.mayContinue)
		}
	}
}

func TestNewPodIsPinnedToItsNode(t *testing.T) {
	ds := daemonSet(corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "gpu", Operator: corev1.NodeSelectorOpExists}}}}}}}})
	pod := newPod(ds, "node-2", "abc")
	if got := targetNode(pod); got != "node-2" {
		t.Fatalf("targetNode = %q", got)
	}
	term := pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0]
	if len(term.MatchExpressions) != 1 || term.MatchExpressions[0].Key != "gpu" {
		t.Errorf("the template's own requirement was lost: %+v", term)
	}
	if pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] != "abc" || len(pod.Spec.Tolerations) != 6 {
		t.Errorf("labels %v, tolerations %v", pod.Labels, pod.Spec.Tolerations)
	}
	if ds.Spec.Template.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields != nil {
		t.Errorf("newPod changed the daemon set's template")
	}
}

// A rolling update replaces at most maxUnavailable available old pods at a
// time; old pods that are down anyway go at once.
func TestPlanRollingUpdate(t *testing.T) {
	ds := daemonSet(corev1.PodSpec{})
	ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &intstr.IntOrString{IntVal: 1}}}
	pod := func(name, hash string, ready bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{appsv1.DefaultDaemonSetUniqueLabelKey: hash}}}
		if ready {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		}
		return p
	}
	states := []*nodeState{
		{node: node("a", nil), shouldRun: true, mayContinue: true, pods: []*corev1.Pod{pod("a", "old", true)}},
		{node: node("b", nil), shouldRun: true, mayContinue: true, pods: []*corev1.Pod{pod("b", "old", true)}},
		{node: node("c", nil), shouldRun: true, mayContinue: true, pods: []*corev1.Pod{pod("c", "old", false)}},
	}
	create, remove := plan(ds, states, nil, "new", metav1.Now().Time)
	if len(create) != 0 {
		t.Fatalf("create %v", create)
	}
	// c is down: it goes and uses up the budget of one; a and b stay.
	if len(remove) != 1 || remove[0].Name != "c" {
		t.Fatalf("remove %v", names(remove))
	}
	states[2].pods = []*corev1.Pod{pod("c2", "new", true)}
	_, remove = plan(ds, states, nil, "new", metav1.Now().Time)
	if len(remove) != 1 || remove[0].Name != "a" {
		t.Fatalf("second step removes %v", names(remove))
	}
}

func names(pods []*corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

// With maxSurge, a new pod starts beside an available old one on at most
// maxSurge nodes; the old one goes once the new one is available.
func TestPlanRollingUpdateWithSurge(t *testing.T) {
	ds := daemonSet(corev1.PodSpec{})
	zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
	ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &zero, MaxSurge: &one}}
	pod := func(name, hash string, ready bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{appsv1.DefaultDaemonSetUniqueLabelKey: hash}}}
		if ready {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		}
		return p
	}
	state := func(name string, pods ...*corev1.Pod) *nodeState {
		return &nodeState{node: node(name, nil), shouldRun: true, mayContinue: true, pods: pods}
	}
	now := metav1.Now().Time
	// Step 1: both nodes run available old pods; one surge pod starts.
	create, remove := plan(ds, []*nodeState{state("a", pod("a-old", "old", true)), state("b", pod("b-old", "old", true))}, nil, "new", now)
	if len(create) != 1 || create[0] != "a" || len(remove) != 0 {
		t.Fatalf("step 1: create %v remove %v", create, names(remove))
	}
	// Step 2: the surge pod on a is not ready yet: nothing more happens.
	create, remove = plan(ds, []*nodeState{state("a", pod("a-old", "old", true), pod("a-new", "new", false)),
		state("b", pod("b-old", "old", true))}, nil, "new", now)
	if len(create) != 0 || len(remove) != 0 {
		t.Fatalf("step 2: create %v remove %v", create, names(remove))
	}
	// Step 3: a's new pod is available: a's old pod goes, b's surge starts.
	create, remove = plan(ds, []*nodeState{state("a", pod("a-old", "old", true), pod("a-new", "new", true)),
		state("b", pod("b-old", "old", true))}, nil, "new", now)
	if len(create) != 1 || create[0] != "b" || len(remove) != 1 || remove[0].Name != "a-old" {
		t.Fatalf("step 3: create %v remove %v", create, names(remove))
	}
}
