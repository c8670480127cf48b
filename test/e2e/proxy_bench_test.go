package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// BenchmarkProxySync measures our proxy against the stock kube-proxy v1.37
// (iptables mode) on the same objects in one run, each alone in the same
// node namespace: the first (full) sync's duration, the duration of a sync
// after one EndpointSlice changed, the network programming latency of that
// change (slice written → rules in place, as each proxy reports it from the
// slice's last-change-trigger-time), the rules written and the proxy's
// RSS. Services are ClusterIP with five endpoints each; no traffic is sent.
//
//	sudo go test -run '^$' -bench ProxySync ./test/e2e/ -benchtime 1x
func BenchmarkProxySync(b *testing.B) {
	for _, services := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("services=%d", services), func(b *testing.B) {
			for range b.N {
				benchmarkProxies(b, services)
			}
		})
	}
}

type proxyFigures struct {
	fullSync, partialSync, programming time.Duration
	natRules, filterRules              int
	rssMiB                             float64
}

func benchmarkProxies(b *testing.B, services int) {
	c := startProxyCluster(b)
	cfg, err := clientcmd.BuildConfigFromFlags("", c.api.kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	client := kubernetes.NewForConfigOrDie(cfg)
	createServices(b, client, services)

	kubeconfig := filepath.Join(c.dir, "data", "proxy.kubeconfig")
	healthz := net.JoinHostPort(c.node.PeerIP.String(), "10256")
	// KYB_BENCH_LOG=1 logs each of our proxy's syncs (-v=2).
	verbosity := "-v=0"
	if os.Getenv("KYB_BENCH_LOG") != "" {
		verbosity = "-v=2"
	}
	ours := c.measureProxy(b, client, services, kybernetesBin, "proxy", "--kubeconfig", kubeconfig,
		"--hostname-override", proxyNodeName, "--healthz-bind-address", healthz, verbosity)
	if out, err := c.node.Run(kybernetesBin, "proxy", "--cleanup"); err != nil {
		b.Fatalf("cleanup: %v: %s", err, out)
	}
	stock := c.measureProxy(b, client, services, kubeProxyBin, "--kubeconfig", kubeconfig,
		"--hostname-override", proxyNodeName, "--proxy-mode", "iptables", "--healthz-bind-address", healthz,
		"--metrics-bind-address", "127.0.0.1:10249", "--conntrack-max-per-core", "0")

	b.ReportMetric(ours.fullSync.Seconds(), "full-sync-s")
	b.ReportMetric(stock.fullSync.Seconds(), "stock-full-sync-s")
	b.ReportMetric(ours.fullSync.Seconds()/stock.fullSync.Seconds(), "full-sync-ratio")
	b.ReportMetric(ours.partialSync.Seconds()*1000, "partial-sync-ms")
	b.ReportMetric(stock.partialSync.Seconds()*1000, "stock-partial-sync-ms")
	b.ReportMetric(ours.programming.Seconds()*1000, "programming-ms")
	b.ReportMetric(stock.programming.Seconds()*1000, "stock-programming-ms")
	b.ReportMetric(float64(ours.natRules+ours.filterRules), "rules")
	b.ReportMetric(float64(stock.natRules+stock.filterRules), "stock-rules")
	b.ReportMetric(ours.rssMiB, "rss-MiB")
	b.ReportMetric(stock.rssMiB, "stock-rss-MiB")
}

// createServices makes n ClusterIP services with a slice of five
// endpoints each (addresses nothing answers: only rules are measured).
func createServices(b *testing.B, client kubernetes.Interface, n int) {
	ctx := context.Background()
	work := make(chan int)
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			for i := range work {
				name := fmt.Sprintf("svc-%d", i)
				svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{
					Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
				}}
				if _, err := client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
				if _, err := client.DiscoveryV1().EndpointSlices("default").Create(ctx, benchSlice(name, i, 0), metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for i := range n {
		select {
		case work <- i:
		case err := <-errs:
			b.Fatal(err)
		}
	}
	close(work)
	for range 16 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// benchSlice is service i's slice; generation shifts one endpoint so that
// an update changes the rules.
func benchSlice(name string, i, generation int) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: name,
			discoveryv1.LabelManagedBy: "bench.kybernetes.io"},
			Annotations: map[string]string{corev1.EndpointsLastChangeTriggerTime: time.Now().UTC().Format(time.RFC3339Nano)}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for e := range 5 {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.%d.%d.%d", 128+e+5*generation, (i>>8)&0xff, i&0xff)},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		})
	}
	return s
}

// measureProxy runs one proxy until its first sync, changes a few slices
// one at a time, and reads its figures.
func (c *proxyCluster) measureProxy(b *testing.B, client kubernetes.Interface, services int, command string, args ...string) proxyFigures {
	c.startProxy(command, args...)
	defer c.stopProxy()
	var f proxyFigures
	var count, sum float64
	// Ten thousand services are some 160,000 rules: iptables-nft-restore
	// takes minutes over them.
	c.waitForUpTo(15*time.Minute, "the first sync", func() bool {
		m := c.metrics()
		count, sum = m["kubeproxy_sync_full_proxy_rules_duration_seconds_count"], m["kubeproxy_sync_full_proxy_rules_duration_seconds_sum"]
		return count >= 1
	})
	f.fullSync = seconds(sum / count)

	m := c.metrics()
	progCount, progSum := m["kubeproxy_network_programming_duration_seconds_count"], m["kubeproxy_network_programming_duration_seconds_sum"]
	syncCount, syncSum := m["kubeproxy_sync_partial_proxy_rules_duration_seconds_count"], m["kubeproxy_sync_partial_proxy_rules_duration_seconds_sum"]
	const changes = 5
	for i := range changes {
		// Past the minimum sync period, so that no change waits for it.
		time.Sleep(1200 * time.Millisecond)
		name := fmt.Sprintf("svc-%d", i*services/changes)
		ctx := context.Background()
		current, err := client.DiscoveryV1().EndpointSlices("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		next := benchSlice(name, i*services/changes, int(time.Now().UnixNano()%5)+1)
		current.Endpoints, current.Annotations = next.Endpoints, next.Annotations
		if _, err := client.DiscoveryV1().EndpointSlices("default").Update(ctx, current, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		before := c.metrics()["kubeproxy_network_programming_duration_seconds_count"]
		c.waitForUpTo(5*time.Minute, "the change programmed", func() bool {
			return c.metrics()["kubeproxy_network_programming_duration_seconds_count"] > before
		})
	}
	m = c.metrics()
	f.programming = seconds((m["kubeproxy_network_programming_duration_seconds_sum"] - progSum) / (m["kubeproxy_network_programming_duration_seconds_count"] - progCount))
	f.partialSync = seconds((m["kubeproxy_sync_partial_proxy_rules_duration_seconds_sum"] - syncSum) / (m["kubeproxy_sync_partial_proxy_rules_duration_seconds_count"] - syncCount))
	for table, n := range map[string]*int{"nat": &f.natRules, "filter": &f.filterRules} {
		out, _ := c.node.Run("iptables-save", "-t", table)
		*n = strings.Count(out, "\n-A KUBE-")
	}
	f.rssMiB = rssMiB(c.proxy.Process.Pid)
	if log, err := os.ReadFile(c.proxyLog); err == nil && os.Getenv("KYB_BENCH_LOG") != "" {
		for _, l := range strings.Split(string(log), "\n") {
			if strings.Contains(l, "Synced") {
				b.Log(l)
			}
		}
	}
	b.Logf("%s: full sync %v, partial %v, programming %v, %d nat + %d filter rules, %.0f MiB", filepath.Base(command),
		f.fullSync, f.partialSync, f.programming, f.natRules, f.filterRules, f.rssMiB)
	return f
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// metrics reads the proxy's /metrics (127.0.0.1:10249 in the node) into
// series → value, for series without labels (but IPv4's ip_family) and
// their _sum/_count.
func (c *proxyCluster) metrics() map[string]float64 {
	_, body := c.httpGet("127.0.0.1:10249", "/metrics")
	out := map[string]float64{}
	scanner := bufio.NewScanner(strings.NewReader(body))
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(strings.Replace(line, `{ip_family="IPv4"}`, "", 1))
		if len(fields) < 2 || strings.Contains(fields[0], "{") {
			continue
		}
		if v, err := strconv.ParseFloat(fields[1], 64); err == nil {
			out[fields[0]] = v
		}
	}
	return out
}

func rssMiB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}
