package integration

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
)

// daemonPodNodes maps node name to the images of the live daemon pods
// pinned to it.
func daemonPodNodes(ctx context.Context, ns string) map[string][]string {
	list, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	out := map[string][]string{}
	for _, pod := range list.Items {
		if pod.DeletionTimestamp != nil {
			continue
		}
		terms := pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		node := terms[0].MatchFields[0].Values[0]
		out[node] = append(out[node], pod.Spec.Containers[0].Image)
	}
	return out
}

// A DaemonSet across three nodes with a nodeSelector: one pod on each
// matching node, following label and taint changes; a rolling update that
// never has more than maxUnavailable daemons down, recorded as
// ControllerRevisions.
func TestDaemonSetController(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	edge := map[string]string{"role": "edge"}
	cluster := newStandIn(t, runAll, edge, edge, map[string]string{"role": "core"})
	nodes := cluster.Nodes

	sets := shared.Client.AppsV1().DaemonSets(ns)
	template := cluster.template(map[string]string{"app": "agent"})
	template.Spec.NodeSelector = edge
	_, err := sets.Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec: appsv1.DaemonSetSpec{Selector: selector("agent"), Template: *template}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a pod on each edge node, none on the core node", func(ctx context.Context) bool {
		got := daemonPodNodes(ctx, ns)
		return len(got) == 2 && len(got[nodes[0]]) == 1 && len(got[nodes[1]]) == 1
	})
	waitFor(t, "status: 2 desired, scheduled, ready, available", func(ctx context.Context) bool {
		ds, err := sets.Get(ctx, "agent", metav1.GetOptions{})
		s := ds.Status
		return err == nil && s.DesiredNumberScheduled == 2 && s.CurrentNumberScheduled == 2 && s.NumberReady == 2 &&
			s.NumberAvailable == 2 && s.UpdatedNumberScheduled == 2 && s.NumberMisscheduled == 0 && s.ObservedGeneration == ds.Generation
	})

	// The third node becomes an edge node: it gets a daemon too.
	label := []byte(`{"metadata":{"labels":{"role":"edge"}}}`)
	if _, err := shared.Client.CoreV1().Nodes().Patch(ctx, nodes[2], types.MergePatchType, label, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a daemon on the relabelled node", func(ctx context.Context) bool {
		return len(daemonPodNodes(ctx, ns)) == 3
	})
	waitFor(t, "3 available", func(ctx context.Context) bool {
		ds, err := sets.Get(ctx, "agent", metav1.GetOptions{})
		return err == nil && ds.Status.NumberAvailable == 3
	})

	// A rolling update (maxUnavailable 1): watch the pods and count the
	// nodes without an available daemon at every step.
	watcher, err := shared.Client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Stop()
	var mu sync.Mutex
	worst, rolling := 0, false // counted once the initial ADDED events are in
	caughtUp := make(chan struct{})
	var trace []string
	go func() {
		available := map[string]string{} // pod name -> node, for available live pods
		for ev := range watcher.ResultChan() {
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			terms := pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
			node := terms[0].MatchFields[0].Values[0]
			delete(available, pod.Name)
			if ev.Type != watch.Deleted && pod.DeletionTimestamp == nil && isPodReady(pod) {
				available[pod.Name] = node
			}
			covered := map[string]bool{}
			for _, n := range available {
				covered[n] = true
			}
			mu.Lock()
			if rolling {
				worst = max(worst, 3-len(covered))
			} else if len(covered) == 3 {
				rolling = true // the watch has caught up with the 3 ready pods
				close(caughtUp)
			}
			trace = append(trace, fmt.Sprintf("%s %s %s ready=%v deleting=%v covered=%d", ev.Type, pod.Name, node, isPodReady(pod), pod.DeletionTimestamp != nil, len(covered)))
			mu.Unlock()
		}
	}()
	select {
	case <-caughtUp:
	case <-time.After(30 * time.Second):
		t.Fatal("the watch never showed the 3 ready daemons")
	}
	update := []byte(`{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1}},"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}`)
	if _, err := sets.Patch(ctx, "agent", types.StrategicMergePatchType, update, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every daemon on nginx:1.28", func(ctx context.Context) bool {
		got := daemonPodNodes(ctx, ns)
		for _, n := range nodes {
			if len(got[n]) != 1 || got[n][0] != "nginx:1.28" {
				return false
			}
		}
		ds, err := sets.Get(ctx, "agent", metav1.GetOptions{})
		return err == nil && ds.Status.UpdatedNumberScheduled == 3 && ds.Status.NumberAvailable == 3
	})
	mu.Lock()
	if worst > 1 {
		t.Errorf("%d nodes were without an available daemon at once; maxUnavailable is 1:\n%s", worst, strings.Join(trace, "\n"))
	}
	mu.Unlock()
	revisions, err := shared.Client.AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int64
	for _, r := range revisions.Items {
		numbers = append(numbers, r.Revision)
	}
	sort.Slice(numbers, func(i, j int) bool { return numbers[i] < numbers[j] })
	if fmt.Sprint(numbers) != "[1 2]" {
		t.Errorf("controller revisions %v, want [1 2]", numbers)
	}

	// An untolerated NoExecute taint evicts the daemon; a NoSchedule one
	// would not.
	taint := []byte(`{"spec":{"taints":[{"key":"dedicated","value":"db","effect":"NoExecute"}]}}`)
	if _, err := shared.Client.CoreV1().Nodes().Patch(ctx, nodes[0], types.MergePatchType, taint, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the daemon gone from the tainted node", func(ctx context.Context) bool {
		got := daemonPodNodes(ctx, ns)
		return len(got) == 2 && got[nodes[0]] == nil
	})
	waitFor(t, "desired 2", func(ctx context.Context) bool {
		ds, err := sets.Get(ctx, "agent", metav1.GetOptions{})
		return err == nil && ds.Status.DesiredNumberScheduled == 2 && ds.Status.CurrentNumberScheduled == 2
	})
}

func isPodReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// A surge update (maxSurge 1, maxUnavailable 0) starts each new daemon
// beside the old one: no node is ever without an available daemon.
func TestDaemonSetSurgeUpdate(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cluster := newStandIn(t, runAll, map[string]string{"surge": "yes"}, map[string]string{"surge": "yes"})
	nodes := cluster.Nodes
	template := cluster.template(map[string]string{"app": "surge"})
	template.Spec.NodeSelector = map[string]string{"surge": "yes"}
	zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
	sets := shared.Client.AppsV1().DaemonSets(ns)
	_, err := sets.Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "surge"},
		Spec: appsv1.DaemonSetSpec{Selector: selector("surge"), Template: *template,
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &zero, MaxSurge: &one}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "2 available", func(ctx context.Context) bool {
		ds, err := sets.Get(ctx, "surge", metav1.GetOptions{})
		return err == nil && ds.Status.NumberAvailable == 2
	})
	watcher, err := shared.Client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Stop()
	var mu sync.Mutex
	worst, rolling := 0, false
	caughtUp := make(chan struct{})
	go func() {
		available := map[string]string{}
		for ev := range watcher.ResultChan() {
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			node := pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields[0].Values[0]
			delete(available, pod.Name)
			if ev.Type != watch.Deleted && pod.DeletionTimestamp == nil && isPodReady(pod) {
				available[pod.Name] = node
			}
			covered := map[string]bool{}
			for _, n := range available {
				covered[n] = true
			}
			mu.Lock()
			if rolling {
				worst = max(worst, 2-len(covered))
			} else if len(covered) == 2 {
				rolling = true
				close(caughtUp)
			}
			mu.Unlock()
		}
	}()
	select {
	case <-caughtUp:
	case <-time.After(30 * time.Second):
		t.Fatal("the watch never showed the 2 ready daemons")
	}
	update := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}`)
	if _, err := sets.Patch(ctx, "surge", types.StrategicMergePatchType, update, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both daemons on nginx:1.28, one each", func(ctx context.Context) bool {
		got := daemonPodNodes(ctx, ns)
		for _, n := range nodes {
			if len(got[n]) != 1 || got[n][0] != "nginx:1.28" {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	if worst > 0 {
		t.Errorf("a node was without an available daemon during a surge update")
	}
}
