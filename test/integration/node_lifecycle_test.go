package integration

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/controllers/nodelifecycle"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// A node whose kubelet goes silent: Ready turns Unknown after the grace
// period, the unreachable taints go on, its pods are marked not ready and,
// once their toleration time is up, evicted (and replaced by their replica
// set); a pod tolerating the taint for ever stays. The kubelet coming back
// lifts the taints; deleting the node lets the pod garbage collector take
// its pods. The node has a pod CIDR from the cluster CIDR throughout.
func TestNodeGoesSilent(t *testing.T) {
	ctx := context.Background()
	opts := manager.DefaultOptions()
	opts.LeaderElect = false
	opts.NodeLifecycle = nodelifecycle.Options{MonitorPeriod: 200 * time.Millisecond, GracePeriod: 2 * time.Second, StartupGracePeriod: 2 * time.Second}
	opts.PodGCPeriod = 500 * time.Millisecond
	server := framework.Start(t, framework.Setup{Controllers: &opts})
	client := server.Client

	_, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1"},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
			Reason: "KubeletReady", LastHeartbeatTime: metav1.Now()}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The kubelet's heartbeat: renew the node's Lease until silenced.
	heartbeatCtx, silence := context.WithCancel(ctx)
	defer silence()
	lease, err := client.CoordinationV1().Leases(nodelifecycle.NodeLeaseNamespace).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "worker-1"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To("worker-1"), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: ptr.To(metav1.NowMicro())}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for heartbeatCtx.Err() == nil {
			time.Sleep(300 * time.Millisecond)
			lease.Spec.RenewTime = ptr.To(metav1.NowMicro())
			if updated, err := client.CoordinationV1().Leases(nodelifecycle.NodeLeaseNamespace).Update(heartbeatCtx, lease, metav1.UpdateOptions{}); err == nil {
				lease = updated
			}
		}
	}()

	waitFor(t, "a pod CIDR from 10.244.0.0/16", func(ctx context.Context) bool {
		got, err := client.CoreV1().Nodes().Get(ctx, "worker-1", metav1.GetOptions{})
		if err != nil || got.Spec.PodCIDR == "" {
			return false
		}
		_, subnet, err := net.ParseCIDR(got.Spec.PodCIDR)
		ones, _ := subnet.Mask.Size()
		return err == nil && strings.HasPrefix(got.Spec.PodCIDR, "10.244.") && ones == 24 && got.Spec.PodCIDRs[0] == got.Spec.PodCIDR
	})

	// Two replica set pods that tolerate unreachability for 1 s, and one
	// pod that tolerates it for ever, all running on the node.
	template := podTemplate(map[string]string{"app": "web"})
	template.Spec.Tolerations = []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](1)}}
	_, err = client.AppsV1().ReplicaSets("default").Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](2), Selector: selector("web"), Template: *template}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	steadfast := simplePod("steadfast")
	steadfast.Spec.Tolerations = []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}}
	if _, err := client.CoreV1().Pods("default").Create(ctx, steadfast, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var original []string
	waitFor(t, "3 pods", func(ctx context.Context) bool {
		list, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) != 3 {
			return false
		}
		original = nil
		for _, pod := range list.Items {
			original = append(original, pod.Name)
		}
		return true
	})
	for _, name := range original {
		if err := client.CoreV1().Pods("default").Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: name},
			Target: corev1.ObjectReference{Kind: "Node", Name: "worker-1"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		pod, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pod.Status.Phase = corev1.PodRunning
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()})
		if _, err := client.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2500 * time.Millisecond) // longer than the grace period: the heartbeats keep the node Ready
	if got, _ := client.CoreV1().Nodes().Get(ctx, "worker-1", metav1.GetOptions{}); nodeReady(got) != corev1.ConditionTrue || len(got.Spec.Taints) != 0 {
		t.Fatalf("a node with a renewed lease lost Ready: %+v taints %v", got.Status.Conditions, got.Spec.Taints)
	}

	silence()
	waitFor(t, "Ready=Unknown and the unreachable taints", func(ctx context.Context) bool {
		got, err := client.CoreV1().Nodes().Get(ctx, "worker-1", metav1.GetOptions{})
		if err != nil || nodeReady(got) != corev1.ConditionUnknown {
			return false
		}
		effects := map[corev1.TaintEffect]bool{}
		for _, taint := range got.Spec.Taints {
			if taint.Key == corev1.TaintNodeUnreachable {
				effects[taint.Effect] = true
			}
		}
		return effects[corev1.TaintEffectNoSchedule] && effects[corev1.TaintEffectNoExecute]
	})
	got, _ := client.CoreV1().Nodes().Get(ctx, "worker-1", metav1.GetOptions{})
	for _, c := range got.Status.Conditions {
		if c.Type == corev1.NodeReady && (c.Reason != "NodeStatusUnknown" || c.Message != "Kubelet stopped posting node status.") {
			t.Errorf("Ready condition: %+v", c)
		}
	}
	waitFor(t, "the replica set's pods evicted and replaced, the steadfast pod kept but not ready", func(ctx context.Context) bool {
		list, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		evicted, fresh, steadfastOK := 0, 0, false
		for _, pod := range list.Items {
			switch {
			case pod.Name == "steadfast":
				steadfastOK = pod.DeletionTimestamp == nil && !isPodReady(&pod)
			case pod.DeletionTimestamp != nil:
				evicted++
			case pod.Spec.NodeName == "":
				fresh++
			}
		}
		return evicted == 2 && fresh == 2 && steadfastOK
	})
	waitFor(t, "TaintManagerEviction events", func(ctx context.Context) bool {
		list, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "reason=TaintManagerEviction"})
		return err == nil && len(list.Items) == 2
	})

	// The kubelet reports again: the taints come off.
	got.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: metav1.Now()}}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the taints lifted", func(ctx context.Context) bool {
		got, err := client.CoreV1().Nodes().Get(ctx, "worker-1", metav1.GetOptions{})
		return err == nil && len(got.Spec.Taints) == 0
	})

	// The node is deleted: its pods (the terminating ones and the
	// steadfast one) go with it.
	if err := client.CoreV1().Nodes().Delete(ctx, "worker-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the node's pods collected", func(ctx context.Context) bool {
		for _, name := range original {
			if _, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return false
			}
		}
		return true
	})
}

func nodeReady(node *corev1.Node) corev1.ConditionStatus {
	if node == nil {
		return ""
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}
