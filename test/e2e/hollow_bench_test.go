package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkHollowNodes measures what a hollow node costs: one
// `kybernetes kubelet --runtime=fake` process with 10 nodes, then one with
// 50, each node running 10 pods; the difference in the process's RSS over
// the 40 extra nodes is the memory of one hollow node with its pods.
// (Upstream's kubemark hollow node, the baseline one would want, is one
// process a node and needs storage.k8s.io's CSINode, which kybernetes does
// not serve yet.)
//
//	go test -run '^$' -bench HollowNodes -benchtime 1x ./test/e2e/
func BenchmarkHollowNodes(b *testing.B) {
	for range b.N {
		small := hollowRSS(b, 10)
		large := hollowRSS(b, 50)
		b.ReportMetric(small, "rss-10-nodes-MiB")
		b.ReportMetric(large, "rss-50-nodes-MiB")
		b.ReportMetric((large-small)/40, "MiB/hollow-node")
	}
}

// hollowRSS starts n hollow nodes with 10 pods each and returns the
// kubelet process's RSS once every pod runs and the process has settled.
func hollowRSS(b *testing.B, n int) float64 {
	c := startHollowCluster(b, n)
	defer c.stop()
	pods := 10 * n
	c.k("create", "deployment", "hollow", "--image=example.test/web:1", fmt.Sprintf("--replicas=%d", pods))
	c.waitFor(fmt.Sprintf("%d ready replicas", pods), 5*time.Minute, func() bool {
		out, _ := c.kubectl("get", "deployment", "hollow", "-o", "jsonpath={.status.readyReplicas}")
		return out == fmt.Sprint(pods)
	})
	out := c.k("get", "pods", "-o", "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}")
	perNode := map[string]int{}
	for _, node := range strings.Fields(out) {
		perNode[node]++
	}
	if len(perNode) != n {
		b.Fatalf("pods on %d of %d nodes", len(perNode), n)
	}
	// A few status rounds (the nodes' 10 s lease, the pods' syncs) so
	// that the heap is what it stays at, not what starting cost.
	time.Sleep(20 * time.Second)
	return rssMiB(c.kubelet.Process.Pid)
}
