// Package e2e drives the real kybernetes binary with a stock kubectl
// (v1.37.2, built by hack/build-kubectl.sh) and checks what kubectl prints.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	kybernetesBin string
	kubectlBin    string
	kubeProxyBin  string
	// kubeSchedulerBin and kubeControllerManagerBin are the stock
	// components of those names.
	kubeSchedulerBin         string
	kubeControllerManagerBin string
	kubeletBin               string
	// helmBin is the stock helm.
	helmBin    string
	kubeconfig string
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	root := repoRoot()
	work, err := os.MkdirTemp("", "kybernetes-e2e-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)

	kybernetesBin = os.Getenv("KYBERNETES_BIN")
	if kybernetesBin == "" {
		if err := command(root, "make", "build").Run(); err != nil {
			return 0, fmt.Errorf("make build: %w", err)
		}
		kybernetesBin = filepath.Join(root, "bin", "kybernetes")
	}
	kubectlBin = os.Getenv("KUBECTL_BIN")
	if kubectlBin == "" {
		kubectlBin = filepath.Join(root, "_output", "bin", "kubectl")
		if err := command(root, filepath.Join(root, "hack", "build-kubectl.sh"), kubectlBin).Run(); err != nil {
			return 0, fmt.Errorf("building kubectl: %w", err)
		}
	}
	for _, c := range []struct {
		name string
		bin  *string
		env  string
	}{{"kube-proxy", &kubeProxyBin, "KUBE_PROXY_BIN"}, {"kube-scheduler", &kubeSchedulerBin, "KUBE_SCHEDULER_BIN"},
		{"kube-controller-manager", &kubeControllerManagerBin, "KUBE_CONTROLLER_MANAGER_BIN"},
		{"kubelet", &kubeletBin, "KUBELET_BIN"}} {
		if *c.bin = os.Getenv(c.env); *c.bin != "" {
			continue
		}
		*c.bin = filepath.Join(root, "_output", "bin", c.name)
		if err := command(root, filepath.Join(root, "hack", "build-kube-component.sh"), c.name, *c.bin).Run(); err != nil {
			return 0, fmt.Errorf("building %s: %w", c.name, err)
		}
	}

	if helmBin = os.Getenv("HELM_BIN"); helmBin == "" {
		helmBin = filepath.Join(root, "_output", "bin", "helm")
		if err := command(root, filepath.Join(root, "hack", "build-helm.sh"), helmBin).Run(); err != nil {
			return 0, fmt.Errorf("building helm: %w", err)
		}
	}

	server, err := startServer(filepath.Join(work, "data"), filepath.Join(work, "server.log"))
	if err != nil {
		return 0, err
	}
	defer server.stop()
	kubeconfig = server.kubeconfig
	return m.Run(), nil
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func command(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// kubectl runs a stock kubectl against the server and returns what it
// printed on stdout and stderr.
func kubectl(t *testing.T, stdin string, env []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlBin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// k runs kubectl and fails the test if it fails.
func k(t *testing.T, args ...string) string {
	t.Helper()
	return kIn(t, "", args...)
}

// kIn runs kubectl with stdin and fails the test if it fails.
func kIn(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := kubectl(t, stdin, nil, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// kFails runs kubectl, expects it to fail and returns its stderr.
func kFails(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := kubectl(t, stdin, nil, args...)
	if err == nil {
		t.Fatalf("kubectl %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	return errOut
}

// fields splits kubectl's table output into rows of whitespace-separated
// cells.
func fields(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

func mustContain(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

func namespace(t *testing.T, name string) string {
	t.Helper()
	k(t, "create", "namespace", name)
	t.Cleanup(func() { _, _, _ = kubectl(t, "", nil, "delete", "namespace", name, "--wait=false") })
	return name
}

// serverProcess is a `kybernetes server` started by the tests.
type serverProcess struct {
	cmd        *exec.Cmd
	exited     chan error
	kubeconfig string
	url        string
}

// startServer runs `kybernetes server` on a free port and waits until
// kubectl gets "ok" from /readyz.
func startServer(dataDir, logPath string) (*serverProcess, error) {
	return startAPIServing("server", dataDir, logPath)
}

// startAPIServing runs `kybernetes <command>` (server or apiserver) on a
// free port and waits until kubectl gets "ok" from /readyz.
func startAPIServing(command, dataDir, logPath string) (*serverProcess, error) {
	return startAPIServingIn(nil, command, dataDir, logPath)
}

// startAPIServingIn is startAPIServing with every command (the server and
// the kubectl that checks it) run through prefix, such as
// "ip netns exec <name>" to run in a network namespace.
func startAPIServingIn(prefix []string, command, dataDir, logPath string, args ...string) (*serverProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := prefixed(prefix, kybernetesBin, append([]string{command, "--data-dir", dataDir, "--secure-port", fmt.Sprint(port)}, args...)...)
	// The server answers on --bind-address when one is given.
	host := "127.0.0.1"
	for i, a := range args {
		if a == "--bind-address" && i+1 < len(args) {
			host = args[i+1]
		}
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &serverProcess{cmd: cmd, exited: make(chan error, 1),
		kubeconfig: filepath.Join(dataDir, "admin.kubeconfig"), url: fmt.Sprintf("https://%s", net.JoinHostPort(host, fmt.Sprint(port)))}
	go func() { s.exited <- cmd.Wait(); logFile.Close() }()

	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(s.kubeconfig); err == nil {
			out, err := prefixed(prefix, kubectlBin, "--kubeconfig", s.kubeconfig, "--server", s.url, "get", "--raw", "/readyz").Output()
			if err == nil && strings.TrimSpace(string(out)) == "ok" {
				return s, nil
			}
		}
		select {
		case err := <-s.exited:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("kybernetes server exited (%v):\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("kybernetes server not ready within 2 minutes")
		}
	}
}

// prefixed is exec.Command(name, args...) run through prefix.
func prefixed(prefix []string, name string, args ...string) *exec.Cmd {
	if len(prefix) == 0 {
		return exec.Command(name, args...)
	}
	return exec.Command(prefix[0], append(append(prefix[1:len(prefix):len(prefix)], name), args...)...)
}

// stop sends SIGTERM and returns the process's exit error.
func (s *serverProcess) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		return err
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		return fmt.Errorf("kybernetes server did not stop within a minute of SIGTERM")
	}
}
