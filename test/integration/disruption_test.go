package integration

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// A PodDisruptionBudget over a Deployment's three pods: the controller
// computes its status (as a count, and as a percentage of the
// Deployment's replicas); evictions are allowed while the budget allows
// a disruption and refused with upstream's 429 once it does not; a pod
// that is not running goes without charge.
func TestPodDisruptionBudgetLimitsEvictions(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cluster := newStandIn(t, runAll, nil)
	labelsOf := map[string]string{"app": "guarded"}
	_, err := shared.Client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "guarded"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Selector: &metav1.LabelSelector{MatchLabels: labelsOf},
			Template: *cluster.template(labelsOf)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pdbs := shared.Client.PolicyV1().PodDisruptionBudgets(ns)
	two := intstr.FromInt32(2)
	_, err = pdbs.Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "guard"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &two, Selector: &metav1.LabelSelector{MatchLabels: labelsOf}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pdb *policyv1.PodDisruptionBudget
	waitFor(t, "the budget's status over 3 ready pods", func(ctx context.Context) bool {
		pdb, err = pdbs.Get(ctx, "guard", metav1.GetOptions{})
		return err == nil && pdb.Status.CurrentHealthy == 3 && pdb.Status.ObservedGeneration == pdb.Generation
	})
	if s := pdb.Status; s.DesiredHealthy != 2 || s.ExpectedPods != 3 || s.DisruptionsAllowed != 1 ||
		!apimeta.IsStatusConditionTrue(s.Conditions, policyv1.DisruptionAllowedCondition) {
		t.Fatalf("status: %+v", s)
	}

	pods, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labelsOf).String()})
	if err != nil || len(pods.Items) != 3 {
		t.Fatalf("pods: %v %v", pods, err)
	}
	evict := func(name string) error {
		return shared.Client.CoreV1().Pods(ns).EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}})
	}
	if err := evict(pods.Items[0].Name); err != nil {
		t.Fatalf("the first eviction: %v", err)
	}
	// The eviction charged the budget at once, before the pod is gone.
	err = evict(pods.Items[1].Name)
	if !apierrors.IsTooManyRequests(err) || !strings.Contains(err.Error(), "Cannot evict pod as it would violate the pod's disruption budget.") {
		t.Fatalf("the second eviction: %v", err)
	}
	status := err.(apierrors.APIStatus).Status()
	if len(status.Details.Causes) != 1 || status.Details.Causes[0].Type != policyv1.DisruptionBudgetCause ||
		!strings.HasPrefix(status.Details.Causes[0].Message, "The disruption budget guard ") {
		t.Errorf("causes: %+v", status.Details.Causes)
	}
	evicted, err := shared.Client.CoreV1().Pods(ns).Get(ctx, pods.Items[0].Name, metav1.GetOptions{})
	if err == nil {
		found := false
		for _, c := range evicted.Status.Conditions {
			found = found || c.Type == corev1.DisruptionTarget && c.Reason == "EvictionByEvictionAPI"
		}
		if !found {
			t.Errorf("the evicted pod has no DisruptionTarget condition: %+v", evicted.Status.Conditions)
		}
	}

	// The Deployment replaces the pod; once it is ready, one disruption
	// is allowed again.
	waitFor(t, "a disruption allowed again", func(ctx context.Context) bool {
		pdb, err = pdbs.Get(ctx, "guard", metav1.GetOptions{})
		return err == nil && pdb.Status.DisruptionsAllowed == 1 && pdb.Status.CurrentHealthy == 3 && len(pdb.Status.DisruptedPods) == 0
	})

	// As a percentage of the Deployment's replicas: maxUnavailable 34% of
	// 3 rounds up to 2 pods, so 1 must stay healthy.
	if _, err := updateLatest(ctx, "guard", pdbs.Get, pdbs.Update, func(pdb *policyv1.PodDisruptionBudget) {
		pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable = nil, ptr.To(intstr.FromString("34%"))
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the status of the new spec", func(ctx context.Context) bool {
		pdb, err = pdbs.Get(ctx, "guard", metav1.GetOptions{})
		return err == nil && pdb.Status.ObservedGeneration == pdb.Generation && pdb.Status.DesiredHealthy == 1
	})
	if pdb.Status.ExpectedPods != 3 || pdb.Status.DisruptionsAllowed != 2 {
		t.Errorf("maxUnavailable 34%%: %+v", pdb.Status)
	}

	// A pod the budget does not select is evicted freely, and bad specs
	// are refused with field paths.
	free, err := shared.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "free"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example.test/c:1"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := evict(free.Name); err != nil {
		t.Errorf("evicting a pending pod no budget covers: %v", err)
	}
	both := intstr.FromString("150%")
	_, err = pdbs.Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &both, MaxUnavailable: &two}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec")
	assertInvalid(t, err, "spec.minAvailable")
}
