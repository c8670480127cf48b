// Command deploybench measures a controller manager rolling out
// Deployments: for each replica count it creates a Deployment and records
// the time until every pod exists and, with a stand-in kubelet writing each
// pod Running and Ready as it appears, until the Deployment is Available;
// and the controller manager's CPU seconds (from /proc/<pid>/stat) per 1000
// pods. hack/benchmark-controllers.sh runs it against kybernetes's
// controller manager and a stock kube-controller-manager in one session.
//
//	go run ./hack/deploybench --kubeconfig K --pid $(pgrep -f 'kybernetes controller-manager') --replicas 100,1000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	pid := flag.Int("pid", 0, "process id of the controller manager, for its CPU time (0: not measured)")
	replicaCounts := flag.String("replicas", "100,1000", "comma-separated replica counts, one Deployment each")
	kubelets := flag.Int("kubelet-workers", 16, "concurrent status writers standing in for kubelets")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up on one Deployment after this long")
	flag.Parse()
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail(err)
	}
	config.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
	client := kubernetes.NewForConfigOrDie(config)
	fmt.Printf("%-9s %12s %14s %10s %16s\n", "REPLICAS", "ALL-PODS", "AVAILABLE", "CPU", "CPU/1000-PODS")
	for _, field := range strings.Split(*replicaCounts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil {
			fail(err)
		}
		r, err := measure(client, n, *pid, *kubelets, *timeout)
		if err != nil {
			fail(err)
		}
		cpu := "-"
		perThousand := "-"
		if *pid > 0 {
			cpu = fmt.Sprintf("%.2fs", r.cpu.Seconds())
			perThousand = fmt.Sprintf("%.2fs", r.cpu.Seconds()*1000/float64(n))
		}
		fmt.Printf("%-9d %12s %14s %10s %16s\n", n, r.allPods.Round(time.Millisecond), r.available.Round(time.Millisecond), cpu, perThousand)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "deploybench:", err)
	os.Exit(1)
}

type result struct {
	allPods, available, cpu time.Duration
}

func measure(client kubernetes.Interface, replicas, pid, kubelets int, timeout time.Duration) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ns := fmt.Sprintf("deploybench-%d-%d", replicas, time.Now().UnixNano()%100000)
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return result{}, err
	}
	defer deleteNamespace(client, ns)

	// The stand-in kubelet: every new pod is written Running and Ready.
	watcher, err := client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		return result{}, err
	}
	defer watcher.Stop()
	var seen atomic.Int64
	allPods := make(chan time.Time, 1)
	toStart := make(chan *corev1.Pod, replicas)
	var wg sync.WaitGroup
	for range kubelets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pod := range toStart {
				start(ctx, client, pod)
			}
		}()
	}
	go func() {
		defer close(toStart)
		for ev := range watcher.ResultChan() {
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok || ev.Type != watch.Added {
				continue
			}
			if seen.Add(1) == int64(replicas) {
				allPods <- time.Now()
			}
			select {
			case toStart <- pod:
			case <-ctx.Done():
				return
			}
		}
	}()

	cpuBefore := cpuTime(pid)
	began := time.Now()
	deployment := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "bench"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &[]int32{int32(replicas)}[0],
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "bench"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "bench"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, deployment, metav1.CreateOptions{}); err != nil {
		return result{}, err
	}
	var r result
	select {
	case at := <-allPods:
		r.allPods = at.Sub(began)
	case <-ctx.Done():
		return r, fmt.Errorf("%d replicas: only %d pods within %s", replicas, seen.Load(), timeout)
	}
	err = wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		d, err := client.AppsV1().Deployments(ns).Get(ctx, "bench", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue && d.Status.AvailableReplicas == int32(replicas) {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return r, fmt.Errorf("%d replicas: not available within %s", replicas, timeout)
	}
	r.available = time.Since(began)
	r.cpu = cpuTime(pid) - cpuBefore
	watcher.Stop()
	wg.Wait()
	return r, nil
}

// start writes a pod's status as its kubelet would once its containers run.
func start(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod) {
	now := metav1.Now()
	for attempt := 0; attempt < 5; attempt++ {
		pod.Status.Phase = corev1.PodRunning
		pod.Status.PodIP = "10.244.0.1"
		pod.Status.StartTime = &now
		pod.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		}
		_, err := client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if !apierrors.IsConflict(err) {
			return
		}
		latest, err := client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return
		}
		pod = latest
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) start at
	// the state; utime and stime are the 12th and 13th of them.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

func deleteNamespace(client kubernetes.Interface, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_ = client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	_ = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}
