package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
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

// The control plane as separate processes: `kybernetes apiserver`, then
// `kybernetes controller-manager` and `kybernetes scheduler` against it,
// each serving its health on its --secure-port; the controllers make a
// new namespace's default service account and the scheduler binds a pod.
func TestSeparateComponents(t *testing.T) {
	dir := t.TempDir()
	api, err := startAPIServing("apiserver", filepath.Join(dir, "data"), filepath.Join(dir, "apiserver.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.stop() })
	kc := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(kubectlBin, append([]string{"--kubeconfig", api.kubeconfig}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	start := func(name string, args ...string) int {
		t.Helper()
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		log, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(kybernetesBin, append([]string{name, "--kubeconfig", api.kubeconfig,
			"--secure-port", fmt.Sprint(port), "--bind-address", "127.0.0.1"}, args...)...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); log.Close() })
		return port
	}
	managerPort := start("controller-manager")
	schedulerPort := start("scheduler")

	// Self-signed certificates, as upstream's components make by default.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for name, port := range map[string]int{"controller-manager": managerPort, "scheduler": schedulerPort} {
		var body string
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		for ctx.Err() == nil {
			resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/healthz", port))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if body = string(b); resp.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		cancel()
		if body != "ok" {
			t.Fatalf("%s /healthz: %q", name, body)
		}
	}

	kc("", "create", "namespace", "apart")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, _ := exec.Command(kubectlBin, "--kubeconfig", api.kubeconfig, "-n", "apart", "get", "sa", "default", "-o", "name").Output()
		if strings.TrimSpace(string(out)) == "serviceaccount/default" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the controller manager made no default service account")
		}
	}
	kc(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"apart-node"},
	  "status":{"capacity":{"cpu":"2","memory":"4Gi","pods":"10"},"allocatable":{"cpu":"2","memory":"4Gi","pods":"10"},
	    "conditions":[{"type":"Ready","status":"True"}]}}`, "create", "-f", "-")
	kc("", "-n", "apart", "run", "solo", "--image=busybox:1.36")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, _ := exec.Command(kubectlBin, "--kubeconfig", api.kubeconfig, "-n", "apart", "get", "pod", "solo", "-o", "jsonpath={.spec.nodeName}").Output()
		if string(out) == "apart-node" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduler did not bind the pod: %q", out)
		}
	}
	// The leases the two hold.
	leases := kc("", "-n", "kube-system", "get", "leases")
	mustContain(t, leases, "kube-controller-manager", "kube-scheduler")
}

// `kubectl get componentstatuses` finds etcd and, in `kybernetes server`,
// the in-process scheduler and controller manager on upstream's ports.
func TestComponentStatuses(t *testing.T) {
	rows := fields(k(t, "get", "componentstatuses"))
	healthy := map[string]bool{}
	for _, row := range rows[1:] {
		healthy[row[0]] = row[1] == "Healthy"
	}
	if !healthy["etcd-0"] || !healthy["scheduler"] || !healthy["controller-manager"] {
		t.Fatalf("get cs:\n%v", rows)
	}
}

// TestComponentStatusesFollowTheComponents: `kubectl get cs` probes the
// scheduler and the controller manager on upstream's fixed ports (10259,
// 10257), which the shared server holds on this machine's loopback. So the
// control plane runs as separate processes in a network namespace of the
// test's own, where those ports are free: all Healthy, and once the
// scheduler is stopped, the scheduler Unhealthy.
func TestComponentStatusesFollowTheComponents(t *testing.T) {
	ns := netns.New(t)
	in := []string{"ip", "netns", "exec", ns.Name}
	dir := t.TempDir()
	api, err := startAPIServingIn(in, "apiserver", filepath.Join(dir, "data"), filepath.Join(dir, "apiserver.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.stop() })
	start := func(name string, port int) *exec.Cmd {
		t.Helper()
		log, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := prefixed(in, kybernetesBin, name, "--kubeconfig", api.kubeconfig, "--secure-port", fmt.Sprint(port), "--bind-address", "127.0.0.1")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); log.Close() })
		return cmd
	}
	start("controller-manager", 10257)
	scheduler := start("scheduler", 10259)

	statuses := func() map[string]string {
		out, err := prefixed(in, kubectlBin, "--kubeconfig", api.kubeconfig, "get", "componentstatuses", "--no-headers").Output()
		got := map[string]string{}
		if err != nil {
			return got
		}
		for _, row := range fields(string(out)) {
			if len(row) >= 2 {
				got[row[0]] = row[1]
			}
		}
		return got
	}
	waitUntil := func(what string, ok func(map[string]string) bool) {
		t.Helper()
		var got map[string]string
		for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
			if got = statuses(); ok(got) {
				return
			}
		}
		t.Fatalf("timed out waiting for %s; get cs: %v", what, got)
	}
	waitUntil("every component Healthy", func(s map[string]string) bool {
		return s["etcd-0"] == "Healthy" && s["scheduler"] == "Healthy" && s["controller-manager"] == "Healthy"
	})
	if err := scheduler.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitUntil("the stopped scheduler Unhealthy", func(s map[string]string) bool {
		return s["scheduler"] == "Unhealthy" && s["controller-manager"] == "Healthy" && s["etcd-0"] == "Healthy"
	})
}
