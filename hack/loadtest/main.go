// Command loadtest drives N concurrent clients against any cluster (a
// kubeconfig) through a cycle of create, get, update, list and delete of one
// resource (configmaps, ~2 KB pods, or services), and prints the throughput
// and the p50/p99 latency of each operation. Run it against kybernetes and a
// stock kube-apiserver in the same session to compare them as ratios
// (hack/benchmark-apiserver.sh does).
//
//	go run ./hack/loadtest --kubeconfig /tmp/kyb/admin.kubeconfig --resource pods --clients 8 --duration 20s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
)

var operations = []string{"create", "get", "update", "list", "delete"}

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster under load")
	clients := flag.Int("clients", 8, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "how long to run")
	maxCycles := flag.Int("max-cycles", 100000, "stop each client after this many cycles")
	namespace := flag.String("namespace", "loadtest", "namespace to work in (created if missing, deleted after)")
	resource := flag.String("resource", "configmaps", "what to load: configmaps, pods or services")
	flag.Parse()
	if err := run(*kubeconfig, *namespace, *resource, *clients, *maxCycles, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, namespace, resource string, clients, maxCycles int, duration time.Duration) error {
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	// The point is to load the server, not client-go's rate limiter.
	config.RateLimiter = flowcontrol.NewFakeAlwaysRateLimiter()
	// Warnings the server sends are not what is measured; logging them is
	// client work that would slow one server's figures and not another's.
	config.WarningHandler = rest.NoWarnings{}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	ctx := context.Background()
	_, err = client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	defer client.CoreV1().Namespaces().Delete(context.Background(), namespace, metav1.DeleteOptions{})
	// kube-apiserver's ServiceAccount admission refuses pods in a namespace
	// without a default service account, which a cluster's controller
	// manager would have made; a bare API server has none.
	_, err = client.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	results := make([]map[string][]time.Duration, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := newWorkload(resource, client, namespace)
			if err != nil {
				errs[i] = err
				return
			}
			results[i], errs[i] = runClient(ctx, w, i, maxCycles)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	report(results, clients, elapsed)
	return nil
}

// runClient repeats the cycle on its own objects until ctx ends.
func runClient(ctx context.Context, w workload, id, maxCycles int) (map[string][]time.Duration, error) {
	latencies := map[string][]time.Duration{}
	for cycle := 0; cycle < maxCycles && ctx.Err() == nil; cycle++ {
		name := fmt.Sprintf("load-%d-%d", id, cycle)
		steps := []struct {
			op string
			f  func() error
		}{
			{"create", func() error { return w.create(ctx, name) }},
			{"get", func() error { return w.get(ctx, name) }},
			{"update", func() error { return w.update(ctx, name) }},
			{"list", func() error { return w.list(ctx) }},
			{"delete", func() error { return w.delete(ctx, name) }},
		}
		for _, step := range steps {
			start := time.Now()
			err := step.f()
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
					// The deadline cut this request short: not a server error.
					return latencies, nil
				}
				return nil, fmt.Errorf("%s %s: %w", step.op, name, err)
			}
			latencies[step.op] = append(latencies[step.op], time.Since(start))
		}
	}
	return latencies, nil
}

func report(results []map[string][]time.Duration, clients int, elapsed time.Duration) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "operation\tcount\tops/s\tp50\tp99\t\n")
	total := 0
	for _, op := range operations {
		var all []time.Duration
		for _, r := range results {
			all = append(all, r[op]...)
		}
		slices.Sort(all)
		total += len(all)
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%s\t%s\t\n", op, len(all), float64(len(all))/elapsed.Seconds(),
			percentile(all, 0.50), percentile(all, 0.99))
	}
	fmt.Fprintf(w, "all\t%d\t%.0f\t\t\t\n", total, float64(total)/elapsed.Seconds())
	w.Flush()
	fmt.Printf("%d clients, %s\n", clients, elapsed.Round(time.Millisecond))
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*p)].Round(10 * time.Microsecond)
}
