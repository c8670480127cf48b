package node

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The status says what the machine has and why the node is not ready, and
// keeps a condition's transition time while its status holds.
func TestStatus(t *testing.T) {
	notReady := "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:the node has no pod CIDR yet"
	n := &Node{Name: "n1", Address: "192.0.2.10", Port: 10250, RootDir: t.TempDir(), Health: func() string { return notReady }}
	first := n.status(nil)
	ready := condition(first, corev1.NodeReady)
	if ready.Status != corev1.ConditionFalse || ready.Reason != "KubeletNotReady" || ready.Message != notReady {
		t.Fatalf("Ready %+v", ready)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods, corev1.ResourceEphemeralStorage} {
		if q, ok := first.Capacity[r]; !ok || q.IsZero() {
			t.Errorf("capacity %s = %v", r, first.Capacity[r])
		}
	}
	if first.DaemonEndpoints.KubeletEndpoint.Port != 10250 || first.Addresses[0].Address != "192.0.2.10" || first.NodeInfo.KubeletVersion == "" {
		t.Errorf("endpoint/addresses/info: %+v %+v %+v", first.DaemonEndpoints, first.Addresses, first.NodeInfo)
	}
	// Still not ready later: the transition time stays.
	past := metav1.NewTime(ready.LastTransitionTime.Add(-3600e9))
	for i := range first.Conditions {
		first.Conditions[i].LastTransitionTime = past
	}
	if again := condition(n.status(&first), corev1.NodeReady); !again.LastTransitionTime.Equal(&past) {
		t.Errorf("transition time moved without a transition: %v", again.LastTransitionTime)
	}
	n.Health = func() string { return "" }
	if now := condition(n.status(&first), corev1.NodeReady); now.Status != corev1.ConditionTrue || now.Reason != "KubeletReady" || now.LastTransitionTime.Equal(&past) {
		t.Errorf("Ready after the fix: %+v", now)
	}
}

func condition(s corev1.NodeStatus, t corev1.NodeConditionType) corev1.NodeCondition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.NodeCondition{}
}

// The node's images are in its status, largest first, at most 50.
func TestStatusImages(t *testing.T) {
	var list []corev1.ContainerImage
	for i := range 60 {
		list = append(list, corev1.ContainerImage{Names: []string{fmt.Sprintf("example.test/img:%d", i)}, SizeBytes: int64(i)})
	}
	n := &Node{Name: "n1", RootDir: t.TempDir(), Images: func() []corev1.ContainerImage { return list }}
	images := n.status(nil).Images
	if len(images) != 50 || images[0].SizeBytes != 59 || images[49].SizeBytes != 10 {
		t.Errorf("%d images, first %+v, last %+v", len(images), images[0], images[len(images)-1])
	}
}
