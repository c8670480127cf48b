package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kybernetes/kybernetes/test/netns"
)

// proxyCluster is a node in a network namespace of the test's own, with
// pods hanging off it (namespaces with a default route through the node,
// each serving on :8080) and a client namespace beside them; the API server
// runs on the host, on the host's end of the node's link.
type proxyCluster struct {
	t      testing.TB
	dir    string
	api    *serverProcess
	node   *netns.Namespace
	client *netns.Namespace
	pods   map[string]*netns.Namespace
	proxy  *exec.Cmd
	// proxyExited is closed when the proxy process ends.
	proxyExited chan struct{}
	proxyLog    string
}

const proxyNodeName = "proxy-node"

func requireProxyTools(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: programs iptables in network namespaces the test makes (runs in CI as root)")
	}
	for _, tool := range []string{"ip", "iptables", "iptables-save"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (apt-get install iptables iproute2)", tool)
		}
	}
}

func startProxyCluster(t testing.TB, pods ...string) *proxyCluster {
	requireProxyTools(t)
	c := &proxyCluster{t: t, dir: t.TempDir(), node: netns.New(t), pods: map[string]*netns.Namespace{}}
	c.proxyLog = filepath.Join(c.dir, "proxy.log")
	// Cluster IPs route to a sink namespace that forwards nothing: a packet
	// that no rule rewrites dies there and never leaves the test's
	// namespaces (kube-proxy's IPVS mode uses a dummy link the same way;
	// this kernel has none).
	sink := c.node.NewChild(t)
	if out, err := c.node.Run("ip", "route", "add", "10.96.0.0/12", "via", sink.PeerIP.String()); err != nil {
		t.Fatalf("route the service range to the sink: %v: %s", err, out)
	}
	api, err := startAPIServingIn(nil, "server", filepath.Join(c.dir, "data"), filepath.Join(c.dir, "server.log"),
		"--bind-address", c.node.HostIP.String())
	if err != nil {
		t.Fatal(err)
	}
	c.api = api
	t.Cleanup(func() { _ = api.stop() })
	for _, name := range pods {
		pod := c.node.NewChild(t)
		c.pods[name] = pod
		serveName(t, pod.Listen(t, ":8080"), name)
		serveNameUDP(t, pod, name)
	}
	c.client = c.node.NewChild(t)
	// The node as the API knows it, which the stock kube-proxy waits for.
	c.apply(fmt.Sprintf(`apiVersion: v1
kind: Node
metadata:
  name: %s
status:
  addresses:
  - type: InternalIP
    address: %s
`, proxyNodeName, c.node.PeerIP))
	return c
}

// serveName answers each line a client sends with the backend's name.
func serveName(t testing.TB, l net.Listener, name string) {
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				lines := bufio.NewScanner(conn)
				for lines.Scan() {
					if _, err := fmt.Fprintf(conn, "%s\n", name); err != nil {
						return
					}
				}
			}()
		}
	}()
}

// serveNameUDP answers each datagram to :5353 with the backend's name.
func serveNameUDP(t testing.TB, ns *netns.Namespace, name string) {
	var pc net.PacketConn
	if err := ns.Do(func() (err error) { pc, err = net.ListenPacket("udp", ns.PeerIP.String()+":5353"); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo([]byte(name), from)
		}
	}()
}

// askUDP sends one datagram on conn and returns the answer.
func askUDP(conn net.Conn) (string, error) {
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("who")); err != nil {
		return "", err
	}
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	return string(buf[:n]), err
}

func (c *proxyCluster) kubectl(stdin string, args ...string) (string, error) {
	cmd := exec.Command(kubectlBin, append([]string{"--kubeconfig", c.api.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c *proxyCluster) apply(yaml string) {
	c.t.Helper()
	if out, err := c.kubectl(yaml, "apply", "-f", "-"); err != nil {
		c.t.Fatalf("kubectl apply: %v: %s\n%s", err, out, yaml)
	}
}

func (c *proxyCluster) get(args ...string) string {
	c.t.Helper()
	out, err := c.kubectl("", append([]string{"get"}, args...)...)
	if err != nil {
		c.t.Fatalf("kubectl get %v: %v: %s", args, err, out)
	}
	return out
}

// startProxy runs command (our proxy or the stock kube-proxy) inside the
// node namespace.
func (c *proxyCluster) startProxy(command string, args ...string) {
	c.t.Helper()
	log, err := os.OpenFile(c.proxyLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := c.node.Command(command, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(exited) }()
	c.proxy, c.proxyExited = cmd, exited
	c.t.Cleanup(c.stopProxy)
}

func (c *proxyCluster) stopProxy() {
	if c.proxy == nil {
		return
	}
	_ = c.proxy.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.proxyExited:
	case <-time.After(30 * time.Second):
		_ = c.proxy.Process.Kill()
		<-c.proxyExited
	}
	c.proxy = nil
	if c.t.Failed() {
		log, _ := os.ReadFile(c.proxyLog)
		c.t.Logf("proxy log:\n%s", tail(string(log), 40))
	}
}

// ask connects from ns to address, sends a line and returns the name of
// the backend that answered.
func ask(ns *netns.Namespace, address string) (string, error) {
	conn, err := ns.Dial("tcp", address, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return askOn(conn)
}

func askOn(conn net.Conn) (string, error) {
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(conn, "who\n"); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

func (c *proxyCluster) waitFor(what string, ok func() bool) {
	c.t.Helper()
	c.waitForUpTo(45*time.Second, what, ok)
}

func (c *proxyCluster) waitForUpTo(timeout time.Duration, what string, ok func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			out, _ := c.node.Run("iptables-save")
			c.t.Fatalf("timed out waiting for %s; the node's rules:\n%s", what, tail(out, 80))
		}
		select {
		case <-c.proxyExited:
			log, _ := os.ReadFile(c.proxyLog)
			c.t.Fatalf("the proxy exited while waiting for %s:\n%s", what, tail(string(log), 40))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sample asks address n times and counts the answers.
func sample(t testing.TB, ns *netns.Namespace, address string, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for range n {
		name, err := ask(ns, address)
		if err != nil {
			t.Fatalf("asking %s: %v", address, err)
		}
		seen[name]++
	}
	return seen
}

// serviceYAML is a selector-less Service with an EndpointSlice of the
// given pods, the way a user points a Service at backends by hand.
func (c *proxyCluster) serviceYAML(name, spec string, pods ...string) string {
	return c.serviceYAMLOn(name, spec, 8080, "TCP", pods...)
}

// serviceYAMLOn is serviceYAML with the endpoints' port and protocol.
func (c *proxyCluster) serviceYAMLOn(name, spec string, port int, protocol string, pods ...string) string {
	var eps strings.Builder
	for _, p := range pods {
		fmt.Fprintf(&eps, "- addresses: [%q]\n  conditions: {ready: true}\n  nodeName: %s\n", c.pods[p].PeerIP, proxyNodeName)
	}
	endpoints := eps.String()
	if endpoints == "" {
		endpoints = "[]\n"
	} else {
		endpoints = "\n" + endpoints
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  namespace: default
spec:
%[2]s
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: %[1]s-manual
  namespace: default
  labels:
    kubernetes.io/service-name: %[1]s
    endpointslice.kubernetes.io/managed-by: e2e.kybernetes.io
addressType: IPv4
ports:
- name: http
  port: %[4]d
  protocol: %[5]s
endpoints: %[3]s`, name, spec, endpoints, port, protocol)
}

const httpPort = `  ports:
  - name: http
    port: 80
    targetPort: 8080`

func (c *proxyCluster) clusterAddress(service string) string {
	return net.JoinHostPort(c.get("service", service, "-o", "jsonpath={.spec.clusterIP}"), "80")
}

// checkClusterIPAndNodePort is what any node proxy must do: a cluster IP
// and a node port reach the endpoints, spread over all of them, and a
// service without endpoints refuses at once.
func (c *proxyCluster) checkClusterIPAndNodePort() {
	t := c.t
	c.apply(c.serviceYAML("web", "  type: NodePort\n"+httpPort, "a", "b", "c"))
	c.apply(c.serviceYAML("empty", httpPort))
	web := c.clusterAddress("web")
	c.waitFor("the cluster IP to answer", func() bool { _, err := ask(c.node, web); return err == nil })
	if seen := sample(t, c.node, web, 60); len(seen) != 3 {
		t.Errorf("60 connections to %s reached %v, want all of a, b and c", web, seen)
	}
	// From another namespace, through the node (PREROUTING, not OUTPUT).
	if seen := sample(t, c.client, web, 30); len(seen) < 2 {
		t.Errorf("30 connections from the client namespace reached only %v", seen)
	}
	nodePort := net.JoinHostPort(c.client.HostIP.String(), c.get("service", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"))
	c.waitFor("the node port to answer", func() bool { _, err := ask(c.client, nodePort); return err == nil })
	if seen := sample(t, c.client, nodePort, 30); len(seen) < 2 {
		t.Errorf("30 connections to the node port %s reached only %v", nodePort, seen)
	}
	empty := c.clusterAddress("empty")
	c.waitFor("the service without endpoints to refuse", func() bool {
		_, err := ask(c.node, empty)
		return errors.Is(err, syscall.ECONNREFUSED)
	})
}

func TestProxyRoutesServices(t *testing.T) {
	c := startProxyCluster(t, "a", "b", "c")
	kubeconfig := filepath.Join(c.dir, "data", "proxy.kubeconfig")
	healthz := net.JoinHostPort(c.node.PeerIP.String(), "10256")
	proxyArgs := []string{"proxy", "--kubeconfig", kubeconfig, "--hostname-override", proxyNodeName, "--healthz-bind-address", healthz, "-v=2"}
	c.startProxy(kybernetesBin, proxyArgs...)

	c.checkClusterIPAndNodePort()
	web := c.clusterAddress("web")

	// Health and metrics.
	{
		status, body := c.httpGet(healthz, "/healthz")
		if status != http.StatusOK || !strings.Contains(body, `"lastUpdated"`) {
			t.Errorf("/healthz: %d %s", status, body)
		}
		_, metrics := c.httpGet("127.0.0.1:10249", "/metrics")
		for _, want := range []string{`kubeproxy_sync_proxy_rules_duration_seconds_count{ip_family="IPv4"}`,
			`kubeproxy_sync_full_proxy_rules_duration_seconds_count{ip_family="IPv4"}`,
			`kubeproxy_sync_proxy_rules_iptables_total{ip_family="IPv4",table="nat"}`, "kubeproxy_network_programming_duration_seconds_bucket"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	}

	// A pod reaching itself through its service (hairpin): masqueraded, so
	// the reply comes back through the node.
	{
		c.apply(c.serviceYAML("self", httpPort, "a"))
		self := c.clusterAddress("self")
		c.waitFor("pod a to reach itself through its service", func() bool {
			name, err := ask(c.pods["a"], self)
			return err == nil && name == "a"
		})
	}

	// A Local load balancer: its health check node port says whether this
	// node has endpoints; external traffic only reaches local ones.
	{
		local := func(svc string, node string) string {
			yaml := c.serviceYAML(svc, "  type: LoadBalancer\n  externalTrafficPolicy: Local\n"+httpPort, "b")
			return strings.Replace(yaml, "nodeName: "+proxyNodeName, "nodeName: "+node, 1)
		}
		c.apply(local("here", proxyNodeName))
		c.apply(local("elsewhere", "other-node"))
		for svc, want := range map[string]int{"here": http.StatusOK, "elsewhere": http.StatusServiceUnavailable} {
			port := c.get("service", svc, "-o", "jsonpath={.spec.healthCheckNodePort}")
			var status int
			var body string
			c.waitFor("the health check node port of "+svc, func() bool {
				status, body = c.httpGet(net.JoinHostPort(c.node.PeerIP.String(), port), "/")
				return status == want
			})
			if !strings.Contains(body, `"name":"`+svc+`"`) {
				t.Errorf("health check of %s answered %d %s", svc, status, body)
			}
		}
		nodePort := net.JoinHostPort(c.client.HostIP.String(), c.get("service", "elsewhere", "-o", "jsonpath={.spec.ports[0].nodePort}"))
		if name, err := ask(c.client, nodePort); err == nil {
			t.Errorf("the node port of a Local service without local endpoints was answered by %s", name)
		}
	}

	// Client IP affinity sticks.
	{
		c.apply(c.serviceYAML("sticky", "  sessionAffinity: ClientIP\n"+httpPort, "a", "b", "c"))
		sticky := c.clusterAddress("sticky")
		c.waitFor("the sticky service to answer", func() bool { _, err := ask(c.node, sticky); return err == nil })
		if seen := sample(t, c.node, sticky, 20); len(seen) != 1 {
			t.Errorf("with ClientIP affinity 20 connections reached %v, want one backend", seen)
		}
	}

	// A removed endpoint stops receiving.
	{
		c.apply(c.serviceYAML("web", "  type: NodePort\n"+httpPort, "a", "b"))
		gone := "default/web:http -> " + c.pods["c"].PeerIP.String() + ":8080"
		c.waitFor("the endpoint's rules to go", func() bool {
			out, _ := c.node.Run("iptables-save", "-t", "nat")
			return strings.Contains(out, "default/web:http -> ") && !strings.Contains(out, gone)
		})
		if seen := sample(t, c.node, web, 30); seen["c"] > 0 || len(seen) != 2 {
			t.Errorf("after c left the slice 30 connections reached %v", seen)
		}
	}

	// A restart keeps established connections.
	{
		conn, err := c.node.Dial("tcp", web, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		first, err := askOn(conn)
		if err != nil {
			t.Fatal(err)
		}
		c.stopProxy()
		c.startProxy(kybernetesBin, proxyArgs...)
		c.waitFor("the restarted proxy to be healthy", func() bool {
			status, _ := c.httpGet(healthz, "/healthz")
			return status == http.StatusOK
		})
		again, err := askOn(conn)
		if err != nil || again != first {
			t.Errorf("the connection made before the restart answered %q, %v; want %q", again, err, first)
		}
		if _, err := ask(c.node, web); err != nil {
			t.Errorf("a new connection after the restart: %v", err)
		}
	}

	// A UDP client that keeps its source port follows an endpoint change:
	// the conntrack entry to the endpoint that left is deleted (else it
	// would live on for its 30 s timeout, answered by the old endpoint).
	{
		udp := func(pods ...string) string {
			return c.serviceYAMLOn("dns", "  ports:\n  - name: http\n    port: 53\n    protocol: UDP\n    targetPort: 5353", 5353, "UDP", pods...)
		}
		c.apply(udp("a", "b"))
		dns := net.JoinHostPort(c.get("service", "dns", "-o", "jsonpath={.spec.clusterIP}"), "53")
		conn, err := c.node.Dial("udp", dns, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var first string
		c.waitFor("the UDP service to answer", func() bool { first, err = askUDP(conn); return err == nil })
		stay := map[string]string{"a": "b", "b": "a"}[first]
		c.apply(udp(stay))
		c.waitFor("the UDP endpoint's rules to go", func() bool {
			out, _ := c.node.Run("iptables-save", "-t", "nat")
			return !strings.Contains(out, "default/dns:http -> "+c.pods[first].PeerIP.String())
		})
		// The rules change before the proxy deletes the flow: ask for a
		// while. Each answer from the old endpoint would refresh its entry,
		// so without the deletion this never turns.
		var got string
		deadline := time.Now().Add(10 * time.Second)
		for got != stay && time.Now().Before(deadline) {
			got, err = askUDP(conn)
			time.Sleep(100 * time.Millisecond)
		}
		if got != stay {
			t.Errorf("after %s left, the same UDP socket was answered by %q (%v), want %s", first, got, err, stay)
		}
	}

	// Cleanup removes every rule.
	{
		c.stopProxy()
		if out, err := c.node.Run(kybernetesBin, "proxy", "--cleanup"); err != nil {
			t.Fatalf("proxy --cleanup: %v: %s", err, out)
		}
		for _, table := range []string{"nat", "filter"} {
			out, _ := c.node.Run("iptables-save", "-t", table)
			if strings.Contains(out, "KUBE-") {
				t.Errorf("KUBE- rules left in %s after --cleanup:\n%s", table, out)
			}
		}
		if _, err := ask(c.node, web); err == nil {
			t.Errorf("the cluster IP still answers after --cleanup")
		}
	}
}

// TestProxyUsesTheLegacyBackendWhereKubernetesDoes: on a node whose
// Kubernetes rules are in legacy iptables (the kubelet's hint chain), the
// proxy programs legacy iptables too, and the cluster IP answers.
func TestProxyUsesTheLegacyBackendWhereKubernetesDoes(t *testing.T) {
	requireProxyTools(t)
	if _, err := exec.LookPath("iptables-legacy"); err != nil {
		t.Skip("iptables-legacy not installed")
	}
	c := startProxyCluster(t, "a")
	if out, err := c.node.Run("iptables-legacy", "-t", "mangle", "-N", "KUBE-IPTABLES-HINT"); err != nil {
		t.Fatalf("hint chain: %v: %s", err, out)
	}
	c.startProxy(kybernetesBin, "proxy", "--kubeconfig", filepath.Join(c.dir, "data", "proxy.kubeconfig"),
		"--hostname-override", proxyNodeName, "--healthz-bind-address", net.JoinHostPort(c.node.PeerIP.String(), "10256"))
	c.apply(c.serviceYAML("web", httpPort, "a"))
	web := c.clusterAddress("web")
	c.waitFor("the cluster IP to answer", func() bool { name, err := ask(c.node, web); return err == nil && name == "a" })
	legacy, _ := c.node.Run("iptables-legacy-save", "-t", "nat")
	nft, _ := c.node.Run("iptables-nft-save", "-t", "nat")
	if !strings.Contains(legacy, "default/web:http cluster IP") || strings.Contains(nft, "KUBE-SERVICES") {
		t.Errorf("rules not in legacy iptables alone:\nlegacy:\n%s\nnft:\n%s", legacy, nft)
	}
}

// TestStockKubeProxyRoutesServices runs the stock kube-proxy v1.37 in
// iptables mode against kybernetes server: the same cluster IP, node port
// and no-endpoints checks.
func TestStockKubeProxyRoutesServices(t *testing.T) {
	c := startProxyCluster(t, "a", "b", "c")
	c.startProxy(kubeProxyBin, "--kubeconfig", filepath.Join(c.dir, "data", "proxy.kubeconfig"),
		"--hostname-override", proxyNodeName, "--proxy-mode", "iptables",
		"--healthz-bind-address", net.JoinHostPort(c.node.PeerIP.String(), "10256"),
		"--metrics-bind-address", "127.0.0.1:10249",
		// Conntrack limits are the host's, not the test's to change.
		"--conntrack-max-per-core", "0")
	c.checkClusterIPAndNodePort()
}

// httpGet fetches path from address inside the node namespace.
func (c *proxyCluster) httpGet(address, path string) (int, string) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(_ context.Context, network, addr string) (net.Conn, error) {
			return c.node.Dial(network, addr, 2*time.Second)
		},
	}}
	resp, err := client.Get("http://" + address + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
