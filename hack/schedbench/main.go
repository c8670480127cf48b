// Command schedbench measures a scheduler end to end through the API
// server, in three phases that hack/benchmark-scheduler.sh strings together
// around starting the scheduler:
//
//	setup:  create --nodes nodes (32 cpu, 128Gi, 110 pods, three zones) and
//	        --pods pending pods (100m cpu, 128Mi each);
//	wait:   watch until --pods pods are bound; prints the throughput from
//	        the first binding to the last (a backlog drained);
//	stream: with the scheduler running, create --pods more pods as fast as
//	        the API server takes them; prints the throughput and the
//	        p50/p99 time from each create to its binding.
//
//	go run ./hack/schedbench --kubeconfig K --phase setup --nodes 1000 --pods 10000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
)

const namespace = "default"

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	phase := flag.String("phase", "", "setup, wait or stream")
	nodes := flag.Int("nodes", 1000, "nodes to create (setup)")
	pods := flag.Int("pods", 10000, "pods to create (setup, stream) or wait for (wait)")
	workers := flag.Int("workers", 32, "concurrent creators")
	timeout := flag.Duration("timeout", 15*time.Minute, "give up after this long")
	flag.Parse()
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail(err)
	}
	config.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
	config.ContentType = "application/vnd.kubernetes.protobuf"
	client := kubernetes.NewForConfigOrDie(config)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	switch *phase {
	case "setup":
		err = setup(ctx, client, *nodes, *pods, *workers)
	case "wait":
		err = waitBound(ctx, client, *pods)
	case "stream":
		err = stream(ctx, client, *pods, *workers)
	default:
		err = fmt.Errorf("--phase must be setup, wait or stream")
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "schedbench:", err)
	os.Exit(1)
}

// parallel runs do(i) for i in [0, n) on workers goroutines.
func parallel(n, workers int, do func(i int) error) error {
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := do(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return nil
}

func setup(ctx context.Context, client kubernetes.Interface, nodes, pods, workers int) error {
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("128Gi"),
		corev1.ResourcePods: resource.MustParse("110")}
	began := time.Now()
	err := parallel(nodes, workers, func(i int) error {
		name := fmt.Sprintf("node-%05d", i)
		_, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
				"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", i%3)}},
			Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity,
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now()}}},
		}, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("created %d nodes in %s\n", nodes, time.Since(began).Round(time.Millisecond))
	// kube-apiserver's ServiceAccount admission wants the default service
	// account, which no controller manager makes here.
	_, err = client.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	began = time.Now()
	if err := createPods(ctx, client, "backlog", pods, workers, nil); err != nil {
		return err
	}
	fmt.Printf("created %d pods in %s\n", pods, time.Since(began).Round(time.Millisecond))
	return nil
}

func benchPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"bench": "true"}},
		Spec: corev1.PodSpec{
			// kube-apiserver taints new nodes not-ready until a node
			// lifecycle controller sees them Ready; none runs here.
			Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}}}},
	}
}

// createPods creates prefix-<i> pods; created, if set, records when each
// create was sent.
func createPods(ctx context.Context, client kubernetes.Interface, prefix string, n, workers int, created *sync.Map) error {
	return parallel(n, workers, func(i int) error {
		name := fmt.Sprintf("%s-%06d", prefix, i)
		if created != nil {
			created.Store(name, time.Now())
		}
		_, err := client.CoreV1().Pods(namespace).Create(ctx, benchPod(name), metav1.CreateOptions{})
		return err
	})
}

// watchBindings calls bound(name, at) for each pod the first time it is
// seen with a node, until stop returns true.
func watchBindings(ctx context.Context, client kubernetes.Interface, bound func(name string, at time.Time) (stop bool)) error {
	list, err := client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, pod := range list.Items {
		if pod.Spec.NodeName != "" {
			seen[pod.Name] = true
			if bound(pod.Name, time.Now()) {
				return nil
			}
		}
	}
	w, err := client.CoreV1().Pods(namespace).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		return err
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if ev.Type == watch.Error {
			return fmt.Errorf("watch: %v", ev.Object)
		}
		pod, ok := ev.Object.(*corev1.Pod)
		if !ok || pod.Spec.NodeName == "" || seen[pod.Name] {
			continue
		}
		seen[pod.Name] = true
		if bound(pod.Name, time.Now()) {
			return nil
		}
	}
	return ctx.Err()
}

func waitBound(ctx context.Context, client kubernetes.Interface, pods int) error {
	began := time.Now()
	var first, last time.Time
	count := 0
	err := watchBindings(ctx, client, func(_ string, at time.Time) bool {
		count++
		if count == 1 {
			first = at
		}
		last = at
		return count >= pods
	})
	if err != nil {
		return fmt.Errorf("%d of %d pods bound: %w", count, pods, err)
	}
	drain := last.Sub(first)
	fmt.Printf("backlog: %d pods bound in %s from the first binding (%s since the wait began): %.0f pods/s\n",
		pods, drain.Round(time.Millisecond), last.Sub(began).Round(time.Millisecond), float64(pods-1)/drain.Seconds())
	return nil
}

func stream(ctx context.Context, client kubernetes.Interface, pods, workers int) error {
	var created sync.Map
	latencies := make([]time.Duration, 0, pods)
	var mu sync.Mutex
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		close(ready)
		done <- watchBindings(ctx, client, func(name string, at time.Time) bool {
			v, ok := created.Load(name)
			if !ok {
				return false // a backlog pod
			}
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, at.Sub(v.(time.Time)))
			return len(latencies) >= pods
		})
	}()
	<-ready
	time.Sleep(500 * time.Millisecond) // the watch is open
	began := time.Now()
	if err := createPods(ctx, client, "stream", pods, workers, &created); err != nil {
		return err
	}
	createdIn := time.Since(began)
	if err := <-done; err != nil {
		return err
	}
	total := time.Since(began)
	slices.Sort(latencies)
	p := func(q float64) time.Duration {
		return latencies[int(q*float64(len(latencies)-1))].Round(time.Millisecond)
	}
	fmt.Printf("stream: %d pods created in %s, all bound in %s: %.0f pods/s; create-to-bind p50 %s p99 %s max %s\n",
		pods, createdIn.Round(time.Millisecond), total.Round(time.Millisecond), float64(pods)/total.Seconds(), p(0.5), p(0.99), p(1))
	return nil
}
