package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hollowCluster is a control plane of the test's own with `kybernetes
// kubelet --runtime=fake --nodes N` in one process: hollow nodes, which
// need no root.
type hollowCluster struct {
	t       testing.TB
	api     *serverProcess
	kubelet *exec.Cmd
	log     string
}

func startHollowCluster(t testing.TB, nodes int, args ...string) *hollowCluster {
	t.Helper()
	dir := t.TempDir()
	api, err := startServer(filepath.Join(dir, "data"), filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	c := &hollowCluster{t: t, api: api, log: filepath.Join(dir, "kubelet.log")}
	t.Cleanup(func() {
		c.stop()
		_ = api.stop()
		if t.Failed() {
			log, _ := os.ReadFile(c.log)
			t.Logf("kubelet log:\n%s", tail(string(log), 40))
		}
	})
	// Each hollow node its own identity, as the Node authorizer wants.
	credentials := filepath.Join(dir, "node-kubeconfigs")
	for i := range nodes {
		name := fmt.Sprintf("hollow-%d", i)
		out, err := exec.Command(kybernetesBin, "kubeconfig", "node", name, "--data-dir", filepath.Join(dir, "data"),
			"-o", filepath.Join(credentials, name+".kubeconfig")).CombinedOutput()
		if err != nil {
			t.Fatalf("kybernetes kubeconfig node %s: %v\n%s", name, err, out)
		}
	}
	log, err := os.Create(c.log)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	c.kubelet = exec.Command(kybernetesBin, append([]string{"kubelet", "--runtime=fake", "--nodes", fmt.Sprint(nodes),
		"--kubeconfig", filepath.Join(dir, "data", "kubelet.kubeconfig"), "--node-kubeconfig-dir", credentials, "--root-dir", filepath.Join(dir, "hollow"),
		"--node-ip", "127.0.0.1", "--address", "127.0.0.1"}, args...)...)
	c.kubelet.Stdout, c.kubelet.Stderr = log, log
	if err := c.kubelet.Start(); err != nil {
		t.Fatal(err)
	}
	c.waitFor(fmt.Sprintf("%d Ready nodes", nodes), 2*time.Minute, func() bool {
		out, _ := c.kubectl("get", "nodes", "-o", `jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
		return strings.Count(out, "True") == nodes
	})
	return c
}

func (c *hollowCluster) stop() {
	if c.kubelet == nil {
		return
	}
	_ = c.kubelet.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.kubelet.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = c.kubelet.Process.Kill()
		<-done
	}
	c.kubelet = nil
}

func (c *hollowCluster) kubectl(args ...string) (string, error) {
	out, err := exec.Command(kubectlBin, append([]string{"--kubeconfig", c.api.kubeconfig}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c *hollowCluster) k(args ...string) string {
	c.t.Helper()
	out, err := c.kubectl(args...)
	if err != nil {
		c.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c *hollowCluster) waitFor(what string, within time.Duration, ok func() bool) {
	c.t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if ok() {
			return
		}
	}
	c.t.Fatalf("timed out waiting for %s", what)
}

// TestHollowNodes: three hollow nodes in one unprivileged process take a
// Deployment's pods — scheduled on them, Running and Ready with addresses
// of each node's pod CIDR, as a real node would report them — and finish
// their deletion; logs are empty and exec says why it cannot be.
func TestHollowNodes(t *testing.T) {
	c := startHollowCluster(t, 3)
	wide := c.k("get", "nodes", "-o", "wide")
	for i := range 3 {
		mustContain(t, wide, fmt.Sprintf("hollow-%d ", i))
	}
	mustContain(t, wide, "CONTAINER-RUNTIME", "fake://")

	c.k("create", "deployment", "web", "--image=example.test/web:1", "--replicas=9")
	c.waitFor("9 ready replicas", time.Minute, func() bool {
		out, _ := c.kubectl("get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}")
		return out == "9"
	})
	cidrs := map[string]*net.IPNet{}
	for _, line := range strings.Split(c.k("get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDR}{"\n"}{end}`), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("node without a pod CIDR: %q", line)
		}
		_, cidr, err := net.ParseCIDR(f[1])
		if err != nil {
			t.Fatal(err)
		}
		cidrs[f[0]] = cidr
	}
	used := map[string]bool{}
	ips := map[string]bool{}
	var pod string
	for _, line := range strings.Split(c.k("get", "pods", "-l", "app=web", "-o", `jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.podIP} {.status.phase}{"\n"}{end}`), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || f[3] != "Running" {
			t.Fatalf("pod line %q: want name, node, IP, Running", line)
		}
		pod = f[0]
		if cidr := cidrs[f[1]]; cidr == nil || !cidr.Contains(net.ParseIP(f[2])) {
			t.Errorf("pod %s on %s has IP %s, outside the node's pod CIDR %v", f[0], f[1], f[2], cidr)
		}
		if ips[f[2]] {
			t.Errorf("IP %s handed out twice", f[2])
		}
		used[f[1]], ips[f[2]] = true, true
	}
	if len(used) < 2 {
		t.Errorf("9 replicas all on %v: the scheduler should spread them over the hollow nodes", used)
	}

	// A pod's log is there (empty: the container printed nothing); exec
	// fails with the reason.
	if out := c.k("logs", pod); out != "" {
		t.Errorf("logs of a hollow container: %q, want none", out)
	}
	out, err := c.kubectl("exec", pod, "--", "true")
	if err == nil || !strings.Contains(out, "the fake runtime runs no processes") {
		t.Errorf("exec on a hollow node: %v\n%s", err, out)
	}

	// Deleting the Deployment: the kubelets finish the pods' graceful
	// deletion.
	c.k("delete", "deployment", "web")
	c.waitFor("the pods gone", time.Minute, func() bool {
		out, err := c.kubectl("get", "pods", "-l", "app=web", "-o", "name")
		return err == nil && out == ""
	})
}

// TestHollowStaticPods: every hollow node runs the static pods of
// --pod-manifest-path, shown in the API as mirror pods <name>-<node>; a
// mirror deleted with kubectl (gracefully, as for any bound pod) is made
// again by its kubelet.
func TestHollowStaticPods(t *testing.T) {
	manifests := t.TempDir()
	manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: kube-system, labels: {app: agent}}\nspec:\n  containers: [{name: agent, image: example.test/agent:1}]\n"
	if err := os.WriteFile(filepath.Join(manifests, "agent.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startHollowCluster(t, 2, "--pod-manifest-path", manifests)
	c.waitFor("two Running mirror pods", time.Minute, func() bool {
		out, _ := c.kubectl("-n", "kube-system", "get", "pods", "-l", "app=agent", "--no-headers")
		return strings.Count(out, "Running") == 2
	})
	out := c.k("-n", "kube-system", "get", "pods", "-l", "app=agent", "-o", "wide")
	mustContain(t, out, "agent-hollow-0 ", "agent-hollow-1 ", "hollow-0", "hollow-1")
	owner := c.k("-n", "kube-system", "get", "pod", "agent-hollow-0", "-o", `jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.metadata.annotations.kubernetes\.io/config\.source}`)
	if owner != "Node/hollow-0 file" {
		t.Errorf("mirror pod owner and source: %q, want Node/hollow-0 file", owner)
	}
	uid := c.k("-n", "kube-system", "get", "pod", "agent-hollow-0", "-o", "jsonpath={.metadata.uid}")
	started := c.k("-n", "kube-system", "get", "pod", "agent-hollow-0", "-o", "jsonpath={.status.containerStatuses[0].state.running.startedAt}")
	c.k("-n", "kube-system", "delete", "pod", "agent-hollow-0")
	c.waitFor("the mirror pod made again", time.Minute, func() bool {
		out, _ := c.kubectl("-n", "kube-system", "get", "pod", "agent-hollow-0", "-o", "jsonpath={.metadata.uid} {.status.phase}")
		f := strings.Fields(out)
		return len(f) == 2 && f[0] != uid && f[1] == "Running"
	})
	if again := c.k("-n", "kube-system", "get", "pod", "agent-hollow-0", "-o", "jsonpath={.status.containerStatuses[0].state.running.startedAt}"); again != started {
		t.Errorf("the static pod's container restarted (started %s, now %s): deleting a mirror must not touch it", started, again)
	}
}
