package integration

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// replicaSetWithPods creates a replica set and waits for its pods.
func replicaSetWithPods(t *testing.T, ns, name string, replicas int32) *appsv1.ReplicaSet {
	t.Helper()
	rs, err := shared.Client.AppsV1().ReplicaSets(ns).Create(context.Background(), &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas), Selector: selector(name),
			Template: *podTemplate(map[string]string{"app": name})}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replica set's pods", func(ctx context.Context) bool { return len(ownedPods(ctx, ns, rs)) == int(replicas) })
	return rs
}

func podsWithLabel(ctx context.Context, ns, app string) int {
	list, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return -1
	}
	return len(list.Items)
}

func TestCascadingDeletion(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	sets := shared.Client.AppsV1().ReplicaSets(ns)

	// Background: the owner goes at once, its pods after it.
	replicaSetWithPods(t, ns, "background", 2)
	if err := sets.Delete(ctx, "background", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "background: pods collected", func(ctx context.Context) bool { return podsWithLabel(ctx, ns, "background") == 0 })

	// Foreground: the owner waits, marked, until its pods are gone.
	replicaSetWithPods(t, ns, "foreground", 2)
	if err := sets.Delete(ctx, "foreground", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationForeground)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "foreground: pods and then the owner gone", func(ctx context.Context) bool {
		_, err := sets.Get(ctx, "foreground", metav1.GetOptions{})
		return apierrors.IsNotFound(err) && podsWithLabel(ctx, ns, "foreground") == 0
	})

	// Orphan: the owner goes, its pods stay, free of it.
	rs := replicaSetWithPods(t, ns, "orphan", 2)
	if err := sets.Delete(ctx, "orphan", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationOrphan)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "orphan: the owner gone", func(ctx context.Context) bool {
		_, err := sets.Get(ctx, "orphan", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	list, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=orphan"})
	if err != nil || len(list.Items) != 2 {
		t.Fatalf("orphaned pods: %v, %d", err, len(list.Items))
	}
	for _, pod := range list.Items {
		for _, ref := range pod.OwnerReferences {
			if ref.UID == rs.UID {
				t.Fatalf("pod %s still names its deleted owner", pod.Name)
			}
		}
	}
}

// A dependent whose owner never existed (or is long gone) is collected.
func TestDanglingOwnerReference(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cm, err := shared.Client.CoreV1().ConfigMaps(ns).Create(ctx, simpleConfigMapOwnedBy("ghost-owned", "ghost", "1b6c5f4e-0000-4000-8000-000000000000"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the configmap owned by a missing replica set to be collected", func(ctx context.Context) bool {
		_, err := shared.Client.CoreV1().ConfigMaps(ns).Get(ctx, cm.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}

// TestOwnerCircleIsCollected: three pods owning each other in a circle, all
// blocking their owner's deletion; a foreground delete of one removes all
// three, as upstream's "should not be blocked by dependency circle".
func TestOwnerCircleIsCollected(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pods := shared.Client.CoreV1().Pods(ns)
	var created []*corev1.Pod
	for _, name := range []string{"pod1", "pod2", "pod3"} {
		p := simplePod(name)
		p.Labels = map[string]string{"app": "circle"}
		pod, err := pods.Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, pod)
	}
	// pod1 is owned by pod3, pod2 by pod1, pod3 by pod2.
	for i, pod := range created {
		owner := created[(i+2)%3]
		patch := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":%q,"uid":%q,"controller":true,"blockOwnerDeletion":true}]}}`, owner.Name, owner.UID)
		if _, err := pods.Patch(ctx, pod.Name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	err := pods.Delete(ctx, "pod1", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationForeground),
		Preconditions: metav1.NewUIDPreconditions(string(created[0].UID))})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every pod of the circle collected", func(ctx context.Context) bool { return podsWithLabel(ctx, ns, "circle") == 0 })
}
