package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// Terminated pods beyond --terminated-pod-gc-threshold go, oldest first;
// running pods are never counted.
func TestPodGCKeepsTheNewestTerminatedPods(t *testing.T) {
	ctx := context.Background()
	server := framework.Start(t, framework.Setup{WithoutControllers: true})
	opts := manager.DefaultOptions()
	opts.LeaderElect, opts.TerminatedPodGCThreshold, opts.PodGCPeriod = false, 2, 200*time.Millisecond
	pods := server.Client.CoreV1().Pods("default")
	for i := range 5 {
		pod, err := pods.Create(ctx, simplePod(fmt.Sprintf("p%d", i)), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i < 4 { // p4 keeps running
			pod.Status.Phase = corev1.PodSucceeded
			if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(1100 * time.Millisecond) // creation timestamps have one-second resolution
	}
	runControllers(t, server, opts)
	waitFor(t, "the two oldest terminated pods collected", func(ctx context.Context) bool {
		list, err := pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		names := map[string]bool{}
		for _, p := range list.Items {
			names[p.Name] = true
		}
		return len(names) == 3 && names["p2"] && names["p3"] && names["p4"]
	})
}
