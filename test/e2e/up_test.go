package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kybernetes/kybernetes/test/images"
)

// upCluster is a `kybernetes up` cluster of the test's own: its data
// directory, a kubeconfig of the test's (as ~/.kube/config would be) and
// addresses no other test uses.
type upCluster struct {
	t          testing.TB
	dir, data  string
	kubeconfig string
	args       []string
	up         *exec.Cmd
	out        *bytes.Buffer
	exited     chan struct{}
	// network is the node network: the host is .1, node-i is .(2+i).
	network string
}

// The node network and pod range of these tests: apart from the
// defaults, which a cluster of the machine's user may be using.
const (
	upNodeNetwork = "10.251.7"
	upClusterCIDR = "10.245.0.0/16"
	upServiceCIDR = "10.97.0.0/16"
	upLBNetwork   = "10.251.8"
)

func newUpCluster(t *testing.T, args ...string) *upCluster {
	if !slices.Contains(args, "--runtime=fake") {
		requireNodeTools(t)
	}
	dir := t.TempDir()
	c := &upCluster{t: t, dir: dir, data: filepath.Join(dir, "data"), kubeconfig: filepath.Join(dir, "kube", "config"), network: upNodeNetwork}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	c.args = append([]string{"up", "--data-dir", c.data, "--node-network", upNodeNetwork + ".0/24", "--cluster-cidr", upClusterCIDR,
		"--load-balancer-network", upLBNetwork + ".0/24",
		"--service-cluster-ip-range", upServiceCIDR, "--secure-port", fmt.Sprint(port), "--metric-resolution", "2s",
		"--horizontal-pod-autoscaler-sync-period", "2s"}, args...)
	t.Cleanup(func() {
		if c.up != nil {
			c.stop()
		}
		// Whatever the test did, nothing may stay on the host.
		_ = exec.Command(kybernetesBin, "down", "--data-dir", c.data).Run()
		c.assertNothingLeft()
	})
	return c
}

// start runs up and waits for its summary.
func (c *upCluster) start(args ...string) string {
	c.t.Helper()
	c.out = &bytes.Buffer{}
	c.up = exec.Command(kybernetesBin, append(c.args, args...)...)
	c.up.Env = append(os.Environ(), "KUBECONFIG="+c.kubeconfig)
	c.up.Stdout, c.up.Stderr = &lockedWriter{w: c.out}, &lockedWriter{w: c.out}
	c.up.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.up.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.exited = make(chan struct{})
	go func() { _ = c.up.Wait(); close(c.exited) }()
	deadline := time.After(3 * time.Minute)
	for !strings.Contains(c.output(), "kybernetes is up") {
		select {
		case <-c.exited:
			c.up = nil
			c.t.Fatalf("up exited:\n%s", c.output())
		case <-deadline:
			c.t.Fatalf("up was not up in 3 minutes:\n%s", c.output())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return c.output()
}

func (c *upCluster) output() string {
	return c.up.Stdout.(*lockedWriter).String()
}

// stop stops up as Ctrl-C does and waits for it to finish.
func (c *upCluster) stop() string {
	c.t.Helper()
	_ = c.up.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(2 * time.Minute):
		_ = syscall.Kill(-c.up.Process.Pid, syscall.SIGKILL)
		c.t.Errorf("up did not stop in 2 minutes:\n%s", c.output())
		<-c.exited
	}
	out := c.output()
	c.up = nil
	return out
}

// kubectl runs stock kubectl with the kubeconfig up merged its context into.
func (c *upCluster) kubectl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlBin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.kubeconfig)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *upCluster) k(args ...string) string {
	c.t.Helper()
	out, err := c.kubectl(args...)
	if err != nil {
		c.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c *upCluster) waitFor(what string, ok func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s\nup:\n%s", what, tail(c.output(), 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// hostObjects lists what the cluster made on the host: its network
// namespaces, links, routes through its bridge, iptables rules.
func (c *upCluster) hostObjects() []string {
	var found []string
	netns, _ := filepath.Glob("/var/run/netns/kyb-*")
	for _, ns := range netns {
		// Other clusters' namespaces are theirs: only ours have our nodes' IPs.
		out, _ := exec.Command("ip", "-n", filepath.Base(ns), "-4", "addr").Output()
		if strings.Contains(string(out), c.network+".") {
			found = append(found, "network namespace "+ns)
		}
	}
	links, _ := exec.Command("ip", "-4", "addr").Output()
	if strings.Contains(string(links), c.network+".1/") {
		found = append(found, "the bridge with "+c.network+".1")
	}
	routes, _ := exec.Command("ip", "route").Output()
	for _, line := range strings.Split(string(routes), "\n") {
		if strings.Contains(line, "via "+c.network+".") || strings.HasPrefix(line, c.network+".") {
			found = append(found, "route "+line)
		}
	}
	for _, table := range []string{"filter", "nat"} {
		rules, _ := exec.Command("iptables", "-t", table, "-S").Output()
		for _, line := range strings.Split(string(rules), "\n") {
			if strings.Contains(line, "kybernetes up") && strings.Contains(line, c.network+".") {
				found = append(found, "iptables "+line)
			}
		}
	}
	// The nodes' cgroups, named by the cluster's id (from its data dir).
	sum := sha256.Sum256([]byte(c.data))
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/kybernetes/" + hex.EncodeToString(sum[:])[:4] + "-node-*")
	for _, cg := range cgroups {
		found = append(found, "cgroup "+cg)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], c.dir) {
			found = append(found, "mount "+f[4])
		}
	}
	return found
}

func (c *upCluster) assertNothingLeft() {
	c.t.Helper()
	if left := c.hostObjects(); len(left) > 0 {
		c.t.Errorf("left on the host after down:\n  %s", strings.Join(left, "\n  "))
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmdline, _ := os.ReadFile(p)
		if strings.Contains(string(cmdline), c.data) {
			c.t.Errorf("a process left after down: %s", bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		}
	}
}

// lockedWriter collects a process's output for reading while it runs.
type lockedWriter struct {
	w  *bytes.Buffer
	mu sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// upClaimAndPod is a claim of the default class and a pod writing to it.
const upClaimAndPod = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: notes}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 100Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: notes}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: writer
    image: example.test/busybox:1
    command: [sh, -c, 'echo kept > /data/note && sleep 3600']
    readinessProbe: {exec: {command: [cat, /data/note]}, periodSeconds: 1}
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: notes}
`

const upPods = `
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  nodeName: node-1
  containers:
  - name: web
    image: example.test/busybox:1
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -vv -p 8080 -h /www"]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-0
  containers:
  - name: client
    image: example.test/busybox:1
    command: ["sleep", "3600"]
`

// TestUpRunsAMultiNodeCluster: `up --nodes 2` gives two Ready nodes, each
// its own namespace, kubelet and proxy; a pod on one node reaches a pod on
// the other by its IP (which the server sees as the client's own) and by
// its Service; the host reaches pods; pods reach the API server through
// the kubernetes Service, and names through the cluster DNS; down removes everything it made, and up again
// brings the same cluster back with its pods running.
func TestUpRunsAMultiNodeCluster(t *testing.T) {
	c := newUpCluster(t)
	img, err := images.Busybox()
	if err != nil {
		t.Fatal(err)
	}
	tarball, err := images.WriteTarball(c.dir, "example.test/busybox:1", img)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(kybernetesBin, "image", "import", "--data-dir", c.data, tarball).CombinedOutput(); err != nil {
		t.Fatalf("image import: %v\n%s", err, out)
	}
	inCluster, err := images.WithGoProgram(img, "github.com/kybernetes/kybernetes/test/images/incluster", "incluster")
	if err != nil {
		t.Fatal(err)
	}
	if tarball, err = images.WriteTarball(c.dir, "example.test/incluster:1", inCluster); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(kybernetesBin, "image", "import", "--data-dir", c.data, tarball).CombinedOutput(); err != nil {
		t.Fatalf("image import: %v\n%s", err, out)
	}
	// The user's kubeconfig has a context of its own, which must stay.
	if err := os.MkdirAll(filepath.Dir(c.kubeconfig), 0o700); err != nil {
		t.Fatal(err)
	}
	other := "apiVersion: v1\nkind: Config\nclusters: [{name: other, cluster: {server: 'https://other.test'}}]\n" +
		"users: [{name: other, user: {token: x}}]\ncontexts: [{name: other, context: {cluster: other, user: other}}]\ncurrent-context: other\n"
	if err := os.WriteFile(c.kubeconfig, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}

	out := c.start("--nodes", "2")
	mustContain(t, out, "✓ Control plane", "✓ Cluster DNS 10.97.0.10", "✓ Ingress controller on "+upNodeNetwork+".1:80", "2 nodes (2/2 Ready)", "node-0 "+upNodeNetwork+".2", "node-1 "+upNodeNetwork+".3",
		"kubeconfig:  "+c.kubeconfig+" (context kybernetes)")
	if got := strings.TrimSpace(c.k("config", "current-context")); got != "kybernetes" {
		t.Errorf("current context %q, want kybernetes", got)
	}
	mustContain(t, c.k("config", "get-contexts", "-o", "name"), "other", "kybernetes")

	nodes := c.k("get", "nodes", "-o", "wide")
	for i, name := range []string{"node-0", "node-1"} {
		if !strings.Contains(nodes, name) || !strings.Contains(nodes, fmt.Sprintf("%s.%d", upNodeNetwork, 2+i)) {
			t.Errorf("node %s with address %s.%d missing:\n%s", name, upNodeNetwork, 2+i, nodes)
		}
	}
	if strings.Contains(nodes, "NotReady") {
		t.Errorf("a node is not Ready:\n%s", nodes)
	}
	// The route controller routes each node's pod CIDR to it through the bridge.
	for i := range 2 {
		cidr := c.k("get", "node", fmt.Sprintf("node-%d", i), "-o", "jsonpath={.spec.podCIDR}")
		c.waitFor("the route to "+cidr, func() bool {
			routes, _ := exec.Command("ip", "route", "show", cidr).Output()
			return strings.Contains(string(routes), fmt.Sprintf("via %s.%d", upNodeNetwork, 2+i))
		})
		cond := c.k("get", "node", fmt.Sprintf("node-%d", i), "-o", `jsonpath={.status.conditions[?(@.type=="NetworkUnavailable")].reason}`)
		if cond != "RouteCreated" {
			t.Errorf("node-%d NetworkUnavailable reason %q, want RouteCreated", i, cond)
		}
	}

	c.k("apply", "-f", writeFile(t, c.dir, "pods.yaml", upPods))
	c.k("wait", "--for=condition=Ready", "pod/web", "pod/client", "--timeout=90s")
	webIP := c.k("get", "pod", "web", "-o", "jsonpath={.status.podIP}")
	clientIP := c.k("get", "pod", "client", "-o", "jsonpath={.status.podIP}")
	serviceIP := c.k("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")

	// Pod to pod across nodes, by IP: the server sees the client's own address.
	if got := c.k("exec", "client", "--", "wget", "-qO-", "http://"+webIP+":8080/"); strings.TrimSpace(got) != "web" {
		t.Errorf("client -> web pod: %q", got)
	}
	c.waitFor("web's log to show the client's address", func() bool {
		log, _ := c.kubectl("logs", "web")
		return strings.Contains(log, clientIP)
	})
	// Pod to Service, through the proxy of the client's node.
	c.waitFor("the web Service from the client", func() bool {
		got, _ := c.kubectl("exec", "client", "--", "wget", "-qO-", "http://"+serviceIP+"/")
		return strings.TrimSpace(got) == "web"
	})
	// Names, from the cluster DNS through the pod's search path.
	if got := c.k("exec", "client", "--", "wget", "-qO-", "http://web/"); strings.TrimSpace(got) != "web" {
		t.Errorf("client -> http://web/: %q", got)
	}
	// The README's one-off pod: attached, removed when done (it waits a
	// little, as a person at a shell would, so that kubectl attaches before
	// it is done).
	run := c.k("run", "oneoff", "--image=example.test/busybox:1", "-i", "--rm", "--restart=Never", "--quiet",
		"--", "sh", "-c", "sleep 2; wget -qO- http://web.default.svc.cluster.local/")
	if strings.TrimSpace(run) != "web" {
		t.Errorf("kubectl run -i --rm ... wget http://web.default.svc.cluster.local/: %q", run)
	}
	srv := c.k("exec", "client", "--", "nslookup", "-type=srv", "_http._tcp.web.default.svc.cluster.local")
	mustContain(t, srv, "service = 0 100 80 web.default.svc.cluster.local")
	// Host to pod, through the route to web's node.
	if got := httpGet(t, "http://"+webIP+":8080/"); strings.TrimSpace(got) != "web" {
		t.Errorf("host -> web pod: %q", got)
	}
	// A LoadBalancer Service gets an address of the pool, which the host
	// reaches through the nodes.
	c.k("patch", "service", "web", "-p", `{"spec":{"type":"LoadBalancer"}}`)
	var lbIP string
	c.waitFor("web's load balancer address", func() bool {
		lbIP, _ = c.kubectl("get", "service", "web", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
		return lbIP != ""
	})
	if !strings.HasPrefix(lbIP, upLBNetwork+".") {
		t.Errorf("load balancer address %s, want one of %s.0/24", lbIP, upLBNetwork)
	}
	mustContain(t, c.k("get", "service", "web"), lbIP, "LoadBalancer")
	c.waitFor("the host -> web's load balancer", func() bool {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + lbIP + "/")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(body)) == "web"
	})
	// An Ingress of the default class, with TLS from a Secret: the host
	// reaches web through the ingress controller by name, over HTTP and HTTPS.
	certPEM, keyPEM, pool := selfSignedCert(t, "web.test")
	c.k("create", "secret", "tls", "web-tls", "--cert="+writeFile(t, c.dir, "tls.crt", string(certPEM)), "--key="+writeFile(t, c.dir, "tls.key", string(keyPEM)))
	c.k("create", "ingress", "web", "--rule=web.test/*=web:80,tls=web-tls")
	c.waitFor("the Ingress's address", func() bool {
		got, _ := c.kubectl("get", "ingress", "web", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
		return got == upNodeNetwork+".1"
	})
	mustContain(t, c.k("get", "ingress", "web"), "kybernetes", "web.test", upNodeNetwork+".1", "80, 443")
	ingressGet := func(scheme, host string) (int, string) {
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: host},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, upNodeNetwork+".1:"+map[string]string{"http": "80", "https": "443"}[scheme])
			}}}
		resp, err := client.Get(scheme + "://" + host + "/")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body))
	}
	c.waitFor("web through the ingress", func() bool { code, body := ingressGet("http", "web.test"); return code == 200 && body == "web" })
	if code, body := ingressGet("https", "web.test"); code != 200 || body != "web" {
		t.Errorf("https://web.test/ through the ingress: %d %q", code, body)
	}
	if code, _ := ingressGet("http", "other.test"); code != http.StatusNotFound {
		t.Errorf("a host no rule names: %d, want 404", code)
	}
	// Editing the Ingress reloads the routes without failing a request:
	// requests keep going over one connection until the new rule answers.
	c.k("create", "ingress", "more", "--rule=other.test/*=web:80")
	keepAlive := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, upNodeNetwork+".1:80")
		}}}
	deadline := time.Now().Add(time.Minute)
	for answered := false; !answered; {
		for _, host := range []string{"web.test", "other.test"} {
			req, _ := http.NewRequest("GET", "http://"+host+"/", nil)
			resp, err := keepAlive.Do(req)
			if err != nil {
				t.Fatalf("a request failed while the routes changed: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case host == "web.test" && resp.StatusCode != 200:
				t.Fatalf("web.test answered %d while the routes changed: %s", resp.StatusCode, body)
			case host == "other.test" && resp.StatusCode == 200:
				answered = true
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the new rule for other.test never answered")
		}
	}

	// Resource metrics, from the kubelets, through the API server.
	c.waitFor("kubectl top nodes", func() bool {
		out, err := c.kubectl("top", "nodes")
		return err == nil && strings.Contains(out, "node-0") && strings.Contains(out, "node-1")
	})
	top := c.k("top", "nodes")
	mustContain(t, top, "CPU(cores)", "MEMORY(bytes)")
	c.waitFor("kubectl top pods", func() bool {
		out, err := c.kubectl("top", "pods")
		return err == nil && strings.Contains(out, "web") && strings.Contains(out, "client")
	})
	mustContain(t, c.k("top", "pods", "-l", "app=web"), "web")
	if out := c.k("top", "pods", "-l", "app=web"); strings.Contains(out, "client") {
		t.Errorf("kubectl top pods -l app=web shows client:\n%s", out)
	}

	// Autoscaling on real CPU: a container that spins, held to 100m by its
	// limit, uses 500% of its 20m request against a 50% target, so the
	// Deployment grows to the maximum of 3.
	c.k("create", "deployment", "burn", "--image=example.test/busybox:1", "--", "sh", "-c", "while :; do :; done")
	c.k("set", "resources", "deployment", "burn", "--requests=cpu=20m", "--limits=cpu=100m")
	c.k("autoscale", "deployment", "burn", "--cpu=50%", "--min=1", "--max=3")
	c.waitFor("the autoscaler to grow burn to 3", func() bool {
		got, _ := c.kubectl("get", "deployment", "burn", "-o", "jsonpath={.spec.replicas}")
		return got == "3"
	})
	hpa := c.k("get", "hpa", "burn")
	mustContain(t, hpa, "NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "Deployment/burn", "%/50%")
	if regexp.MustCompile(`cpu: \d+%/50%`).FindString(hpa) == "" {
		t.Errorf("kubectl get hpa shows no CPU utilization:\n%s", hpa)
	}
	mustContain(t, c.k("describe", "hpa", "burn"), "SuccessfulRescale", "New size: 3; reason: cpu resource utilization (percentage of request) above target",
		"ScalingLimited", "TooManyReplicas")
	c.k("delete", "hpa", "burn")
	c.k("delete", "deployment", "burn", "--wait=false")

	// Pod to the API server, through the kubernetes Service.
	apiIP := c.k("get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}")
	// (busybox's TLS cannot talk to it: plain HTTP gets the Go TLS server's own answer.)
	got, _ := c.kubectl("exec", "client", "--", "sh", "-c", `printf 'GET /version HTTP/1.0\r\n\r\n' | nc -w 5 `+apiIP+` 443`)
	if !strings.Contains(got, "Client sent an HTTP request to an HTTPS server") {
		t.Errorf("client -> kubernetes Service %s:443: %q", apiIP, got)
	}
	// Every pod has its credentials at the well-known path (ServiceAccount
	// admission's kube-api-access-* volume: token, CA and namespace).
	mustContain(t, c.k("exec", "client", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"), "default")
	mustContain(t, c.k("exec", "client", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"), "-----BEGIN CERTIFICATE-----")
	// A client-go program with the in-cluster configuration may do what
	// its account's binding allows and no more.
	c.k("create", "rolebinding", "default-view", "--clusterrole=view", "--serviceaccount=default:default")
	c.k("run", "incluster", "--image=example.test/incluster:1", "--restart=Never", "--command", "--", "/bin/incluster")
	c.k("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/incluster", "--timeout=90s")
	logs := c.k("logs", "incluster")
	mustContain(t, logs, "pods: ", `secrets: error: secrets is forbidden: User "system:serviceaccount:default:default" cannot list resource "secrets" in API group "" in the namespace "kube-system"`)
	if strings.Contains(logs, "pods: error") {
		t.Errorf("the in-cluster program could not list its namespace's pods:\n%s", logs)
	}
	c.k("delete", "pod", "incluster")

	// Dynamic provisioning: a claim of the default class gets a directory
	// under the data dir on its pod's node, which the pod writes to; the
	// directory goes with the claim.
	mustContain(t, c.k("get", "storageclass"), "local-path (default)", "kybernetes.io/local-path", "Delete", "WaitForFirstConsumer")
	c.k("apply", "-f", writeFile(t, c.dir, "notes.yaml", upClaimAndPod))
	c.k("wait", "--for=condition=Ready", "pod/notes", "--timeout=90s")
	mustContain(t, c.k("get", "pvc", "notes"), "Bound", "local-path", "RWO")
	claimUID := c.k("get", "pvc", "notes", "-o", "jsonpath={.metadata.uid}")
	noteDir := filepath.Join(c.data, "volumes", "pvc-"+claimUID+"_default_notes")
	if note, err := os.ReadFile(filepath.Join(noteDir, "note")); err != nil || strings.TrimSpace(string(note)) != "kept" {
		t.Errorf("the pod's note on the host: %q %v", note, err)
	}
	node := c.k("get", "pod", "notes", "-o", "jsonpath={.spec.nodeName}")
	mustContain(t, c.k("get", "pv", "pvc-"+claimUID, "-o", "jsonpath={.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}"), node)
	c.k("delete", "pod", "notes", "--grace-period=1")
	c.k("delete", "pvc", "notes")
	c.waitFor("the volume and its directory gone", func() bool {
		_, err := c.kubectl("get", "pv", "pvc-"+claimUID)
		_, statErr := os.Stat(noteDir)
		return err != nil && os.IsNotExist(statErr)
	})

	// Down removes what up made on the host; the data stays.
	stopped := c.stop()
	mustContain(t, stopped, "Stopping the cluster", "Stopped.")
	c.assertNothingLeft()

	// Up again (the node count is remembered): the same cluster, its pods
	// started again.
	out = c.start()
	mustContain(t, out, "2 nodes (2/2 Ready)")
	c.waitFor("web and client Running again", func() bool {
		got, _ := c.kubectl("get", "pods", "-o", "jsonpath={.items[*].status.containerStatuses[0].state.running.startedAt}")
		return len(strings.Fields(got)) == 2
	})
	c.k("wait", "--for=condition=Ready", "pod/web", "pod/client", "--timeout=90s")
	webIP = c.k("get", "pod", "web", "-o", "jsonpath={.status.podIP}")
	c.waitFor("client -> web after the restart", func() bool {
		got, _ := c.kubectl("exec", "client", "--", "wget", "-qO-", "http://"+webIP+":8080/")
		return strings.TrimSpace(got) == "web"
	})

	// `kybernetes down` stops a running up.
	down, err := exec.Command(kybernetesBin, "down", "--data-dir", c.data).CombinedOutput()
	if err != nil {
		t.Fatalf("down: %v\n%s", err, down)
	}
	select {
	case <-c.exited:
		c.up = nil
	case <-time.After(time.Minute):
		t.Fatalf("up still runs after down:\n%s", down)
	}
	mustContain(t, string(down), "Stopping the cluster", "Stopped.")
	c.assertNothingLeft()
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUpHollowNodes: without root, `up --runtime=fake` gives a cluster of
// hollow nodes where the API, scheduling and controllers work.
func TestUpHollowNodes(t *testing.T) {
	c := newUpCluster(t, "--runtime=fake", "--write-kubeconfig=false")
	out := c.start("--nodes", "3")
	mustContain(t, out, "3 nodes (3/3 Ready)", "node-0 (hollow)", "node-2 (hollow)", "kubeconfig:  "+filepath.Join(c.data, "admin.kubeconfig"))
	if _, err := os.Stat(c.kubeconfig); err == nil {
		t.Errorf("--write-kubeconfig=false wrote %s", c.kubeconfig)
	}
	kc := "--kubeconfig=" + filepath.Join(c.data, "admin.kubeconfig")
	c.k(kc, "create", "deployment", "web", "--image=example.test/web:1", "--replicas=6")
	c.waitFor("6 pods Running on 3 nodes", func() bool {
		got, _ := c.kubectl(kc, "get", "pods", "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].spec.nodeName}")
		nodes := strings.Fields(got)
		slices.Sort(nodes)
		return len(nodes) == 6 && len(slices.Compact(nodes)) == 3
	})
	mustContain(t, c.stop(), "Stopped.")
}

// selfSignedCert makes a certificate for host, its key, and a pool that
// trusts it.
func selfSignedCert(t *testing.T, host string) ([]byte, []byte, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), pool
}
