package integration

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/test/integration/framework"
)

var standIns atomic.Int32

// standInCluster is nodes run by a stand-in kubelet, with a scheduler of
// the test's own: pods that name Scheduler are placed on the nodes, run
// (or end) as Fate says, and are deleted by the kubelet once their grace
// period is over. Pods of other tests, naming other schedulers, are never
// placed there.
type standInCluster struct {
	*framework.Kubelet
	Scheduler string
	Nodes     []string
}

// newStandIn makes one node per entry of labels, named after the test.
func newStandIn(t *testing.T, fate func(*corev1.Pod) framework.Fate, labels ...map[string]string) *standInCluster {
	t.Helper()
	n := standIns.Add(1)
	c := &standInCluster{Scheduler: fmt.Sprintf("stand-in-%d", n)}
	config := framework.KubeletConfig{Nodes: map[string]string{}, Labels: map[string]map[string]string{}, Fate: fate}
	for i, l := range labels {
		name := fmt.Sprintf("%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), i)
		c.Nodes = append(c.Nodes, name)
		// One /24 per node, from 10.128.0.0/10.
		block := int(n)*8 + i
		config.Nodes[name] = fmt.Sprintf("10.%d.%d.0/24", 128+block/256%64, block%256)
		config.Labels[name] = l
	}
	c.Kubelet = framework.StartKubelet(t, shared.Client, config)
	startScheduler(t, shared, c.Scheduler)
	return c
}

// template is podTemplate placed by the cluster's scheduler, with a short
// grace period so that deletions end quickly.
func (c *standInCluster) template(labels map[string]string) *corev1.PodTemplateSpec {
	t := podTemplate(labels)
	t.Spec.SchedulerName = c.Scheduler
	t.Spec.TerminationGracePeriodSeconds = new(int64)
	*t.Spec.TerminationGracePeriodSeconds = 1
	return t
}

// runAll runs every pod until deleted.
func runAll(*corev1.Pod) framework.Fate { return framework.Run }

// TestStandInKubelet checks the stand-in the other tests rely on: pods its
// scheduler places run with IPs of their own from their node's pod CIDR; a
// graceful delete leaves the pod Terminating until its grace period ends;
// a pod it is told to fail fails as a crashed container would.
func TestStandInKubelet(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cluster := newStandIn(t, runAll, nil, nil)
	pods := shared.Client.CoreV1().Pods(ns)
	for i := range 4 {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i)}, Spec: cluster.template(nil).Spec}
		pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](2)
		if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var running []corev1.Pod
	waitFor(t, "4 pods running and ready", func(ctx context.Context) bool {
		list, err := pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		running = nil
		for _, pod := range list.Items {
			if pod.Status.Phase == corev1.PodRunning && podReady(&pod) {
				running = append(running, pod)
			}
		}
		return len(running) == 4
	})
	seen := map[string]bool{}
	for _, pod := range running {
		node, err := shared.Client.CoreV1().Nodes().Get(ctx, pod.Spec.NodeName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, cidr, _ := net.ParseCIDR(node.Spec.PodCIDR)
		if ip := net.ParseIP(pod.Status.PodIP); ip == nil || !cidr.Contains(ip) || seen[pod.Status.PodIP] || pod.Status.HostIP == "" {
			t.Errorf("pod %s on %s (%s): IP %q, host IP %q", pod.Name, node.Name, node.Spec.PodCIDR, pod.Status.PodIP, pod.Status.HostIP)
		}
		seen[pod.Status.PodIP] = true
	}

	if err := pods.Delete(ctx, "p0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	terminating, err := pods.Get(ctx, "p0", metav1.GetOptions{})
	if err != nil || terminating.DeletionTimestamp == nil {
		t.Fatalf("after a graceful delete: %v %v", err, terminating)
	}
	waitFor(t, "p0 removed by the kubelet", func(ctx context.Context) bool {
		_, err := pods.Get(ctx, "p0", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	// deletionTimestamp has whole seconds.
	if early := time.Until(terminating.DeletionTimestamp.Time); early > time.Second {
		t.Errorf("p0 was removed %s before its grace period ended", early)
	}

	cluster.FailPod(ns, "p1")
	waitFor(t, "p1 failed", func(ctx context.Context) bool {
		pod, err := pods.Get(ctx, "p1", metav1.GetOptions{})
		return err == nil && pod.Status.Phase == corev1.PodFailed &&
			pod.Status.ContainerStatuses[0].State.Terminated != nil && pod.Status.ContainerStatuses[0].State.Terminated.ExitCode == 1
	})
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
