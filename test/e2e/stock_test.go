package e2e

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// stockRun is `kybernetes apiserver` alone, for a stock component to run
// against with the credentials the server wrote for it.
type stockRun struct {
	t    *testing.T
	dir  string
	data string
	api  *serverProcess
}

func newStockRun(t *testing.T) *stockRun {
	t.Helper()
	dir := t.TempDir()
	r := &stockRun{t: t, dir: dir, data: filepath.Join(dir, "data")}
	api, err := startAPIServing("apiserver", r.data, filepath.Join(dir, "apiserver.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.stop() })
	r.api = api
	return r
}

// kc runs kubectl as the admin, with stdin, and fails the test on an error.
func (r *stockRun) kc(stdin string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command(kubectlBin, append([]string{"--kubeconfig", r.api.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// get is kubectl's output, errors ignored (for polling).
func (r *stockRun) get(args ...string) string {
	out, _ := exec.Command(kubectlBin, append([]string{"--kubeconfig", r.api.kubeconfig}, args...)...).Output()
	return string(out)
}

func (r *stockRun) waitUntil(what string, ok func() bool) {
	r.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// start runs a stock component (its log kept, shown if the test fails)
// serving its health on a free port, and returns the port and a reader
// of its log.
func (r *stockRun) start(name, bin string, args ...string) (int, func() string) {
	r.t.Helper()
	port, err := freePort()
	if err != nil {
		r.t.Fatal(err)
	}
	logPath := filepath.Join(r.dir, name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(bin, append(args, "--secure-port", fmt.Sprint(port), "--bind-address", "127.0.0.1", "-v=2")...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	readLog := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	r.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
		if r.t.Failed() {
			r.t.Logf("%s log:\n%s", name, tail(readLog(), 200))
		}
	})
	// Ready once its informers synced (and, for those that elect, it leads).
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	r.waitUntil(name+" /healthz", func() bool {
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/healthz", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && string(body) == "ok"
	})
	return port, readLog
}

// logProblems are the lines of a component's log that say it could not
// keep a watch or was refused a request.
func logProblems(log string) []string {
	return regexp.MustCompile(`(?m)^.*(Failed to watch|failed to list|is forbidden|the server could not find the requested resource).*$`).FindAllString(log, 20)
}
