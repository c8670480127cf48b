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
	"testing"
	"time"
)

var (
	kubectlBin string
	kubeconfig string
	serverURL  string
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

	kybernetesBin := os.Getenv("KYBERNETES_BIN")
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

	port, err := freePort()
	if err != nil {
		return 0, err
	}
	dataDir := filepath.Join(work, "data")
	logFile, err := os.Create(filepath.Join(work, "server.log"))
	if err != nil {
		return 0, err
	}
	server := exec.Command(kybernetesBin, "server", "--data-dir", dataDir, "--secure-port", fmt.Sprint(port))
	server.Stdout, server.Stderr = logFile, logFile
	if err := server.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	defer func() {
		_ = server.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = server.Process.Kill()
		}
	}()

	kubeconfig = filepath.Join(dataDir, "admin.kubeconfig")
	serverURL = fmt.Sprintf("https://127.0.0.1:%d", port)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(kubeconfig); err == nil {
			if out, err := exec.Command(kubectlBin, "--kubeconfig", kubeconfig, "get", "--raw", "/readyz").Output(); err == nil && strings.TrimSpace(string(out)) == "ok" {
				break
			}
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logFile.Name())
			return 0, fmt.Errorf("kybernetes server exited (%v):\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("kybernetes server not ready within 2 minutes")
		}
	}
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
	out, errOut, err := kubectl(t, "", nil, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// kIn runs kubectl with stdin.
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
