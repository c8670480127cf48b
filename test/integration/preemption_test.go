package integration

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// Preemption: a high-priority pod that fits nowhere evicts a lower-priority
// pod, sparing the one a PodDisruptionBudget protects; it is nominated to
// the node, its victim is marked a disruption target and deleted, and it is
// bound once the victim is gone, while an equal-priority pod that may not
// preempt cannot take the room. Pods that may not or cannot preempt say
// why, in upstream's words.
func TestSchedulerPreemption(t *testing.T) {
	_, client := schedulingCluster(t)
	ctx := context.Background()
	for name, value := range map[string]int32{"low": 100, "high": 1000} {
		if _, err := client.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value},
			metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high-polite"},
		Value: 1000, PreemptionPolicy: ptr.To(corev1.PreemptNever)}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	addNode(t, client, nodeSpec{name: "only", cpu: "2"})
	withClass := func(class string) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Spec.PriorityClassName = class }
	}
	createPod(t, client, podWith("low-a", "1", withClass("low")))
	createPod(t, client, podWith("low-b", "1", withClass("low")))
	nodeOf(t, client, "low-a")
	nodeOf(t, client, "low-b")
	// low-b may not be disrupted (no controller here writes the status).
	budget, err := client.PolicyV1().PodDisruptionBudgets("default").Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "keep-b"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "low-b"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	budget.Status = policyv1.PodDisruptionBudgetStatus{CurrentHealthy: 1, DesiredHealthy: 1, ExpectedPods: 1, DisruptionsAllowed: 0}
	if _, err := client.PolicyV1().PodDisruptionBudgets("default").UpdateStatus(ctx, budget, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	createPod(t, client, podWith("polite", "1", withClass("high-polite")))
	expectUnschedulable(t, client, "polite", "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.")
	createPod(t, client, podWith("nobody", "1", nil))
	expectUnschedulable(t, client, "nobody", "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")

	createPod(t, client, podWith("urgent", "1", withClass("high")))
	var urgent *corev1.Pod
	waitFor(t, "urgent nominated to only", func(ctx context.Context) bool {
		urgent, err = client.CoreV1().Pods("default").Get(ctx, "urgent", metav1.GetOptions{})
		return err == nil && urgent.Status.NominatedNodeName == "only"
	})
	var victim *corev1.Pod
	waitFor(t, "low-a marked and deleted", func(ctx context.Context) bool {
		victim, err = client.CoreV1().Pods("default").Get(ctx, "low-a", metav1.GetOptions{})
		return err == nil && victim.DeletionTimestamp != nil && slices.ContainsFunc(victim.Status.Conditions, func(c corev1.PodCondition) bool {
			return c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == corev1.PodReasonPreemptionByScheduler &&
				c.Message == "default-scheduler: preempting to accommodate a higher priority pod"
		})
	})
	waitFor(t, "the Preempted event on low-a", func(ctx context.Context) bool {
		return hasEvent(ctx, client, "low-a", "Preempted", "Preempted by pod "+string(urgent.UID)+" on node only")
	})
	if spared, err := client.CoreV1().Pods("default").Get(ctx, "low-b", metav1.GetOptions{}); err != nil || spared.DeletionTimestamp != nil {
		t.Errorf("low-b, protected by its budget, was preempted: %v %v", err, spared.DeletionTimestamp)
	}
	// The victim's kubelet (there is none here) would end it; until then
	// urgent waits.
	if p, _ := client.CoreV1().Pods("default").Get(ctx, "urgent", metav1.GetOptions{}); p.Spec.NodeName != "" {
		t.Fatalf("urgent bound to %s while its victim still runs", p.Spec.NodeName)
	}
	forceDelete(t, client, "low-a")
	if node := nodeOf(t, client, "urgent"); node != "only" {
		t.Errorf("urgent bound to %s", node)
	}
	if p, _ := client.CoreV1().Pods("default").Get(ctx, "polite", metav1.GetOptions{}); p.Spec.NodeName != "" {
		t.Errorf("polite took the room made for urgent: on %s", p.Spec.NodeName)
	}
}

func forceDelete(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	if err := client.CoreV1().Pods("default").Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
}
