package integration

import (
	"context"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

func wantForbidden(t *testing.T, what string, err error, message string) {
	t.Helper()
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), message) {
		t.Errorf("%s: got %v, want 403 with %q", what, err, message)
	}
}

// NodeRestriction: a kubelet writes only its own Node (within limits), its
// own mirror pods, the status of its own pods and tokens bound to them.
func TestNodeRestriction(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	nodeA := as(t, "system:node:restricted-a", "system:nodes")
	register := func(client kubernetes.Interface, name string) *corev1.Node {
		t.Helper()
		n, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels: map[string]string{"kubernetes.io/hostname": name, "node.kubernetes.io/instance-type": "small", "example.com/own": "yes"}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("node %s registers itself: %v", name, err)
		}
		t.Cleanup(func() { _ = shared.Client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
		return n
	}
	self := register(nodeA, "restricted-a")
	register(shared.Client, "restricted-b")

	// Nodes: its own only, without restricted labels or taint changes.
	_, err := nodeA.CoreV1().Nodes().Patch(ctx, "restricted-b", types.MergePatchType, []byte(`{"metadata":{"labels":{"x":"y"}}}`), metav1.PatchOptions{})
	wantForbidden(t, "patching another node", err, `node "restricted-a" is not allowed to modify node "restricted-b"`)
	_, err = nodeA.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "restricted-c"}}, metav1.CreateOptions{})
	wantForbidden(t, "creating another node", err, `node "restricted-a" is not allowed to modify node "restricted-c"`)
	_, err = nodeA.CoreV1().Nodes().Patch(ctx, "restricted-a", types.MergePatchType, []byte(`{"spec":{"taints":[{"key":"k","effect":"NoSchedule"}]}}`), metav1.PatchOptions{})
	wantForbidden(t, "tainting itself", err, `node "restricted-a" is not allowed to modify taints`)
	_, err = nodeA.CoreV1().Nodes().Patch(ctx, "restricted-a", types.MergePatchType, []byte(`{"metadata":{"labels":{"node-restriction.kubernetes.io/trusted":"yes"}}}`), metav1.PatchOptions{})
	wantForbidden(t, "a node-restriction label", err, `is not allowed to modify labels: node-restriction.kubernetes.io/trusted`)
	if _, err := nodeA.CoreV1().Nodes().Patch(ctx, "restricted-a", types.MergePatchType, []byte(`{"metadata":{"labels":{"topology.kubernetes.io/zone":"z1","example.com/other":"ok"}}}`), metav1.PatchOptions{}); err != nil {
		t.Errorf("well-known and own labels: %v", err)
	}

	// Pods: only mirror pods bound to itself, owned by its Node, using no
	// API objects.
	mirror := func(name, node string, mutate func(*corev1.Pod)) error {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "h"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node, UID: self.UID, Controller: ptr.To(true)}}},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		if mutate != nil {
			mutate(pod)
		}
		_, err := nodeA.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		return err
	}
	if err := mirror("static-restricted-a", "restricted-a", nil); err != nil {
		t.Fatalf("its own mirror pod: %v", err)
	}
	wantForbidden(t, "a mirror pod of another node", mirror("static-b", "restricted-b", nil), `node "restricted-a" can only create pods with spec.nodeName set to itself`)
	wantForbidden(t, "a plain pod", mirror("plain", "restricted-a", func(p *corev1.Pod) { p.Annotations = nil }),
		`pod does not have "kubernetes.io/config.mirror" annotation, node "restricted-a" can only create mirror pods`)
	wantForbidden(t, "a mirror pod with a configmap", mirror("cm", "restricted-a", func(p *corev1.Pod) {
		p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "x"}}}}}
	}), `node "restricted-a" can not create pods that reference configmaps`)
	wantForbidden(t, "a mirror pod with a wrong owner UID", mirror("uid", "restricted-a", func(p *corev1.Pod) { p.OwnerReferences[0].UID = "wrong" }),
		`node restricted-a UID mismatch: expected wrong got `+string(self.UID))

	// Status, deletion and tokens: its own pods only.
	mine, err := shared.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "mine"},
		Spec: corev1.PodSpec{NodeName: "restricted-a", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := shared.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "theirs"},
		Spec: corev1.PodSpec{NodeName: "restricted-b", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node a's status write of its own pod", func(ctx context.Context) bool {
		_, err := nodeA.CoreV1().Pods(ns).Patch(ctx, "mine", types.MergePatchType, []byte(`{"status":{"message":"from a"}}`), metav1.PatchOptions{}, "status")
		return err == nil
	})
	_, err = nodeA.CoreV1().Pods(ns).Patch(ctx, "theirs", types.MergePatchType, []byte(`{"status":{"message":"from a"}}`), metav1.PatchOptions{}, "status")
	wantForbidden(t, "status of another node's pod", err, `node "restricted-a" can only update pod status for pods with spec.nodeName set to itself`)
	_, err = nodeA.CoreV1().Pods(ns).Patch(ctx, "mine", types.MergePatchType, []byte(`{"metadata":{"labels":{"a":"b"}}}`), metav1.PatchOptions{}, "status")
	wantForbidden(t, "labels through status", err, `node "restricted-a" cannot update labels through pod status`)
	err = nodeA.CoreV1().Pods(ns).Delete(ctx, "theirs", metav1.DeleteOptions{})
	wantForbidden(t, "deleting another node's pod", err, `node "restricted-a" can only delete pods with spec.nodeName set to itself`)

	token := func(pod *corev1.Pod, uid types.UID) error {
		_, err := nodeA.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			BoundObjectRef: &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: uid}}}, metav1.CreateOptions{})
		return err
	}
	// The Node authorizer lets node a ask for the account's tokens once
	// its cache has the pod on node a.
	waitFor(t, "a token bound to its own pod", func(context.Context) bool { return token(mine, mine.UID) == nil })
	wantForbidden(t, "a token bound to another node's pod", token(theirs, theirs.UID), "node requested token bound to a pod scheduled on a different node")
	wantForbidden(t, "a token without a pod uid", token(mine, ""), "node requested token with a pod binding without a uid")
	_, err = nodeA.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	wantForbidden(t, "an unbound token", err, "node requested token not bound to a pod")

	// Its node lease only.
	if _, err := shared.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "restricted-b"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = shared.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(context.Background(), "restricted-b", metav1.DeleteOptions{})
	})
	err = nodeA.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(ctx, "restricted-b", metav1.DeleteOptions{})
	wantForbidden(t, "deleting another node's lease", err, "can only access node lease with the same name as the requesting node")

	if err := nodeA.CoreV1().Pods(ns).Delete(ctx, "mine", metav1.DeleteOptions{}); err != nil {
		t.Errorf("deleting its own pod: %v", err)
	}
}
