package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/kybernetes/kybernetes/test/images"
)

// The stock node's network: the bridge of its pod network, and a veth pair
// whose one end holds its node address (the stock kubelet refuses a
// loopback node IP; traffic to this address stays on the machine).
const (
	stockBridge = "kybstk0"
	stockLink   = "kybstknode0"
	stockNodeIP = "10.98.255.1"
)

// The stock kubelet v1.37.2, unmodified, with Debian's containerd and runc on
// this cgroup v1 host, against `kybernetes server`: it registers a node that
// turns Ready and stays so, runs a pod on its pod network, and serves its
// logs and exec through the API server.
func TestStockKubelet(t *testing.T) {
	requireNodeTools(t)
	for _, tool := range []string{"containerd", "ctr", "containerd-shim-runc-v2"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (apt-get install containerd; .ci/run installs it)", tool)
		}
	}
	dir := t.TempDir()
	api, err := startServer(filepath.Join(dir, "data"), filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.stop() })
	kc := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(kubectlBin, append([]string{"--kubeconfig", api.kubeconfig}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	get := func(args ...string) string {
		out, _ := exec.Command(kubectlBin, append([]string{"--kubeconfig", api.kubeconfig}, args...)...).Output()
		return strings.TrimSpace(string(out))
	}
	waitUntil := func(what string, timeout time.Duration, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(timeout); !ok(); time.Sleep(250 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}

	// containerd of the test's own: its own root, state, socket and CNI
	// configuration, so that a containerd of the machine is not touched.
	ctrd := filepath.Join(dir, "containerd")
	socket := filepath.Join(ctrd, "containerd.sock")
	cniConf := filepath.Join(dir, "cni")
	for _, d := range []string{ctrd, cniConf} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	config := fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = %[3]q
[ttrpc]
  address = %[4]q
[plugins."io.containerd.internal.v1.opt"]
  path = %[5]q
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  sandbox_image = "example.test/pause:1"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[6]q
`, filepath.Join(ctrd, "root"), filepath.Join(ctrd, "state"), socket, socket+".ttrpc", filepath.Join(ctrd, "opt"), cniConf)
	writeFile(t, ctrd, "config.toml", config)
	writeFile(t, cniConf, "10-stock.conflist", fmt.Sprintf(`{"cniVersion": "1.0.0", "name": "stock", "plugins": [
  {"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": %q}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}`, stockBridge, filepath.Join(dir, "cni-ipam")))
	containerdLog := filepath.Join(dir, "containerd.log")
	containerd := startLogged(t, containerdLog, "containerd", "--config", filepath.Join(ctrd, "config.toml"))
	t.Cleanup(func() { stopAndClean(t, containerd, socket, dir) })
	waitUntil("containerd's socket", 30*time.Second, func() bool {
		return exec.Command("ctr", "--address", socket, "version").Run() == nil
	})

	// The images, imported as a node's operator would (no registry here).
	busybox, err := images.Busybox()
	if err != nil {
		t.Fatal(err)
	}
	pause, err := mutate.Config(busybox, v1.Config{Cmd: []string{"sleep", "2147483647"}, Env: []string{"PATH=/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	for ref, img := range map[string]v1.Image{"example.test/busybox:1": busybox, "example.test/pause:1": pause} {
		// containerd imports only images of its platform.
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", runtime.GOARCH
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		imgDir := filepath.Join(dir, "images", strings.NewReplacer("/", "_", ":", "_").Replace(ref))
		if err := os.MkdirAll(imgDir, 0o755); err != nil {
			t.Fatal(err)
		}
		tarball, err := images.WriteTarball(imgDir, ref, img)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("ctr", "--address", socket, "-n", "k8s.io", "images", "import", tarball).CombinedOutput(); err != nil {
			t.Fatalf("ctr images import %s: %v\n%s", ref, err, out)
		}
	}

	// The node's address.
	_ = exec.Command("ip", "link", "del", stockLink).Run()
	for _, args := range [][]string{{"link", "add", stockLink, "type", "veth", "peer", "name", stockLink + "p"},
		{"addr", "add", stockNodeIP + "/32", "dev", stockLink}, {"link", "set", stockLink, "up"}, {"link", "set", stockLink + "p", "up"}} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", stockLink).Run() })

	// The kubelet, with the node's own credentials.
	node := "stock-node"
	nodeKubeconfig := filepath.Join(dir, node+".kubeconfig")
	if out, err := exec.Command(kybernetesBin, "kubeconfig", "node", node, "--data-dir", filepath.Join(dir, "data"), "-o", nodeKubeconfig).CombinedOutput(); err != nil {
		t.Fatalf("kubeconfig node: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	healthz, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "kubelet.yaml", fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
containerRuntimeEndpoint: unix://%s
address: %s
port: %d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %d
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
evictionHard: {"memory.available": "1Mi", "nodefs.available": "1%%", "imagefs.available": "1%%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`, socket, stockNodeIP, port, healthz))
	// The kubelet writes chains of its own into the host's tables; take
	// them away again unless they were there before (another kubelet's).
	if !kubeletChainsPresent() {
		t.Cleanup(removeKubeletChains)
	}
	kubeletLog := filepath.Join(dir, "kubelet.log")
	kubelet := startLogged(t, kubeletLog, kubeletBin, "--config", filepath.Join(dir, "kubelet.yaml"), "--kubeconfig", nodeKubeconfig,
		"--root-dir", filepath.Join(dir, "kubelet"), "--cert-dir", filepath.Join(dir, "kubelet-pki"),
		"--hostname-override", node, "--node-ip", stockNodeIP)
	t.Cleanup(func() {
		// Pods first, so that the kubelet tears their sandboxes down.
		_, _ = exec.Command(kubectlBin, "--kubeconfig", api.kubeconfig, "delete", "pods", "--all", "--grace-period=1", "--timeout=60s").CombinedOutput()
		stop(kubelet, 30*time.Second)
		if t.Failed() {
			for _, path := range []string{kubeletLog, containerdLog} {
				log, _ := os.ReadFile(path)
				t.Logf("%s:\n%s", filepath.Base(path), tail(string(log), 60))
			}
		}
	})

	waitUntil("the stock node Ready", 90*time.Second, func() bool {
		return get("get", "node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`) == "True"
	})
	mustContain(t, kc("get", "node", node, "-o", "jsonpath={.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}"),
		"v1.37.2", "containerd://")
	mustContain(t, kc("get", "csinode", node, "-o", "name"), "csinode.storage.k8s.io/"+node)

	kc("run", "stock-web", "--image=example.test/busybox:1", "--image-pull-policy=Never", "--", "sh", "-c", "echo hello from $(hostname); exec sleep 3600")
	waitUntil("stock-web Running", 90*time.Second, func() bool {
		return get("get", "pod", "stock-web", "-o", "jsonpath={.status.phase}") == "Running"
	})
	if ip := kc("get", "pod", "stock-web", "-o", "jsonpath={.status.podIP}"); !strings.HasPrefix(ip, "10.99.0.") {
		t.Errorf("pod IP %q, want one of the node's pod network 10.99.0.0/24", ip)
	}
	waitUntil("stock-web's logs through the API server", 30*time.Second, func() bool {
		return get("logs", "stock-web") == "hello from stock-web"
	})
	if out := kc("exec", "stock-web", "--", "sh", "-c", "echo in $(hostname)"); out != "in stock-web" {
		t.Errorf("exec printed %q", out)
	}
	// The node stays Ready: its lease is renewed.
	var first string
	waitUntil("the node's lease", 30*time.Second, func() bool {
		first = get("get", "lease", "-n", "kube-node-lease", node, "-o", "jsonpath={.spec.renewTime}")
		return first != ""
	})
	waitUntil("the node's lease renewed", 30*time.Second, func() bool {
		renewed := get("get", "lease", "-n", "kube-node-lease", node, "-o", "jsonpath={.spec.renewTime}")
		return renewed != "" && renewed != first
	})
	if ready := kc("get", "node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`); ready != "True" {
		t.Errorf("the node is no longer Ready: %s", ready)
	}
}

// startLogged starts a process with its output in a file.
func startLogged(t *testing.T, logPath, name string, args ...string) *exec.Cmd {
	t.Helper()
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: its children (shims) go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	return cmd
}

func stop(cmd *exec.Cmd, grace time.Duration) {
	if cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// stopAndClean stops containerd and removes what it and the pods left on
// the host: shims of its socket, mounts under the test's directory, the
// pod bridge.
func stopAndClean(t *testing.T, containerd *exec.Cmd, socket, dir string) {
	stop(containerd, 20*time.Second)
	_ = exec.Command("pkill", "-KILL", "-f", socket).Run()
	var mounts []string
	if f, err := os.Open("/proc/self/mounts"); err == nil {
		scanner := bufio.NewScanner(f)
		for scanner.Scan() {
			if fields := strings.Fields(scanner.Text()); len(fields) > 1 && strings.HasPrefix(fields[1], dir) {
				mounts = append(mounts, fields[1])
			}
		}
		f.Close()
	}
	// Deepest first.
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	for _, m := range mounts {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	_ = exec.Command("ip", "link", "del", stockBridge).Run()
	if rules, _ := exec.Command("iptables", "-t", "nat", "-S").Output(); strings.Contains(string(rules), "name: \"stock\"") {
		t.Errorf("CNI masquerade rules of the stock pod network left behind:\n%s", rules)
	}
}

// kubeletChains are the chains a stock kubelet makes in each table.
var kubeletChains = map[string][]string{
	"filter": {"KUBE-FIREWALL", "KUBE-KUBELET-CANARY"},
	"nat":    {"KUBE-KUBELET-CANARY"},
	"mangle": {"KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY"},
}

func kubeletChainsPresent() bool {
	return exec.Command("iptables", "-t", "filter", "-S", "KUBE-KUBELET-CANARY").Run() == nil
}

func removeKubeletChains() {
	for _, iptables := range []string{"iptables", "ip6tables"} {
		for _, hook := range []string{"INPUT", "OUTPUT"} {
			_ = exec.Command(iptables, "-t", "filter", "-D", hook, "-j", "KUBE-FIREWALL").Run()
		}
		for table, chains := range kubeletChains {
			for _, chain := range chains {
				_ = exec.Command(iptables, "-t", table, "-F", chain).Run()
				_ = exec.Command(iptables, "-t", table, "-X", chain).Run()
			}
		}
	}
}
