package deployment

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func deploymentOf(replicas int32, surge, unavailable intstr.IntOrString) *appsv1.Deployment {
	return &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To(replicas), Strategy: appsv1.DeploymentStrategy{
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}}}}
}

func rs(name string, revision string, replicas, available int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{RevisionAnnotation: revision}},
		Spec:       appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas)},
		Status:     appsv1.ReplicaSetStatus{Replicas: replicas, AvailableReplicas: available},
	}
}

func TestSurgeAndUnavailable(t *testing.T) {
	for _, tc := range []struct {
		replicas           int32
		surge, unavailable intstr.IntOrString
		wantSurge, wantUn  int32
	}{
		{4, intstr.FromString("25%"), intstr.FromString("25%"), 1, 1},
		{3, intstr.FromString("25%"), intstr.FromString("25%"), 1, 0}, // surge rounds up, unavailable down
		{10, intstr.FromInt32(0), intstr.FromInt32(0), 0, 1},          // both 0 would never progress
		{5, intstr.FromInt32(2), intstr.FromString("100%"), 2, 5},
	} {
		s, u := surgeAndUnavailable(deploymentOf(tc.replicas, tc.surge, tc.unavailable))
		if s != tc.wantSurge || u != tc.wantUn {
			t.Errorf("%d replicas, %s/%s: surge %d unavailable %d, want %d %d", tc.replicas, tc.surge.String(), tc.unavailable.String(), s, u, tc.wantSurge, tc.wantUn)
		}
	}
}

func TestRollingUpdatePlan(t *testing.T) {
	d := deploymentOf(4, intstr.FromString("25%"), intstr.FromString("25%"))
	// Start: old has 4 available, new 0: the new set surges by 1; the old
	// may lose 1 (4 available, 3 must stay) but the new pod is not yet
	// available, so the budget is 5-3-1 = 1 for unhealthy (none) and
	// 4-3 = 1 available.
	plan := rollingUpdatePlan(d, rs("new", "2", 0, 0), []*appsv1.ReplicaSet{rs("old", "1", 4, 4)})
	if plan["new"] != 1 || plan["old"] != 3 {
		t.Fatalf("first step: %v", plan)
	}
	// The new pod became available: one more surges, one more old goes.
	plan = rollingUpdatePlan(d, rs("new", "2", 1, 1), []*appsv1.ReplicaSet{rs("old", "1", 3, 3)})
	if plan["new"] != 2 || plan["old"] != 2 {
		t.Fatalf("second step: %v", plan)
	}
	// Nothing available anywhere: the surge, and one unhealthy old pod
	// cleaned up (5 pods - 3 to keep - 1 new unavailable), as upstream.
	plan = rollingUpdatePlan(d, rs("new", "2", 0, 0), []*appsv1.ReplicaSet{rs("old", "1", 4, 0)})
	if plan["new"] != 1 || plan["old"] != 3 {
		t.Fatalf("unavailable old pods: %v", plan)
	}
	// Unhealthy old replicas go first, and cost no availability.
	plan = rollingUpdatePlan(d, rs("new", "2", 4, 4), []*appsv1.ReplicaSet{rs("older", "1", 1, 0), rs("old", "2", 1, 1)})
	if plan["new"] != 4 || plan["older"] != 0 || plan["old"] != 0 {
		t.Fatalf("cleanup: %v", plan)
	}
}

func TestTemplateHashIgnoresItsLabel(t *testing.T) {
	a := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}}}
	b := *a.DeepCopy()
	b.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = "abc"
	if templateHash(&a, nil) != templateHash(&b, nil) || !sameTemplate(&a, &b) {
		t.Fatal("the hash label changed the template's identity")
	}
	b.Spec.Containers[0].Image = "nginx:1.28"
	if templateHash(&a, nil) == templateHash(&b, nil) || sameTemplate(&a, &b) {
		t.Fatal("a new image kept the template's identity")
	}
}

func TestPausedScalePlan(t *testing.T) {
	annotated := func(r *appsv1.ReplicaSet, desired string) *appsv1.ReplicaSet {
		r.Annotations[DesiredReplicasAnnotation] = desired
		return r
	}
	// One active set takes the new size.
	d := deploymentOf(5, intstr.FromInt32(1), intstr.FromInt32(0))
	if plan := pausedScalePlan(d, nil, []*appsv1.ReplicaSet{rs("a", "1", 3, 3), rs("b", "2", 0, 0)}); plan["a"] != 5 || len(plan) != 1 {
		t.Errorf("one active set: %v", plan)
	}
	// None active: the newest.
	if plan := pausedScalePlan(d, nil, []*appsv1.ReplicaSet{rs("a", "1", 0, 0), rs("b", "2", 0, 0)}); plan["b"] != 5 || len(plan) != 1 {
		t.Errorf("no active set: %v", plan)
	}
	// A rollout paused half way at 4 (+1 surge): 3 old, 2 new. Scaling to
	// 8 allows 9: the 4 more are shared 3:2, rounding left to the largest.
	d = deploymentOf(8, intstr.FromInt32(1), intstr.FromInt32(0))
	plan := pausedScalePlan(d, annotated(rs("new", "2", 2, 2), "4"), []*appsv1.ReplicaSet{annotated(rs("old", "1", 3, 3), "4")})
	if plan["old"]+plan["new"] != 9 || plan["old"] != 6 || plan["new"] != 3 {
		t.Errorf("proportional scale-up: %v", plan)
	}
	// Not resized (the annotations say 8 already): nothing changes.
	if plan := pausedScalePlan(d, annotated(rs("new", "2", 4, 4), "8"), []*appsv1.ReplicaSet{annotated(rs("old", "1", 5, 5), "8")}); len(plan) != 0 {
		t.Errorf("no scaling event, yet a plan: %v", plan)
	}
	// Down to 0.
	d = deploymentOf(0, intstr.FromInt32(1), intstr.FromInt32(0))
	plan = pausedScalePlan(d, annotated(rs("new", "2", 2, 2), "4"), []*appsv1.ReplicaSet{annotated(rs("old", "1", 3, 3), "4")})
	if plan["old"] != 0 || plan["new"] != 0 {
		t.Errorf("scale to zero: %v", plan)
	}
}
