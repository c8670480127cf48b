package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	corev1 "k8s.io/api/core/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	"github.com/kybernetes/kybernetes/test/images"
)

// TestKubeletPortForwardAndCopy (and stats): stock kubectl's port-forward (a WebSocket
// tunnel to the API server, SPDY from there to the kubelet) reaches a port
// that listens only on the pod's loopback, twice over one forward; kubectl
// cp copies both ways (tar over exec).
func TestKubeletPortForwardAndCopy(t *testing.T) {
	c := startNodeCluster(t)
	c.k("run", "web", "--image=example.test/busybox:1", "--", "sh", "-c",
		"mkdir -p /www && echo hello-from-the-pod > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www")
	c.waitFor("web Running", func() bool {
		out, _ := c.kubectl("get", "pod", "web", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})

	forward := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "port-forward", "pod/web", "0:8080")
	stdout, err := forward.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	forward.Stderr = forward.Stdout
	if err := forward.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = forward.Process.Signal(syscall.SIGTERM); _ = forward.Wait() })
	local := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		forwarding := regexp.MustCompile(`Forwarding from (127\.0\.0\.1:\d+) -> 8080`)
		for lines.Scan() {
			t.Logf("kubectl port-forward: %s", lines.Text())
			if m := forwarding.FindStringSubmatch(lines.Text()); m != nil {
				local <- m[1]
			}
		}
	}()
	var address string
	select {
	case address = <-local:
	case <-time.After(30 * time.Second):
		t.Fatal("kubectl port-forward did not start forwarding")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 2 {
		resp, err := client.Get("http://" + address + "/")
		if err != nil {
			t.Fatalf("request %d through the forward: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.TrimSpace(string(body)) != "hello-from-the-pod" {
			t.Fatalf("request %d through the forward: %d %q", i, resp.StatusCode, body)
		}
	}

	checkStats(t, c, "web")
	if images := c.k("get", "node", c.node, "-o", "jsonpath={.status.images[*].names}"); !strings.Contains(images, "example.test/busybox:1") {
		t.Errorf("node status images: %s", images)
	}

	// kubectl cp, out of the pod and into it.
	dir := t.TempDir()
	c.k("cp", "default/web:/www/index.html", filepath.Join(dir, "index.html"))
	if got, err := os.ReadFile(filepath.Join(dir, "index.html")); err != nil || strings.TrimSpace(string(got)) != "hello-from-the-pod" {
		t.Errorf("kubectl cp from the pod: %q, %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "upload.txt"), []byte("from-the-test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.k("cp", filepath.Join(dir, "upload.txt"), "default/web:/tmp/upload.txt")
	if out := c.k("exec", "web", "--", "cat", "/tmp/upload.txt"); out != "from-the-test" {
		t.Errorf("kubectl cp into the pod: the pod has %q", out)
	}
}

// checkStats reads the kubelet's /stats/summary and /metrics/resource as
// the API server would (its kubelet client certificate): the running pod's
// container has CPU time and a working set.
func checkStats(t *testing.T, c *nodeCluster, pod string) {
	t.Helper()
	pkiDir := filepath.Join(filepath.Dir(c.api.kubeconfig), "pki")
	cert, err := tls.LoadX509KeyPair(filepath.Join(pkiDir, "apiserver-kubelet-client.crt"), filepath.Join(pkiDir, "apiserver-kubelet-client.key"))
	if err != nil {
		t.Fatal(err)
	}
	port := ""
	for i, a := range c.args {
		if a == "--port" {
			port = c.args[i+1]
		}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true}}} // the kubelet's serving certificate is self-signed
	get := func(path string) []byte {
		resp, err := client.Get("https://127.0.0.1:" + port + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return body
	}
	var summary statsv1alpha1.Summary
	if err := json.Unmarshal(get("/stats/summary"), &summary); err != nil {
		t.Fatal(err)
	}
	if summary.Node.NodeName != c.node || summary.Node.Memory == nil || *summary.Node.Memory.WorkingSetBytes == 0 {
		t.Errorf("node stats: %+v", summary.Node)
	}
	found := false
	for _, p := range summary.Pods {
		if p.PodRef.Name != pod || len(p.Containers) != 1 {
			continue
		}
		found = true
		cs := p.Containers[0]
		if cs.CPU == nil || *cs.CPU.UsageCoreNanoSeconds == 0 || cs.Memory == nil || *cs.Memory.WorkingSetBytes == 0 || cs.StartTime.IsZero() {
			t.Errorf("container stats of %s: cpu %+v memory %+v start %v", pod, cs.CPU, cs.Memory, cs.StartTime)
		}
	}
	if !found {
		t.Errorf("no stats for pod %s in %+v", pod, summary.Pods)
	}
	metrics := string(get("/metrics/resource"))
	for _, want := range []string{
		`container_cpu_usage_seconds_total{container="` + pod + `",namespace="default",pod="` + pod + `"}`,
		`container_memory_working_set_bytes{container="` + pod + `",namespace="default",pod="` + pod + `"}`,
		"node_memory_working_set_bytes ", "scrape_error 0",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics/resource lacks %s:\n%s", want, metrics)
		}
	}
}

// TestKubeletStaticPods: a manifest in --pod-manifest-path runs as a real
// container; its mirror pod carries its status, and kubectl logs and exec
// reach it by the mirror's name; the manifest removed, the pod ends and
// leaves nothing (the cluster's clean-up checks the namespaces, cgroups
// and rules).
func TestKubeletStaticPods(t *testing.T) {
	requireNodeTools(t)
	manifests := t.TempDir()
	manifest := filepath.Join(manifests, "static.yaml")
	content := "apiVersion: v1\nkind: Pod\nmetadata: {name: static}\nspec:\n  containers:\n  - name: main\n    image: example.test/busybox:1\n    imagePullPolicy: Never\n    command: [sh, -c, 'echo static up; exec sleep 3600']\n"
	if err := os.WriteFile(manifest, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startNodeCluster(t, "--pod-manifest-path", manifests)
	t.Cleanup(func() { _ = os.Remove(manifest) }) // before the cluster's clean-up, which runs after
	mirror := "static-" + c.node
	c.waitFor("the static pod Running", func() bool {
		out, _ := c.kubectl("get", "pod", mirror, "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	c.waitFor("its output in kubectl logs", func() bool {
		out, _ := c.kubectl("logs", mirror)
		return out == "static up"
	})
	if out := c.k("exec", mirror, "--", "hostname"); out != mirror {
		t.Errorf("exec hostname in the static pod: %q, want %q", out, mirror)
	}
	if err := os.Remove(manifest); err != nil {
		t.Fatal(err)
	}
	c.waitFor("the static pod and its mirror gone", func() bool {
		out, err := c.kubectl("get", "pod", mirror, "-o", "name")
		return err != nil && strings.Contains(out, "NotFound")
	})
	c.waitFor("its container gone", func() bool {
		out, _ := exec.Command("runc", "--root", filepath.Join(c.rootDir, "runc"), "list", "-q").Output()
		return strings.TrimSpace(string(out)) == ""
	})
}

// TestKubeletPersistentVolumes: a claim bound to a hostPath volume is
// mounted into the pod (what it writes is on the host), read-only where
// the pod's claim says so.
func TestKubeletPersistentVolumes(t *testing.T) {
	c := startNodeCluster(t)
	hostDir := filepath.Join(t.TempDir(), "pv")
	objects := `{"apiVersion":"v1","kind":"List","items":[
	  {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"e2e-hostpath"},"spec":{"capacity":{"storage":"1Gi"},
	    "accessModes":["ReadWriteOnce"],"persistentVolumeReclaimPolicy":"Retain","storageClassName":"",
	    "hostPath":{"path":"` + hostDir + `","type":"DirectoryOrCreate"}}},
	  {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
	    "storageClassName":"","resources":{"requests":{"storage":"1Gi"}}}},
	  {"apiVersion":"v1","kind":"Pod","metadata":{"name":"writer"},"spec":{"terminationGracePeriodSeconds":1,
	    "volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data"}}],
	    "containers":[{"name":"main","image":"example.test/busybox:1","command":["sh","-c","echo written > /data/out; exec sleep 3600"],
	      "volumeMounts":[{"name":"data","mountPath":"/data"}]}]}},
	  {"apiVersion":"v1","kind":"Pod","metadata":{"name":"reader"},"spec":{"terminationGracePeriodSeconds":1,
	    "volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data","readOnly":true}}],
	    "containers":[{"name":"main","image":"example.test/busybox:1","command":["sleep","3600"],
	      "volumeMounts":[{"name":"data","mountPath":"/data"}]}]}}]}`
	cmd := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "create", "-f", "-")
	cmd.Stdin = strings.NewReader(objects)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	c.waitFor("both pods Running", func() bool {
		out, _ := c.kubectl("get", "pods", "writer", "reader", "-o", "jsonpath={.items[*].status.phase}")
		return out == "Running Running"
	})
	c.waitFor("the writer's file on the host", func() bool {
		data, _ := os.ReadFile(filepath.Join(hostDir, "out"))
		return string(data) == "written\n"
	})
	if out := c.k("exec", "reader", "--", "cat", "/data/out"); out != "written" {
		t.Errorf("the reader sees %q", out)
	}
	if out, err := c.kubectl("exec", "reader", "--", "touch", "/data/mine"); err == nil || !strings.Contains(out, "Read-only file system") {
		t.Errorf("a read-only claim was written to: %v %q", err, out)
	}
}

// TestKubeletImageUsers: an image whose USER is a name runs as that user
// of its own /etc/passwd, as container runtimes resolve it; runAsNonRoot
// refuses it with upstream's message, as the name cannot be checked.
func TestKubeletImageUsers(t *testing.T) {
	c := startNodeCluster(t)
	base, err := images.Busybox()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := base.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Config.User = "nobody"
	named, err := mutate.ConfigFile(base, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tarball, err := images.WriteTarball(t.TempDir(), "example.test/nobody:1", named)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(kybernetesBin, "image", "import", tarball, "--root-dir", c.rootDir).CombinedOutput(); err != nil {
		t.Fatalf("image import: %v\n%s", err, out)
	}
	c.k("run", "named", "--image=example.test/nobody:1", "--image-pull-policy=Never", "--", "sleep", "3600")
	c.k("run", "checked", "--image=example.test/nobody:1", "--image-pull-policy=Never",
		`--overrides={"spec":{"securityContext":{"runAsNonRoot":true}}}`, "--", "sleep", "3600")
	c.waitFor("named Running", func() bool {
		out, _ := c.kubectl("get", "pod", "named", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	if out := c.k("exec", "named", "--", "id"); !strings.HasPrefix(out, "uid=65534(nobody) gid=65534") {
		t.Errorf("id in the container: %q, want nobody's 65534", out)
	}
	c.waitFor("checked refused", func() bool {
		msg, _ := field(c.containerStatus("checked"), "state", "waiting", "message").(string)
		reason, _ := field(c.containerStatus("checked"), "state", "waiting", "reason").(string)
		return reason == "CreateContainerConfigError" && msg == "container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root"
	})
}

// TestKubeletAttach: `kubectl run -i` writes to the container's stdin
// (closed after it, stdinOnce) and prints its output; `kubectl attach`
// follows a running container's output; attaching with a terminal (as
// `kubectl attach -it`) drives a shell on the container's own tty, sized
// as the client's.
func TestKubeletAttach(t *testing.T) {
	c := startNodeCluster(t)
	run := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "run", "reader", "-i", "--restart=Never",
		"--image=example.test/busybox:1", "--image-pull-policy=Never", "--", "sh", "-c", "read line; echo got $line; read more || echo stdin closed")
	run.Stdin = strings.NewReader("hello\n")
	out, err := run.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "got hello\nstdin closed") {
		t.Errorf("kubectl run -i: %v\n%s", err, out)
	}
	c.waitFor("reader Succeeded", func() bool {
		out, _ := c.kubectl("get", "pod", "reader", "-o", "jsonpath={.status.phase}")
		return out == "Succeeded"
	})

	c.k("run", "ticker", "--image=example.test/busybox:1", "--image-pull-policy=Never", "--", "sh", "-c", "while true; do echo tick; sleep 0.2; done")
	c.waitFor("ticker Running", func() bool {
		out, _ := c.kubectl("get", "pod", "ticker", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	attach := exec.CommandContext(ctx, kubectlBin, "--kubeconfig", c.api.kubeconfig, "attach", "ticker")
	followed := &lockedBuffer{}
	attach.Stdout, attach.Stderr = followed, followed
	_ = attach.Start()
	for !strings.Contains(followed.String(), "tick\ntick") && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	_ = attach.Wait()
	if !strings.Contains(followed.String(), "tick\ntick") {
		t.Errorf("kubectl attach printed %q, want the container's ticks", followed.String())
	}

	shell := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"shell"},"spec":{"restartPolicy":"Never","containers":[
	  {"name":"main","image":"example.test/busybox:1","imagePullPolicy":"Never","command":["sh"],"stdin":true,"tty":true}]}}`
	create := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "create", "-f", "-")
	create.Stdin = strings.NewReader(shell)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	c.waitFor("shell Running", func() bool {
		out, _ := c.kubectl("get", "pod", "shell", "-o", "jsonpath={.status.phase}")
		return out == "Running"
	})
	printed, err := c.streamTTY("attach", "shell", &corev1.PodAttachOptions{Stdin: true, Stdout: true, TTY: true}, "stty size; tty; exit\n")
	if err != nil || !strings.Contains(printed, "45 123") || !strings.Contains(printed, "/dev/pts/") {
		t.Errorf("attach -it: %v\n%q\nwant the client's size (45 123) on a terminal", err, printed)
	}
	c.waitFor("shell Succeeded after exit", func() bool {
		out, _ := c.kubectl("get", "pod", "shell", "-o", "jsonpath={.status.phase}")
		return out == "Succeeded"
	})
}

// lockedBuffer is a buffer a process writes to while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestKubeletSidecars: a sidecar serves the app from the start (the app
// starts once the sidecar's startup probe passed) over the pod's
// loopback; when the app is done the pod Succeeds and the sidecar goes.
func TestKubeletSidecars(t *testing.T) {
	c := startNodeCluster(t)
	manifest := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"sidecar"},"spec":{"restartPolicy":"Never","terminationGracePeriodSeconds":2,
	  "initContainers":[{"name":"server","image":"example.test/busybox:1","imagePullPolicy":"Never","restartPolicy":"Always",
	    "command":["sh","-c","mkdir -p /www && echo served-by-the-sidecar > /www/index.html && exec httpd -f -p 8080 -h /www"],
	    "startupProbe":{"tcpSocket":{"port":8080},"periodSeconds":1}}],
	  "containers":[{"name":"app","image":"example.test/busybox:1","imagePullPolicy":"Never","command":["wget","-qO-","http://127.0.0.1:8080/"]}]}}`
	create := exec.Command(kubectlBin, "--kubeconfig", c.api.kubeconfig, "create", "-f", "-")
	create.Stdin = strings.NewReader(manifest)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := c.kubectl("get", "pod", "sidecar", "-o", "jsonpath={.status}")
			t.Logf("the pod's status: %s", out)
		}
	})
	c.waitFor("sidecar Succeeded", func() bool {
		out, _ := c.kubectl("get", "pod", "sidecar", "-o", "jsonpath={.status.phase}")
		return out == "Succeeded"
	})
	if out := c.k("logs", "sidecar", "-c", "app"); out != "served-by-the-sidecar" {
		t.Errorf("the app printed %q", out)
	}
	if state := c.k("get", "pod", "sidecar", "-o", "jsonpath={.status.initContainerStatuses[0].state.terminated.reason}"); state == "" {
		t.Errorf("the sidecar is not terminated in the finished pod's status")
	}
	c.waitFor("the sidecar's container gone", func() bool {
		out, _ := exec.Command("runc", "--root", filepath.Join(c.rootDir, "runc"), "list", "-q").Output()
		return strings.TrimSpace(string(out)) == ""
	})
}
