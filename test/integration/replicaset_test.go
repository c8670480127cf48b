package integration

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// ownedPods lists the active pods that rs controls.
func ownedPods(ctx context.Context, ns string, rs *appsv1.ReplicaSet) []corev1.Pod {
	list, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var owned []corev1.Pod
	for _, pod := range list.Items {
		if ref := metav1.GetControllerOf(&pod); ref != nil && ref.UID == rs.UID && pod.DeletionTimestamp == nil {
			owned = append(owned, pod)
		}
	}
	return owned
}

func TestReplicaSetController(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	// An orphan that matches the selector, there before the replica set.
	orphan := simplePod("orphan")
	orphan.Labels = map[string]string{"app": "web"}
	if _, err := shared.Client.CoreV1().Pods(ns).Create(ctx, orphan, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sets := shared.Client.AppsV1().ReplicaSets(ns)
	rs, err := sets.Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](3), Selector: selector("web"), Template: *podTemplate(map[string]string{"app": "web"})}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 pods, the orphan adopted", func(ctx context.Context) bool {
		pods := ownedPods(ctx, ns, rs)
		adopted := false
		for _, p := range pods {
			adopted = adopted || p.Name == "orphan"
		}
		return len(pods) == 3 && adopted
	})
	waitFor(t, "status.replicas 3", func(ctx context.Context) bool {
		got, err := sets.Get(ctx, "web", metav1.GetOptions{})
		return err == nil && got.Status.Replicas == 3 && got.Status.FullyLabeledReplicas == 3 && got.Status.ObservedGeneration == got.Generation
	})

	// Ready pods count as ready; a deleted pod is replaced.
	pods := ownedPods(ctx, ns, rs)
	for _, pod := range pods[:2] {
		pod.Status.Phase = corev1.PodRunning
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()})
		if _, err := shared.Client.CoreV1().Pods(ns).UpdateStatus(ctx, &pod, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "2 ready and available replicas", func(ctx context.Context) bool {
		got, err := sets.Get(ctx, "web", metav1.GetOptions{})
		return err == nil && got.Status.ReadyReplicas == 2 && got.Status.AvailableReplicas == 2
	})
	if err := shared.Client.CoreV1().Pods(ns).Delete(ctx, pods[2].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deleted := pods[2].UID
	waitFor(t, "the deleted pod replaced", func(ctx context.Context) bool {
		now := ownedPods(ctx, ns, rs)
		for _, p := range now {
			if p.UID == deleted {
				return false
			}
		}
		return len(now) == 3
	})

	// Scale down removes the pods that are not ready first.
	// (The controller writes status concurrently: retry on conflicts.)
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		scale, err := sets.GetScale(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		scale.Spec.Replicas = 2
		_, err = sets.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "2 pods, both the ready ones", func(ctx context.Context) bool {
		pods := ownedPods(ctx, ns, rs)
		ready := 0
		for _, p := range pods {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return len(pods) == 2 && ready == 2
	})

	// A pod relabelled out of the selector is released and replaced.
	released := ownedPods(ctx, ns, rs)[0]
	patch := []byte(`{"metadata":{"labels":{"app":"debugging"}}}`)
	if _, err := shared.Client.CoreV1().Pods(ns).Patch(ctx, released.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the relabelled pod released and replaced", func(ctx context.Context) bool {
		pod, err := shared.Client.CoreV1().Pods(ns).Get(ctx, released.Name, metav1.GetOptions{})
		return err == nil && metav1.GetControllerOf(pod) == nil && len(ownedPods(ctx, ns, rs)) == 2
	})
}

// A ReplicationController gets its pods from the same controller as a
// ReplicaSet: created, counted in status, owned by the controller, with
// events naming the ReplicationController.
func TestReplicationControllerController(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	controllers := shared.Client.CoreV1().ReplicationControllers(ns)
	rc, err := controllers.Create(ctx, &corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "legacy"},
		Spec: corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](3), Selector: map[string]string{"app": "legacy"},
			Template: podTemplate(map[string]string{"app": "legacy"})}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned := func(ctx context.Context) []corev1.Pod {
		list, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil
		}
		var pods []corev1.Pod
		for _, pod := range list.Items {
			ref := metav1.GetControllerOf(&pod)
			if ref != nil && ref.UID == rc.UID && ref.Kind == "ReplicationController" && ref.APIVersion == "v1" && pod.DeletionTimestamp == nil {
				pods = append(pods, pod)
			}
		}
		return pods
	}
	waitFor(t, "3 pods and status.replicas 3", func(ctx context.Context) bool {
		got, err := controllers.Get(ctx, "legacy", metav1.GetOptions{})
		return len(owned(ctx)) == 3 && err == nil && got.Status.Replicas == 3 && got.Status.ObservedGeneration == got.Generation
	})
	if _, err := controllers.Patch(ctx, "legacy", types.MergePatchType, []byte(`{"spec":{"replicas":1}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "scaled down to 1", func(ctx context.Context) bool { return len(owned(ctx)) == 1 })
	waitFor(t, "SuccessfulCreate and SuccessfulDelete events", func(ctx context.Context) bool {
		list, err := shared.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		seen := map[string]bool{}
		for _, e := range list.Items {
			if e.InvolvedObject.Kind == "ReplicationController" && e.InvolvedObject.UID == rc.UID && e.Source.Component == "replication-controller" {
				seen[e.Reason] = true
			}
		}
		return seen["SuccessfulCreate"] && seen["SuccessfulDelete"]
	})
}
