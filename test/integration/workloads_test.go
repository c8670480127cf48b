package integration

import (
	"context"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

func podTemplate(labels map[string]string) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
	}
}

func TestReplicationControllerDefaultsAndScale(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	rcs := shared.Client.CoreV1().ReplicationControllers(ns)
	rc, err := rcs.Create(ctx, &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.ReplicationControllerSpec{Template: podTemplate(map[string]string{"app": "web"})},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *rc.Spec.Replicas != 1 || rc.Spec.Selector["app"] != "web" || rc.Labels["app"] != "web" ||
		rc.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways || rc.Generation != 1 {
		t.Fatalf("defaulted controller: %+v generation %d", rc.Spec, rc.Generation)
	}

	scale, err := rcs.GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if scale.Spec.Replicas != 1 || scale.Status.Selector != "app=web" {
		t.Fatalf("scale: %+v", scale)
	}
	// The replication controller may write the controller's status between
	// the read and the write (a conflict); read the scale again then.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if scale, err = rcs.GetScale(ctx, "web", metav1.GetOptions{}); err != nil {
			return err
		}
		scale.Spec.Replicas = 5
		_, err := rcs.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, _ = rcs.Get(ctx, "web", metav1.GetOptions{})
	if *rc.Spec.Replicas != 5 || rc.Generation != 2 {
		t.Fatalf("after scaling: replicas %d generation %d", *rc.Spec.Replicas, rc.Generation)
	}
	// A stale scale conflicts; a negative one is invalid.
	if _, err := rcs.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("stale scale: want Conflict, got %v", err)
	}
	_, err = rcs.UpdateScale(ctx, "web", &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: autoscalingv1.ScaleSpec{Replicas: -1}}, metav1.UpdateOptions{})
	assertInvalid(t, err, "spec.replicas")

	rc.Status.Replicas, rc.Status.ReadyReplicas = 5, 3
	if rc, err = rcs.UpdateStatus(ctx, rc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	rc.Status.ReadyReplicas = 9
	_, err = rcs.UpdateStatus(ctx, rc, metav1.UpdateOptions{})
	assertInvalid(t, err, "status.readyReplicas")

	_, err = rcs.Create(ctx, &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "mismatch"},
		Spec: corev1.ReplicationControllerSpec{Selector: map[string]string{"app": "other"},
			Template: podTemplate(map[string]string{"app": "web"}), Replicas: ptr.To[int32](-2)},
	}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.template.metadata.labels")
	assertInvalid(t, err, "spec.replicas")
}

func TestNodes(t *testing.T) {
	ctx := context.Background()
	nodes := shared.Client.CoreV1().Nodes()
	node, err := nodes.Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node-a", Labels: map[string]string{"node-role.kubernetes.io/worker": ""}},
		Spec:       corev1.NodeSpec{PodCIDR: "10.244.1.0/24", PodCIDRs: []string{"10.244.1.0/24"}},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.0.2.5"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nodes.Delete(context.Background(), "node-a", metav1.DeleteOptions{}) })
	if len(node.Status.Conditions) != 1 {
		t.Fatalf("a node registers with its status: %+v", node.Status)
	}
	node.Spec.PodCIDRs = []string{"10.244.2.0/24"}
	node.Spec.PodCIDR = "10.244.2.0/24"
	_, err = nodes.Update(ctx, node, metav1.UpdateOptions{})
	assertInvalid(t, err, "spec.podCIDRs")

	node, _ = nodes.Get(ctx, "node-a", metav1.GetOptions{})
	node.Spec.Unschedulable = true
	node.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	if _, err := nodes.Update(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	cordoned, err := nodes.List(ctx, metav1.ListOptions{FieldSelector: "spec.unschedulable=true"})
	if err != nil || len(cordoned.Items) != 1 {
		t.Fatalf("field selector spec.unschedulable=true: %v %d", err, len(cordoned.Items))
	}
	bad := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-b"},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "k", Effect: "Sometimes"}}}}
	_, err = nodes.Create(ctx, bad, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.taints[0].effect")
}

func TestPodTemplates(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pt, err := shared.Client.CoreV1().PodTemplates(ns).Create(ctx, &corev1.PodTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "tpl"}, Template: *podTemplate(map[string]string{"a": "b"})}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pt.Template.Spec.DNSPolicy != corev1.DNSClusterFirst {
		t.Fatalf("template spec not defaulted: %+v", pt.Template.Spec)
	}
	_, err = shared.Client.CoreV1().PodTemplates(ns).Create(ctx, &corev1.PodTemplate{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}, metav1.CreateOptions{})
	assertInvalid(t, err, "template.spec.containers")
}
