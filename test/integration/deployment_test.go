package integration

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/test/integration/framework"
)

func deploymentReplicaSets(ctx context.Context, ns string, d *appsv1.Deployment) map[string]*appsv1.ReplicaSet {
	list, err := shared.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	out := map[string]*appsv1.ReplicaSet{}
	for i := range list.Items {
		if ref := metav1.GetControllerOf(&list.Items[i]); ref != nil && ref.UID == d.UID {
			out[list.Items[i].Annotations["deployment.kubernetes.io/revision"]] = &list.Items[i]
		}
	}
	return out
}

func TestDeploymentRollingUpdateAndRollback(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cluster := newStandIn(t, runAll, nil)
	deployments := shared.Client.AppsV1().Deployments(ns)
	d, err := deployments.Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](4), Selector: selector("web"), Template: *cluster.template(map[string]string{"app": "web"})}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	complete := func(ctx context.Context) bool {
		got, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil || got.Status.ObservedGeneration != got.Generation {
			return false
		}
		for _, c := range got.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing && c.Reason == "NewReplicaSetAvailable" {
				return got.Status.UpdatedReplicas == 4 && got.Status.AvailableReplicas == 4 && got.Status.Replicas == 4
			}
		}
		return false
	}
	waitFor(t, "the first rollout to complete", complete)
	sets := deploymentReplicaSets(ctx, ns, d)
	first := sets["1"]
	if first == nil || first.Labels[appsv1.DefaultDeploymentUniqueLabelKey] == "" || *first.Spec.Replicas != 4 {
		t.Fatalf("revision 1 replica set: %+v", first)
	}

	// Watch availability while the image changes: with 4 replicas and the
	// default 25%/25%, at least 3 pods stay ready and at most 5 exist.
	var mu sync.Mutex
	minReady, maxPods := 100, 0
	watchCtx, stopWatching := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for watchCtx.Err() == nil {
			pods, err := shared.Client.CoreV1().Pods(ns).List(watchCtx, metav1.ListOptions{LabelSelector: "app=web"})
			if err == nil {
				ready, total := 0, 0
				for _, p := range pods.Items {
					if p.DeletionTimestamp != nil {
						continue
					}
					total++
					if p.Status.Phase == corev1.PodRunning {
						ready++
					}
				}
				mu.Lock()
				minReady, maxPods = min(minReady, ready), max(maxPods, total)
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	patch := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}`)
	if _, err := deployments.Patch(ctx, "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rolling update to complete", complete)
	stopWatching()
	<-watched
	if minReady < 3 {
		t.Errorf("only %d pods were ready at one point; maxUnavailable allows 1 of 4", minReady)
	}
	if maxPods > 5 {
		t.Errorf("%d pods existed at one point; maxSurge allows 5", maxPods)
	}
	sets = deploymentReplicaSets(ctx, ns, d)
	if sets["2"] == nil || *sets["2"].Spec.Replicas != 4 || sets["1"] == nil || *sets["1"].Spec.Replicas != 0 {
		t.Fatalf("after the update: %v", sets)
	}

	// Rolling back (what `kubectl rollout undo` writes: the old template)
	// reuses revision 1's replica set as revision 3.
	back := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}`)
	if _, err := deployments.Patch(ctx, "web", types.StrategicMergePatchType, back, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rollback to complete", complete)
	sets = deploymentReplicaSets(ctx, ns, d)
	if sets["3"] == nil || sets["3"].UID != first.UID || *sets["3"].Spec.Replicas != 4 {
		t.Fatalf("after the rollback: %v", sets)
	}
}

// deploymentSettled: the controller has seen the deployment's last change
// (observedGeneration) and its Progressing condition has reason.
func deploymentSettled(ctx context.Context, ns, name, reason string) bool {
	got, err := shared.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil || got.Status.ObservedGeneration != got.Generation {
		return false
	}
	for _, c := range got.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing {
			return c.Reason == reason
		}
	}
	return false
}

func TestDeploymentRecreateAndPause(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cluster := newStandIn(t, runAll, nil)
	deployments := shared.Client.AppsV1().Deployments(ns)
	d, err := deployments.Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: selector("db"), Template: *cluster.template(map[string]string{"app": "db"}),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "2 available", func(ctx context.Context) bool {
		got, err := deployments.Get(ctx, "db", metav1.GetOptions{})
		return err == nil && got.Status.AvailableReplicas == 2
	})
	pause := []byte(`{"spec":{"paused":true,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}`)
	if _, err := deployments.Patch(ctx, "db", types.StrategicMergePatchType, pause, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the controller to see the pause", func(ctx context.Context) bool { return deploymentSettled(ctx, ns, "db", "DeploymentPaused") })
	if sets := deploymentReplicaSets(ctx, ns, d); len(sets) != 1 {
		t.Fatalf("a paused deployment rolled out: %d replica sets", len(sets))
	}

	// Paused, it still follows its replica count.
	if _, err := deployments.Patch(ctx, "db", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the paused deployment scaled to 3", func(ctx context.Context) bool {
		sets := deploymentReplicaSets(ctx, ns, d)
		return len(sets) == 1 && sets["1"] != nil && *sets["1"].Spec.Replicas == 3 && sets["1"].Status.AvailableReplicas == 3
	})

	if _, err := deployments.Patch(ctx, "db", types.MergePatchType, []byte(`{"spec":{"paused":false}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the recreate rollout", func(ctx context.Context) bool {
		sets := deploymentReplicaSets(ctx, ns, d)
		return len(sets) == 2 && sets["2"] != nil && sets["2"].Status.AvailableReplicas == 3 && *sets["1"].Spec.Replicas == 0
	})
}

// TestDeploymentRecreateWaitsForOldPods: old pods that are terminating on
// their node (graceful deletion: the stand-in kubelet removes them when
// their grace period ends) no longer count in their replica set's status,
// yet a Recreate rollout must not start new pods until they are gone from
// the pod list: old and new pods never overlap.
func TestDeploymentRecreateWaitsForOldPods(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cluster := newStandIn(t, runAll, nil)
	template := cluster.template(map[string]string{"app": "db"})
	template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](3)
	deployments := shared.Client.AppsV1().Deployments(ns)
	d, err := deployments.Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: selector("db"), Template: *template,
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "2 available", func(ctx context.Context) bool {
		got, err := deployments.Get(ctx, "db", metav1.GetOptions{})
		return err == nil && got.Status.AvailableReplicas == 2
	})
	old := deploymentReplicaSets(ctx, ns, d)["1"]
	update := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}`)
	if _, err := deployments.Patch(ctx, "db", types.StrategicMergePatchType, update, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	// The controller has seen the old set's status drop to 0 (the
	// deployment's status sums the sets' statuses) while its pods still
	// terminate: the new set must still be at 0.
	waitFor(t, "the old set's status at 0, seen by the controller", func(ctx context.Context) bool {
		got, err := deployments.Get(ctx, "db", metav1.GetOptions{})
		return err == nil && got.Status.ObservedGeneration == got.Generation && got.Status.Replicas == 0
	})
	pods, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sets := deploymentReplicaSets(ctx, ns, d); sets["2"] == nil || *sets["2"].Spec.Replicas != 0 {
		t.Fatalf("the new set was scaled up while old pods terminate: %v", sets["2"])
	}
	if len(pods.Items) != 2 || pods.Items[0].DeletionTimestamp == nil || pods.Items[1].DeletionTimestamp == nil {
		t.Fatalf("want the 2 old pods terminating, have %d pods", len(pods.Items))
	}
	// Once the kubelet has removed them, the new pods come; never beside
	// an old one.
	waitFor(t, "the new set's 2 pods available, alone", func(ctx context.Context) bool {
		list, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		oldPods, newPods := 0, 0
		for _, pod := range list.Items {
			if metav1.IsControlledBy(&pod, old) {
				oldPods++
			} else {
				newPods++
			}
		}
		if oldPods > 0 && newPods > 0 {
			t.Fatalf("old and new pods at once: %d old, %d new", oldPods, newPods)
		}
		sets := deploymentReplicaSets(ctx, ns, d)
		return sets["2"] != nil && sets["2"].Status.AvailableReplicas == 2
	})
}

// TestDeploymentHashCollision: the name of the new replica set is taken by
// a set that is not the deployment's; the controller bumps
// status.collisionCount and uses the new hash, as upstream.
func TestDeploymentHashCollision(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	deployments := shared.Client.AppsV1().Deployments(ns)
	spec := appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: selector("web"), Template: *podTemplate(map[string]string{"app": "web"})}
	first, err := deployments.Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var taken string
	waitFor(t, "the first replica set", func(ctx context.Context) bool {
		for _, rs := range deploymentReplicaSets(ctx, ns, first) {
			taken = rs.Name
		}
		return taken != ""
	})
	// Orphan the set, and relabel it so that no deployment adopts it.
	if err := deployments.Delete(ctx, "web", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationOrphan)}); err != nil {
		t.Fatal(err)
	}
	// The orphan finalizer goes after the set is orphaned: only then is the
	// name free again.
	waitFor(t, "the set orphaned and the deployment gone", func(ctx context.Context) bool {
		rs, err := shared.Client.AppsV1().ReplicaSets(ns).Get(ctx, taken, metav1.GetOptions{})
		_, gone := deployments.Get(ctx, "web", metav1.GetOptions{})
		return err == nil && len(rs.OwnerReferences) == 0 && apierrors.IsNotFound(gone)
	})
	relabel := []byte(`{"metadata":{"labels":{"app":"someone-else"}}}`)
	if _, err := shared.Client.AppsV1().ReplicaSets(ns).Patch(ctx, taken, types.MergePatchType, relabel, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	second, err := deployments.Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "collisionCount 1 and a set under a new name", func(ctx context.Context) bool {
		d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil || d.Status.CollisionCount == nil || *d.Status.CollisionCount != 1 {
			return false
		}
		sets := deploymentReplicaSets(ctx, ns, second)
		return len(sets) == 1 && sets["1"] != nil && sets["1"].Name != taken && sets["1"].Name != ""
	})
}

// A rollout whose pods never become ready turns Progressing=False with
// reason ProgressDeadlineExceeded once progressDeadlineSeconds pass without
// progress; the controller records its scaling as events.
func TestDeploymentProgressDeadline(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	// The pods stay Pending (an image that takes long to pull) until the
	// test lets them run.
	var started atomic.Bool
	cluster := newStandIn(t, func(*corev1.Pod) framework.Fate {
		if started.Load() {
			return framework.Run
		}
		return framework.Hold
	}, nil)
	deployments := shared.Client.AppsV1().Deployments(ns)
	_, err := deployments.Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "stuck"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: selector("stuck"), Template: *cluster.template(map[string]string{"app": "stuck"}),
			ProgressDeadlineSeconds: ptr.To[int32](2)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var progressing appsv1.DeploymentCondition
	waitFor(t, "ProgressDeadlineExceeded", func(ctx context.Context) bool {
		got, err := deployments.Get(ctx, "stuck", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range got.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing {
				progressing = c
			}
		}
		return progressing.Status == corev1.ConditionFalse
	})
	if progressing.Reason != "ProgressDeadlineExceeded" || !strings.HasSuffix(progressing.Message, "has timed out progressing.") {
		t.Fatalf("Progressing condition: %+v", progressing)
	}
	waitFor(t, "a ScalingReplicaSet event", func(ctx context.Context) bool {
		list, err := shared.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=stuck"})
		if err != nil {
			return false
		}
		for _, e := range list.Items {
			if e.Reason == "ScalingReplicaSet" && strings.HasPrefix(e.Message, "Scaled up replica set stuck-") &&
				strings.HasSuffix(e.Message, "from 0 to 2") && e.Source.Component == "deployment-controller" {
				return true
			}
		}
		return false
	})

	// Pods turning ready is progress: the condition is True again.
	started.Store(true)
	cluster.Resync()
	waitFor(t, "the rollout complete", func(ctx context.Context) bool {
		got, err := deployments.Get(ctx, "stuck", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range got.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing {
				return c.Status == corev1.ConditionTrue && c.Reason == "NewReplicaSetAvailable"
			}
		}
		return false
	})
}
