package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kybernetes/kybernetes/test/images"
)

// nodeCluster is a control plane of the test's own with `kybernetes
// kubelet` running this machine as a node: real containers (runc), real
// pod networks (CNI bridge + host-local), images imported from a tarball
// the test builds from busybox-static.
type nodeCluster struct {
	t          testing.TB
	api        *serverProcess
	rootDir    string
	node       string
	kubelet    *exec.Cmd
	kubeletLog string
	args       []string
}

func requireNodeTools(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs containers with runc and pod networks with CNI (runs in CI as root)")
	}
	// Root but without the node packages is a broken setup, not a skip:
	// .ci/run installs them.
	for _, tool := range []string{"runc", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (apt-get install runc iptables containernetworking-plugins busybox-static)", tool)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		t.Fatalf("CNI plugins not installed in /usr/lib/cni (apt-get install containernetworking-plugins): %v", err)
	}
}

func startNodeCluster(t testing.TB, kubeletArgs ...string) *nodeCluster {
	requireNodeTools(t)
	dir := t.TempDir()
	api, err := startServer(filepath.Join(dir, "data"), filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	c := &nodeCluster{t: t, api: api, rootDir: filepath.Join(dir, "kubelet"), node: "kyb-e2e-node", kubeletLog: filepath.Join(dir, "kubelet.log")}
	t.Cleanup(func() {
		// This test's pods, whose leftovers would be this kubelet's fault
		// (another kubelet on the machine may have pods of its own).
		uids, _ := c.kubectl("get", "pods", "--all-namespaces", "-o", "jsonpath={.items[*].metadata.uid}")
		// Pods first, so that the kubelet tears their networks down.
		_, _ = c.kubectl("delete", "pods", "--all", "--all-namespaces", "--grace-period=1", "--timeout=60s")
		c.stopKubelet()
		_ = api.stop()
		_ = exec.Command("ip", "link", "del", "kyb0").Run()
		if left, _ := os.ReadDir(filepath.Join(c.rootDir, "network", "netns")); len(left) > 0 {
			t.Errorf("pod network namespaces left behind: %v", left)
		}
		rules, _ := exec.Command("iptables", "-t", "nat", "-S").Output()
		for _, uid := range strings.Fields(uids) {
			if left, _ := filepath.Glob("/sys/fs/cgroup/*/kybernetes/pod" + uid); len(left) > 0 {
				t.Errorf("pod cgroups left behind: %v", left)
			}
			if strings.Contains(string(rules), "kyb-"+uid) {
				t.Errorf("CNI masquerade rules of pod %s left behind:\n%s", uid, rules)
			}
		}
		if t.Failed() {
			log, _ := os.ReadFile(c.kubeletLog)
			t.Logf("kubelet log:\n%s", tail(string(log), 60))
		}
	})
	img, err := images.Busybox()
	if err != nil {
		t.Fatal(err)
	}
	tarball, err := images.WriteTarball(dir, "example.test/busybox:1", img)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kybernetesBin, "image", "import", tarball, "--root-dir", c.rootDir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "imported example.test/busybox:1") {
		t.Fatalf("image import: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	// The node's own identity, for the Node authorizer.
	nodeKubeconfig := filepath.Join(dir, c.node+".kubeconfig")
	out, err = exec.Command(kybernetesBin, "kubeconfig", "node", c.node, "--data-dir", filepath.Join(dir, "data"), "-o", nodeKubeconfig).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "wrote "+nodeKubeconfig+" for system:node:"+c.node) {
		t.Fatalf("kubeconfig node: %v\n%s", err, out)
	}
	c.args = []string{"kubelet", "--kubeconfig", nodeKubeconfig, "--root-dir", c.rootDir,
		"--hostname-override", c.node, "--node-ip", "127.0.0.1", "--address", "127.0.0.1", "--port", fmt.Sprint(port)}
	c.args = append(c.args, kubeletArgs...)
	c.startKubelet()
	c.waitFor("the node Ready", func() bool {
		out, _ := c.kubectl("get", "node", c.node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		return out == "True"
	})
	return c
}

func (c *nodeCluster) startKubelet() {
	c.t.Helper()
	log, err := os.OpenFile(c.kubeletLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(kybernetesBin, c.args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.kubelet = cmd
}

func (c *nodeCluster) stopKubelet() {
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

func (c *nodeCluster) kubectl(args ...string) (string, error) {
	out, err := exec.Command(kubectlBin, append([]string{"--kubeconfig", c.api.kubeconfig}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c *nodeCluster) k(args ...string) string {
	c.t.Helper()
	out, err := c.kubectl(args...)
	if err != nil {
		c.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c *nodeCluster) waitFor(what string, ok func() bool) {
	c.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if ok() {
			return
		}
	}
	c.t.Fatalf("timed out waiting for %s", what)
}

// containerStatus is the first container status of a pod.
func (c *nodeCluster) containerStatus(pod string) map[string]any {
	out, err := c.kubectl("get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0]}")
	status := map[string]any{}
	if err == nil {
		_ = json.Unmarshal([]byte(out), &status)
	}
	return status
}

func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		next, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = next[p]
	}
	return v
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestKubeletRunsPods: pods run for real on the kubelet — Running with an
// IP of the node's pod CIDR, their output in `kubectl logs`, exits and
// start failures reported as upstream, a crashing container restarted
// with back-off, a restarted kubelet adopting what it left running, a
// graceful delete within the grace period, and nothing left behind. No
// image is pulled: every one is imported or absent with pull policy Never.
func TestKubeletRunsPods(t *testing.T) {
	c := startNodeCluster(t)
	c.k("run", "web", "--image=example.test/busybox:1", "--", "sh", "-c", "echo hello from $(hostname); exec sleep 3600")
	c.k("run", "fails", "--image=example.test/busybox:1", "--restart=Never", "--", "sh", "-c", "exit 3")
	c.k("run", "done", "--image=example.test/busybox:1", "--restart=Never", "--", "true")
	c.k("run", "notfound", "--image=example.test/busybox:1", "--restart=Never", "--", "/nonexistent")
	// Pull policy Never: this test must not reach for a registry (pulls are
	// TestKubeletPullsImages', from a registry on loopback).
	c.k("run", "missing", "--image=example.test/nope:1", "--image-pull-policy=Never")
	c.k("run", "crash", "--image=example.test/busybox:1", "--", "sh", "-c", "exit 1")
	// dd's 64 MiB buffer does not fit the 16 MiB limit (no swap here).
	c.k("run", "oom", "--image=example.test/busybox:1", "--restart=Never", `--overrides={"spec":{"containers":[{"name":"oom",
	  "image":"example.test/busybox:1","command":["dd","if=/dev/zero","of=/dev/null","bs=64M","count=1"],
	  "resources":{"limits":{"memory":"16Mi"}}}]}}`)

	// RuntimeClasses: the kubelet runs the runc handler, and leaves a pod
	// of another handler waiting, saying why.
	c.k("apply", "-f", writeFile(t, t.TempDir(), "runtimeclasses.yaml", `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: e2e-runc}
handler: runc
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: e2e-kata}
handler: kata
`))
	for _, class := range []string{"runc", "kata"} {
		c.k("run", "class-"+class, "--image=example.test/busybox:1", `--overrides={"spec":{"runtimeClassName":"e2e-`+class+`"}}`, "--", "sleep", "3600")
	}

	c.waitFor("web Running", func() bool {
		out, _ := c.kubectl("get", "pod", "web", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	c.waitFor("class-runc Running", func() bool {
		out, _ := c.kubectl("get", "pod", "class-runc", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	c.waitFor("class-kata's FailedCreatePodSandBox", func() bool {
		out, _ := c.kubectl("get", "events", "--field-selector", "involvedObject.name=class-kata,reason=FailedCreatePodSandBox", "-o", "jsonpath={.items[*].message}")
		return strings.Contains(out, `Failed to create pod sandbox: failed to get sandbox runtime: no runtime for "kata" is configured`)
	})
	if phase := c.k("get", "pod", "class-kata", "-o", "jsonpath={.status.phase}"); phase != "Pending" {
		t.Errorf("class-kata: phase %s, want Pending", phase)
	}
	cidr := c.k("get", "node", c.node, "-o", "jsonpath={.spec.podCIDR}")
	_, podNet, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatalf("node pod CIDR %q: %v", cidr, err)
	}
	ip := c.k("get", "pod", "web", "-o", "jsonpath={.status.podIP}")
	if parsed := net.ParseIP(ip); parsed == nil || !podNet.Contains(parsed) {
		t.Fatalf("pod IP %q is not in the node's pod CIDR %s", ip, cidr)
	}
	c.waitFor("web's output in kubectl logs", func() bool {
		out, _ := c.kubectl("logs", "web")
		return out == "hello from web"
	})

	// kubectl exec, over WebSocket through the API server: output, stdin,
	// and the command's exit code as kubectl's own.
	if out := c.k("exec", "web", "--", "sh", "-c", "echo in $(hostname); cat /etc/hosts | grep -c web"); out != "in web\n1" {
		t.Errorf("exec printed %q", out)
	}
	execIn := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "exec", "-i", "web", "--", "sh", "-c", "tr a-z A-Z; exit 7")
	execIn.Stdin = strings.NewReader("shout\n")
	out, err := execIn.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 7 || !strings.Contains(string(out), "SHOUT") {
		t.Errorf("exec -i: %v %q", err, out)
	}

	// On a terminal (kubectl exec -t): stdin is a tty of the size the
	// client sent.
	c.waitFor("a terminal of the client's size", func() bool {
		out, err := c.execTTY("web", "sh", "-c", "test -t 0 && echo tty; stty size")
		return err == nil && strings.Contains(out, "tty") && strings.Contains(out, "45 123")
	})

	c.waitFor("fails Failed with exit code 3", func() bool {
		s := c.containerStatus("fails")
		return field(s, "state", "terminated", "exitCode") == float64(3) && field(s, "state", "terminated", "reason") == "Error"
	})
	if phase := c.k("get", "pod", "fails", "-o", "jsonpath={.status.phase}"); phase != "Failed" {
		t.Errorf("fails: phase %s", phase)
	}
	c.waitFor("done Succeeded", func() bool {
		out, _ := c.kubectl("get", "pod", "done", "-o", "jsonpath={.status.phase}")
		return out == "Succeeded"
	})
	c.waitFor("notfound a StartError", func() bool {
		s := c.containerStatus("notfound")
		msg, _ := field(s, "state", "terminated", "message").(string)
		return field(s, "state", "terminated", "reason") == "StartError" && strings.Contains(msg, "/nonexistent")
	})
	c.waitFor("missing in ErrImageNeverPull", func() bool {
		s := c.containerStatus("missing")
		msg, _ := field(s, "state", "waiting", "message").(string)
		return field(s, "state", "waiting", "reason") == "ErrImageNeverPull" &&
			msg == `Container image "example.test/nope:1" is not present with pull policy of Never`
	})
	c.waitFor("oom OOMKilled", func() bool {
		s := c.containerStatus("oom")
		return field(s, "state", "terminated", "reason") == "OOMKilled" && field(s, "state", "terminated", "exitCode") == float64(137)
	})
	c.waitFor("crash restarted and backing off", func() bool {
		s := c.containerStatus("crash")
		restarts, _ := s["restartCount"].(float64)
		return restarts >= 1 && field(s, "lastState", "terminated", "exitCode") == float64(1)
	})

	// A restarted kubelet adopts the running container: same start time,
	// no restart.
	startedAt := c.k("get", "pod", "web", "-o", "jsonpath={.status.containerStatuses[0].state.running.startedAt}")
	c.stopKubelet()
	restarted := time.Now()
	c.startKubelet()
	c.waitFor("the restarted kubelet's lease", func() bool {
		out, _ := c.kubectl("get", "lease", "-n", "kube-node-lease", c.node, "-o", "jsonpath={.spec.renewTime}")
		renewed, err := time.Parse(time.RFC3339Nano, out)
		return err == nil && renewed.After(restarted)
	})
	c.waitFor("web's logs from the restarted kubelet", func() bool {
		out, _ := c.kubectl("logs", "web")
		return out == "hello from web"
	})
	if now := c.k("get", "pod", "web", "-o", "jsonpath={.status.containerStatuses[0].state.running.startedAt} {.status.containerStatuses[0].restartCount}"); now != startedAt+" 0" {
		t.Fatalf("after the kubelet restart web is %q, was started at %s", now, startedAt)
	}

	// `exec sleep` as PID 1 ignores SIGTERM: the kubelet kills it when the
	// 2 s grace period ends, then removes the pod.
	begin := time.Now()
	c.k("delete", "pod", "web", "--grace-period=2", "--timeout=60s")
	if took := time.Since(begin); took < 2*time.Second || took > 20*time.Second {
		t.Errorf("graceful delete took %s, want about the 2 s grace period", took)
	}
}

// TestKubeletPullsImages: images come from a registry the test serves on
// loopback (go-containerregistry's registry): a pod of a pushed image runs;
// a pod of an image the registry lacks waits in ErrImagePull, then
// ImagePullBackOff, with upstream's events.
func TestKubeletPullsImages(t *testing.T) {
	c := startNodeCluster(t)
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	img, err := images.Busybox()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/team/busybox:2")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	c.k("run", "pulled", "--image="+host+"/team/busybox:2", "--", "sh", "-c", "echo pulled; exec sleep 3600")
	c.k("run", "absent", "--image="+host+"/team/absent:1")
	c.waitFor("the pulled image running", func() bool {
		out, _ := c.kubectl("logs", "pulled")
		return out == "pulled"
	})
	c.waitFor("the absent image in ErrImagePull then ImagePullBackOff", func() bool {
		return field(c.containerStatus("absent"), "state", "waiting", "reason") == "ImagePullBackOff"
	})
	// Events are written asynchronously: wait for them.
	eventsOf := func(pod string) string {
		out, _ := c.kubectl("get", "events", "--field-selector", "involvedObject.name="+pod, "-o", "custom-columns=REASON:.reason,MESSAGE:.message", "--no-headers")
		return out
	}
	c.waitFor("the pulled pod's events", func() bool {
		events := eventsOf("pulled")
		for _, want := range []string{"Pulling", `Successfully pulled image "` + host + `/team/busybox:2"`, "Created", "Started"} {
			if !strings.Contains(events, want) {
				return false
			}
		}
		return true
	})
	c.waitFor("the absent pod's events", func() bool {
		events := eventsOf("absent")
		return strings.Contains(events, "Failed to pull image") && strings.Contains(events, "Error: ErrImagePull") && strings.Contains(events, "Back-off pulling image")
	})
}

// TestKubeletProbes: a readiness probe keeps a running container not Ready
// until it passes; a failing liveness probe gets the container killed and
// restarted (restart count 1), with Unhealthy and Killing events.
func TestKubeletProbes(t *testing.T) {
	c := startNodeCluster(t)
	manifest := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"probed"},"spec":{"terminationGracePeriodSeconds":1,"containers":[
	  {"name":"gated","image":"example.test/busybox:1","command":["sh","-c","sleep 3; touch /tmp/ready; exec sleep 3600"],
	   "readinessProbe":{"exec":{"command":["cat","/tmp/ready"]},"periodSeconds":1}},
	  {"name":"dying","image":"example.test/busybox:1","command":["sh","-c","touch /tmp/alive; sleep 2; rm /tmp/alive; exec sleep 3600"],
	   "livenessProbe":{"exec":{"command":["cat","/tmp/alive"]},"periodSeconds":1,"failureThreshold":2}}]}}`
	cmd := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "create", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	readiness := func(name string) string {
		out, _ := c.kubectl("get", "pod", "probed", "-o", `jsonpath={.status.containerStatuses[?(@.name=="`+name+`")].ready}`)
		return out
	}
	c.waitFor("gated running but not ready", func() bool {
		out, _ := c.kubectl("get", "pod", "probed", "-o", `jsonpath={.status.containerStatuses[?(@.name=="gated")].state.running.startedAt}`)
		return out != "" && readiness("gated") == "false"
	})
	c.waitFor("gated ready once its probe passes", func() bool { return readiness("gated") == "true" })
	c.waitFor("dying restarted after its liveness probe failed", func() bool {
		out, _ := c.kubectl("get", "pod", "probed", "-o", `jsonpath={.status.containerStatuses[?(@.name=="dying")].restartCount}`)
		return out == "1"
	})
	c.waitFor("the probe events", func() bool {
		out, _ := c.kubectl("get", "events", "--field-selector", "involvedObject.name=probed", "-o", "custom-columns=REASON:.reason,MESSAGE:.message", "--no-headers")
		return strings.Contains(out, "Liveness probe failed") && strings.Contains(out, "Readiness probe failed") &&
			strings.Contains(out, "Container dying failed liveness probe, will be restarted")
	})
}

// TestKubeletLifecycle: a postStart hook runs before the container is
// reported started (its file is there), a preStop hook runs before
// SIGTERM (it writes to a hostPath volume the test reads after the pod is
// gone), and activeDeadlineSeconds fails a pod with DeadlineExceeded.
func TestKubeletLifecycle(t *testing.T) {
	c := startNodeCluster(t)
	hostDir := t.TempDir()
	manifest := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"hooked"},"spec":{"terminationGracePeriodSeconds":5,
	  "volumes":[{"name":"out","hostPath":{"path":%q,"type":"Directory"}},{"name":"scratch","emptyDir":{}}],
	  "containers":[{"name":"main","image":"example.test/busybox:1","command":["sh","-c","exec sleep 3600"],
	    "volumeMounts":[{"name":"out","mountPath":"/out"},{"name":"scratch","mountPath":"/scratch"}],
	    "lifecycle":{"postStart":{"exec":{"command":["sh","-c","echo started > /scratch/poststart"]}},
	                 "preStop":{"exec":{"command":["sh","-c","echo stopping > /out/prestop"]}}}}]}}`, hostDir)
	cmd := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "create", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	c.waitFor("hooked running", func() bool {
		out, _ := c.kubectl("get", "pod", "hooked", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	if out := c.k("exec", "hooked", "--", "cat", "/scratch/poststart"); out != "started" {
		t.Errorf("postStart hook output %q", out)
	}
	c.k("delete", "pod", "hooked", "--timeout=60s")
	if data, err := os.ReadFile(filepath.Join(hostDir, "prestop")); err != nil || strings.TrimSpace(string(data)) != "stopping" {
		t.Errorf("preStop hook: %q %v", data, err)
	}

	c.k("run", "deadline", "--image=example.test/busybox:1", "--restart=Never", "--overrides", `{"spec":{"activeDeadlineSeconds":2}}`, "--", "sleep", "3600")
	c.waitFor("deadline Failed with DeadlineExceeded", func() bool {
		out, _ := c.kubectl("get", "pod", "deadline", "-o", "jsonpath={.status.phase} {.status.reason}")
		return out == "Failed DeadlineExceeded"
	})
}

// TestKubeletConfigAndSecrets: environment from a ConfigMap and a Secret;
// a secret volume on tmpfs (never on disk), seen in /proc/mounts from
// inside; a ConfigMap volume that follows an update of the ConfigMap.
func TestKubeletConfigAndSecrets(t *testing.T) {
	c := startNodeCluster(t)
	c.k("create", "configmap", "settings", "--from-literal=mode=fast")
	c.k("create", "secret", "generic", "creds", "--from-literal=password=s3cret")
	manifest := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"configured"},"spec":{"terminationGracePeriodSeconds":1,
	  "volumes":[{"name":"cfg","configMap":{"name":"settings"}},{"name":"sec","secret":{"secretName":"creds"}}],
	  "containers":[{"name":"main","image":"example.test/busybox:1","command":["sh","-c","exec sleep 3600"],
	    "env":[{"name":"MODE","valueFrom":{"configMapKeyRef":{"name":"settings","key":"mode"}}},
	           {"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"creds","key":"password"}}}],
	    "volumeMounts":[{"name":"cfg","mountPath":"/etc/cfg"},{"name":"sec","mountPath":"/etc/sec","readOnly":true}]}]}}`
	cmd := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "create", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	c.waitFor("configured running", func() bool {
		out, _ := c.kubectl("get", "pod", "configured", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	if out := c.k("exec", "configured", "--", "sh", "-c", "echo $MODE $PASSWORD; cat /etc/cfg/mode; echo; cat /etc/sec/password"); out != "fast s3cret\nfast\ns3cret" {
		t.Errorf("env and volumes: %q", out)
	}
	if mounts := c.k("exec", "configured", "--", "cat", "/proc/mounts"); !strings.Contains(mounts, "tmpfs /etc/sec tmpfs ro") {
		t.Errorf("the secret volume is not a read-only tmpfs:\n%s", mounts)
	}
	c.k("patch", "configmap", "settings", "-p", `{"data":{"mode":"careful"}}`)
	c.waitFor("the ConfigMap update inside the container", func() bool {
		out, _ := c.kubectl("exec", "configured", "--", "cat", "/etc/cfg/mode")
		return out == "careful"
	})

	// The downward API (env and volume) and a projected volume of a
	// ConfigMap, a Secret and pod fields; labels are updated live.
	downward := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"downward","labels":{"tier":"front"}},"spec":{"terminationGracePeriodSeconds":1,
	  "volumes":[{"name":"info","downwardAPI":{"items":[{"path":"labels","fieldRef":{"fieldPath":"metadata.labels"}},
	                {"path":"mem","resourceFieldRef":{"containerName":"main","resource":"limits.memory","divisor":"1Mi"}}]}},
	             {"name":"all","projected":{"sources":[{"configMap":{"name":"settings"}},{"secret":{"name":"creds","items":[{"key":"password","path":"pw"}]}},
	                {"downwardAPI":{"items":[{"path":"name","fieldRef":{"fieldPath":"metadata.name"}}]}},
	                {"configMap":{"name":"absent","optional":true}}]}}],
	  "containers":[{"name":"main","image":"example.test/busybox:1","command":["sh","-c","exec sleep 3600"],
	    "resources":{"limits":{"cpu":"1500m","memory":"64Mi"}},
	    "env":[{"name":"CPU","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}},
	           {"name":"MEM_MI","valueFrom":{"resourceFieldRef":{"resource":"limits.memory","divisor":"1Mi"}}}],
	    "volumeMounts":[{"name":"info","mountPath":"/etc/info"},{"name":"all","mountPath":"/etc/all"}]}]}}`
	cmd = exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "create", "-f", "-")
	cmd.Stdin = strings.NewReader(downward)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	c.waitFor("downward running", func() bool {
		out, _ := c.kubectl("get", "pod", "downward", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	want := "2 64\ntier=\"front\"\n64\ncareful s3cret downward"
	if out := c.k("exec", "downward", "--", "sh", "-c",
		"echo $CPU $MEM_MI; cat /etc/info/labels; echo; cat /etc/info/mem; echo; echo $(cat /etc/all/mode) $(cat /etc/all/pw) $(cat /etc/all/name)"); out != want {
		t.Errorf("downward API and projected volume: %q, want %q", out, want)
	}
	c.k("label", "pod", "downward", "tier=back", "--overwrite")
	c.waitFor("the label change inside the container", func() bool {
		out, _ := c.kubectl("exec", "downward", "--", "cat", "/etc/info/labels")
		return out == `tier="back"`
	})
}

// oneSize sends one terminal size, then stops.
type oneSize struct{ sent bool }

func (s *oneSize) Next() *remotecommand.TerminalSize {
	if s.sent {
		return nil
	}
	s.sent = true
	return &remotecommand.TerminalSize{Width: 123, Height: 45}
}

// execTTY runs cmd in pod's container on a terminal through the API
// server, as `kubectl exec -it` does (client-go's WebSocket executor), and
// returns what the terminal printed.
func (c *nodeCluster) execTTY(pod string, cmd ...string) (string, error) {
	return c.streamTTY("exec", pod, &corev1.PodExecOptions{Command: cmd, Stdin: true, Stdout: true, TTY: true}, "")
}

// streamTTY opens pods/<subresource> (exec or attach) with a terminal, as
// kubectl does with -it, types input and returns what the terminal
// printed.
func (c *nodeCluster) streamTTY(subresource, pod string, options runtime.Object, input string) (string, error) {
	config, err := clientcmd.BuildConfigFromFlags("", c.api.kubeconfig)
	if err != nil {
		return "", err
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return "", err
	}
	req := client.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name(pod).SubResource(subresource).
		VersionedParams(options, scheme.ParameterCodec)
	executor, err := remotecommand.NewWebSocketExecutor(config, "GET", req.URL().String())
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = executor.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader(input), Stdout: &out, Tty: true, TerminalSizeQueue: &oneSize{}})
	return out.String(), err
}
