package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// standInKubelet marks every pod of ns Running and Ready as it appears, as
// kubelets would, until the test ends (there is no kubelet in these tests).
func standInKubelet(t *testing.T, ns string) {
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(config)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err == nil {
				for _, pod := range pods.Items {
					if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodRunning {
						continue
					}
					now := metav1.Now()
					pod.Status.Phase, pod.Status.PodIP, pod.Status.StartTime = corev1.PodRunning, "10.244.0.9", &now
					pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
					_, _ = client.CoreV1().Pods(ns).UpdateStatus(ctx, &pod, metav1.UpdateOptions{})
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// kubectl rollout status/undo/pause/resume/restart on a Deployment whose
// pods become ready, and rollout status failing on a progress deadline.
func TestDeploymentRollouts(t *testing.T) {
	ns := namespace(t, "e2e-rollout")
	standInKubelet(t, ns)
	mustContain(t, k(t, "-n", ns, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=3"), "deployment.apps/web created")
	mustContain(t, k(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s"), `deployment "web" successfully rolled out`)

	mustContain(t, k(t, "-n", ns, "set", "image", "deployment/web", "nginx=nginx:1.28"), "deployment.apps/web image updated")
	mustContain(t, k(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s"), `deployment "web" successfully rolled out`)
	mustContain(t, k(t, "-n", ns, "rollout", "undo", "deployment/web"), "deployment.apps/web rolled back")
	mustContain(t, k(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s"), `deployment "web" successfully rolled out`)
	if got := k(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "nginx:1.27" {
		t.Fatalf("image after undo: %s", got)
	}
	mustContain(t, k(t, "-n", ns, "rollout", "history", "deployment/web"), "2         <none>", "3         <none>")

	mustContain(t, k(t, "-n", ns, "rollout", "pause", "deployment/web"), "deployment.apps/web paused")
	mustContain(t, k(t, "-n", ns, "rollout", "resume", "deployment/web"), "deployment.apps/web resumed")
	mustContain(t, k(t, "-n", ns, "rollout", "restart", "deployment/web"), "deployment.apps/web restarted")
	mustContain(t, k(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s"), `deployment "web" successfully rolled out`)
	mustContain(t, k(t, "-n", ns, "scale", "deployment/web", "--replicas=1"), "deployment.apps/web scaled")
	mustContain(t, k(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s"), `deployment "web" successfully rolled out`)
	waitForPods(t, ns, "app=web", 1)

	// kubectl describe shows the controller's events and conditions.
	describe := k(t, "-n", ns, "describe", "deployment", "web")
	mustContain(t, describe, "ScalingReplicaSet", "deployment-controller", "Progressing    True    NewReplicaSetAvailable", "Available      True    MinimumReplicasAvailable")

	// No kubelet in this namespace: the rollout never progresses and
	// rollout status gives up at the deadline, as upstream.
	stuck := namespace(t, "e2e-stuck")
	deployment := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"stuck"},"spec":{"progressDeadlineSeconds":2,
	  "selector":{"matchLabels":{"app":"stuck"}},"template":{"metadata":{"labels":{"app":"stuck"}},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}}}`
	kIn(t, deployment, "-n", stuck, "create", "-f", "-")
	_, stderr, err := kubectl(t, "", nil, "-n", stuck, "rollout", "status", "deployment/stuck", "--timeout=60s")
	if err == nil || !strings.Contains(stderr, `deployment "stuck" exceeded its progress deadline`) {
		t.Fatalf("rollout status of a stuck deployment: %v %s", err, stderr)
	}
}

// The scheduler in `kybernetes server` binds a pod to the one node that
// fits it; kubectl shows where and why.
func TestSchedulingWithKubectl(t *testing.T) {
	ns := namespace(t, "e2e-sched")
	// Tainted, so that other tests' pods stay off it.
	node := `{"apiVersion":"v1","kind":"Node","metadata":{"name":"e2e-sched","labels":{"kubernetes.io/hostname":"e2e-sched"}},
	  "spec":{"taints":[{"key":"e2e","value":"sched","effect":"NoSchedule"}]},
	  "status":{"capacity":{"cpu":"2","memory":"4Gi","pods":"10"},"allocatable":{"cpu":"2","memory":"4Gi","pods":"10"},
	    "conditions":[{"type":"Ready","status":"True"}]}}`
	kIn(t, node, "create", "-f", "-")
	t.Cleanup(func() { _, _, _ = kubectl(t, "", nil, "delete", "node", "e2e-sched") })
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"placed"},"spec":{
	  "tolerations":[{"key":"e2e","operator":"Equal","value":"sched","effect":"NoSchedule"}],
	  "containers":[{"name":"c","image":"busybox:1.36","resources":{"requests":{"cpu":"500m"}}}]}}`
	kIn(t, pod, "-n", ns, "create", "-f", "-")
	var rows [][]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rows = fields(k(t, "-n", ns, "get", "pod", "placed", "-o", "wide"))
		if len(rows) == 2 && rows[1][6] == "e2e-sched" {
			break
		}
	}
	if strings.Join(rows[0][:7], " ") != "NAME READY STATUS RESTARTS AGE IP NODE" || rows[1][6] != "e2e-sched" {
		t.Fatalf("get pod -o wide:\n%v", rows)
	}
	describe := strings.Join(strings.Fields(k(t, "-n", ns, "describe", "pod", "placed")), " ")
	mustContain(t, describe, "Node: e2e-sched", "Normal Scheduled", "default-scheduler Successfully assigned "+ns+"/placed to e2e-sched")
}
