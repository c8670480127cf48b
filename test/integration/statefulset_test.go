package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
)

// A StatefulSet with OrderedReady pods: web-0, web-1, web-2 made one at a
// time in order (each after the one before is ready), with stable
// hostnames and a claim each from the claim template; scaled down from the
// highest ordinal; a rolling update with a partition replaces only the
// pods at or above it, from the top; the claims stay.
func TestStatefulSetOrderedPodsClaimsAndRollingUpdate(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	// The stand-in kubelet marks each pod ready at once; the order the pods
	// appear in is the controller's.
	cluster := newStandIn(t, runAll, nil)
	// A volume for each claim, for the binder to bind (the scheduler
	// places a pod only once its claims are bound).
	for i := range 3 {
		_, err := shared.Client.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-pv-%d", ns, i)},
			Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
				AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: fmt.Sprintf("/tmp/%s-%d", ns, i)}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s-pv-%d", ns, i)
		t.Cleanup(func() {
			_ = shared.Client.CoreV1().PersistentVolumes().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	labels := map[string]string{"app": "web"}
	template := cluster.template(labels)
	sets := shared.Client.AppsV1().StatefulSets(ns)
	_, err := sets.Create(ctx, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](3), ServiceName: "web", Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: *template,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The order pods were made in.
	w, err := shared.Client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var order []string
	for len(order) < 3 {
		order = append(order, nextPodEvent(t, w, watch.Added, order))
	}
	if fmt.Sprint(order) != "[web-0 web-1 web-2]" {
		t.Errorf("pods made in the order %v", order)
	}
	var ss *appsv1.StatefulSet
	waitFor(t, "3 ready replicas", func(ctx context.Context) bool {
		ss, err = sets.Get(ctx, "web", metav1.GetOptions{})
		return err == nil && ss.Status.ReadyReplicas == 3 && ss.Status.CurrentRevision != "" && ss.Status.CurrentRevision == ss.Status.UpdateRevision
	})
	pod, err := shared.Client.CoreV1().Pods(ns).Get(ctx, "web-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Spec.Hostname != "web-1" || pod.Spec.Subdomain != "web" || pod.Labels["statefulset.kubernetes.io/pod-name"] != "web-1" ||
		pod.Labels["apps.kubernetes.io/pod-index"] != "1" || pod.Labels["controller-revision-hash"] != ss.Status.CurrentRevision {
		t.Errorf("web-1: hostname %q subdomain %q labels %v", pod.Spec.Hostname, pod.Spec.Subdomain, pod.Labels)
	}
	claims, err := shared.Client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(claims.Items) != 3 {
		t.Fatalf("claims: %v %v", claims, err)
	}
	found := false
	for _, v := range pod.Spec.Volumes {
		found = found || v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "data-web-1"
	}
	if !found {
		t.Errorf("web-1 does not mount data-web-1: %+v", pod.Spec.Volumes)
	}

	// A rolling update with partition 2 replaces web-2 only.
	oldImage := ss.Spec.Template.Spec.Containers[0].Image
	if _, err := updateLatest(ctx, "web", sets.Get, sets.Update, func(ss *appsv1.StatefulSet) {
		ss.Spec.Template.Spec.Containers[0].Image = "example.test/app:2"
		ss.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](2)}
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web-2 at the new revision", func(ctx context.Context) bool {
		ss, err = sets.Get(ctx, "web", metav1.GetOptions{})
		return err == nil && ss.Status.UpdatedReplicas == 1 && ss.Status.ReadyReplicas == 3 && ss.Status.ObservedGeneration == ss.Generation
	})
	for name, image := range map[string]string{"web-0": oldImage, "web-1": oldImage, "web-2": "example.test/app:2"} {
		p, err := shared.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil || p.Spec.Containers[0].Image != image {
			t.Errorf("%s after the partitioned update: %v %v", name, p.Spec.Containers[0].Image, err)
		}
	}
	if ss.Status.CurrentRevision == ss.Status.UpdateRevision {
		t.Errorf("the current revision moved before the update finished: %+v", ss.Status)
	}

	// Scale down to 1: web-2 goes first, then web-1; their claims stay.
	w.Stop()
	if w, err = shared.Client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: ss.ResourceVersion}); err != nil {
		t.Fatal(err)
	}
	if _, err := sets.Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":1}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for len(deleted) < 2 {
		deleted = append(deleted, nextPodEvent(t, w, watch.Deleted, deleted))
	}
	if fmt.Sprint(deleted) != "[web-2 web-1]" {
		t.Errorf("pods removed in the order %v", deleted)
	}
	waitFor(t, "one replica", func(ctx context.Context) bool {
		ss, err = sets.Get(ctx, "web", metav1.GetOptions{})
		return err == nil && ss.Status.Replicas == 1
	})
	claims, err = shared.Client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(claims.Items) != 3 {
		t.Errorf("claims after the scale-down: %d %v", len(claims.Items), err)
	}
}

// Parallel pod management makes all pods at once; a bad spec is refused.
func TestStatefulSetParallelAndValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cluster := newStandIn(t, runAll, nil)
	labels := map[string]string{"app": "db"}
	sets := shared.Client.AppsV1().StatefulSets(ns)
	_, err := sets.Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](4), PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: *cluster.template(labels)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "4 ready pods", func(ctx context.Context) bool {
		ss, err := sets.Get(ctx, "db", metav1.GetOptions{})
		return err == nil && ss.Status.ReadyReplicas == 4 && ss.Status.AvailableReplicas == 4
	})
	_, err = updateLatest(ctx, "db", sets.Get, sets.Update, func(ss *appsv1.StatefulSet) { ss.Spec.ServiceName = "other" })
	assertInvalid(t, err, "spec")
	_, err = sets.Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: appsv1.StatefulSetSpec{PodManagementPolicy: "Sometimes", Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: *cluster.template(map[string]string{"app": "other"})}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.podManagementPolicy")
	assertInvalid(t, err, "spec.template.metadata.labels")

	// A container mounts a claim template by its name, as the pods will
	// have it; a name neither a volume nor a claim template is refused.
	mounting := func(name, mount string) *appsv1.StatefulSet {
		template := cluster.template(labels)
		template.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: mount, MountPath: "/data"}}
		return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: *template,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}}}}
	}
	if _, err := sets.Create(ctx, mounting("mounts-claim", "data"), metav1.CreateOptions{}); err != nil {
		t.Errorf("mounting a claim template: %v", err)
	}
	_, err = sets.Create(ctx, mounting("mounts-nothing", "nope"), metav1.CreateOptions{})
	assertInvalid(t, err, "spec.template.spec.containers[0].volumeMounts[0].name")
}

// nextPodEvent is the name of the next pod of an event of kind (30 s at
// most); seen is what came before, for the failure message.
func nextPodEvent(t *testing.T, w watch.Interface, kind watch.EventType, seen []string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("the pod watch ended; %s so far: %v", kind, seen)
			}
			if ev.Type == kind {
				return ev.Object.(*corev1.Pod).Name
			}
		case <-deadline:
			t.Fatalf("no %s pod event in 30 s; so far: %v", kind, seen)
		}
	}
}
