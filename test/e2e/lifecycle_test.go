package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A SIGTERM stops the server cleanly (exit 0, etcd closed), and a restart
// on the same data directory finds every object as it was.
func TestSigtermAndRestart(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	first, err := startServer(dataDir, filepath.Join(dir, "first.log"))
	if err != nil {
		t.Fatal(err)
	}
	kc := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(kubectlBin, append([]string{"--kubeconfig", first.kubeconfig}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	kc("create", "configmap", "survivor", "--from-literal=k=v")
	before := kc("get", "cm", "survivor", "-o", "jsonpath={.metadata.resourceVersion}")

	// A second server on the same data directory refuses to start.
	out, err := exec.Command(kybernetesBin, "server", "--data-dir", dataDir, "--secure-port", "0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is in use by another kybernetes server") {
		t.Fatalf("second server on the same data dir: %v\n%s", err, out)
	}

	if err := first.stop(); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
	second, err := startServer(dataDir, filepath.Join(dir, "second.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer second.stop()
	first.kubeconfig = second.kubeconfig // the kubeconfig names the new port
	if after := kc("get", "cm", "survivor", "-o", "jsonpath={.metadata.resourceVersion}:{.data.k}"); after != before+":v" {
		t.Fatalf("after restart: %s, want %s:v", after, before)
	}
}
