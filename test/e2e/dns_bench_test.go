package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// BenchmarkClusterDNS compares `kybernetes dns` with CoreDNS (the stock
// v1.15.0 that hack/build-coredns.sh builds, with its kubernetes plugin and
// kubeadm's Corefile) against one server holding 1000 Services: queries
// per second of 8 concurrent UDP clients asking for Services that exist and
// names that do not, and each process's RSS and anonymous memory once
// synced. Without the
// CoreDNS binary only kybernetes is measured.
func BenchmarkClusterDNS(b *testing.B) {
	dir := b.TempDir()
	api, err := startAPIServing("apiserver", filepath.Join(dir, "data"), filepath.Join(dir, "server.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer api.stop()
	config, err := clientcmd.BuildConfigFromFlags("", api.kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	config.QPS, config.Burst = 500, 500
	client := kubernetes.NewForConfigOrDie(config)
	const services = 1000
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < services; i += 10 {
				svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%d", i)},
					Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
				if _, err := client.CoreV1().Services("default").Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	names := make([]string, 0, 2*services)
	for i := range services {
		names = append(names, fmt.Sprintf("svc-%d.default.svc.cluster.local.", i), fmt.Sprintf("none-%d.default.svc.cluster.local.", i))
	}

	resolv := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 127.0.0.1\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	port := freeUDPPort(b)
	ours := exec.Command(kybernetesBin, "dns", "--kubeconfig", api.kubeconfig, "--port", fmt.Sprint(port), "--resolv-conf", resolv)
	measure(b, "kybernetes", ours, net.JoinHostPort("127.0.0.1", fmt.Sprint(port)), names)

	coredns := os.Getenv("COREDNS_BIN")
	if coredns == "" {
		coredns = filepath.Join(repoRoot(), "_output", "bin", "coredns")
	}
	if _, err := os.Stat(coredns); err != nil {
		b.Logf("no CoreDNS at %s (hack/build-coredns.sh builds it): kybernetes alone measured", coredns)
		return
	}
	port = freeUDPPort(b)
	corefile := filepath.Join(dir, "Corefile")
	// kubeadm's Corefile, on a free port and with our kubeconfig.
	if err := os.WriteFile(corefile, []byte(fmt.Sprintf(`.:%d {
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       kubeconfig %s
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    forward . %s
    cache 30
    loadbalance
}
`, port, api.kubeconfig, resolv)), 0o600); err != nil {
		b.Fatal(err)
	}
	measure(b, "coredns", exec.Command(coredns, "-conf", corefile), net.JoinHostPort("127.0.0.1", fmt.Sprint(port)), names)
}

// measure starts a DNS server, waits until it answers for the last
// Service, then reports its queries per second and RSS.
func measure(b *testing.B, name string, cmd *exec.Cmd, address string, names []string) {
	log, err := os.Create(filepath.Join(b.TempDir(), name+".log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	client := &dns.Client{Net: "udp", Timeout: time.Second}
	last := names[len(names)-2]
	deadline := time.Now().Add(time.Minute)
	for {
		req := new(dns.Msg)
		req.SetQuestion(last, dns.TypeA)
		if reply, _, err := client.Exchange(req, address); err == nil && len(reply.Answer) == 1 {
			break
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(log.Name())
			b.Fatalf("%s did not answer for %s in a minute:\n%s", name, last, tail(string(out), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	var answered, failed atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := client.Dial(address)
			if err != nil {
				failed.Add(1)
				return
			}
			defer conn.Close()
			for i := w; ctx.Err() == nil; i += 8 {
				req := new(dns.Msg)
				req.SetQuestion(names[i%len(names)], dns.TypeA)
				if _, _, err := client.ExchangeWithConn(req, conn); err != nil {
					failed.Add(1)
					continue
				}
				answered.Add(1)
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	qps := float64(answered.Load()) / time.Since(start).Seconds()
	b.ReportMetric(qps, name+"-queries/s")
	b.ReportMetric(rssMiB(cmd.Process.Pid), name+"-rss-MiB")
	// The part no other process shares: kybernetes's components share the
	// binary's pages with each other.
	b.ReportMetric(anonMiB(cmd.Process.Pid), name+"-anon-MiB")
	if failed.Load() > 0 {
		b.Logf("%s: %d queries failed", name, failed.Load())
	}
}

func freeUDPPort(b *testing.B) int {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// anonMiB is a process's anonymous memory (heap, stacks), from smaps_rollup.
func anonMiB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Anonymous:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
