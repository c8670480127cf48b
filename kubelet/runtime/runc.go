// Package runtime runs containers with runc. Each container is an OCI
// bundle — a config.json and a root filesystem, an overlay of the image's
// unpacked layers under a writable layer of its own — run by a small shim
// process (`kybernetes container-shim`) that the kubelet starts in a
// session of its own: the shim runs `runc run` in the foreground, writes
// the container's output to its log in the CRI format, and records the
// exit code when it ends. The shim, not the kubelet, is the container's
// parent, so a kubelet restart leaves running containers alone.
package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Runc is the runc runtime of one kubelet.
type Runc struct {
	// Binary is runc's path; Root is runc's state directory (--root).
	Binary, Root string
	// Shim is the command line that starts a shim: the kybernetes binary
	// and "container-shim"; the shim's flags are appended.
	Shim []string

	mu    sync.Mutex
	inits map[string]initInfo // by container ID
}

// Container is what Start needs to run one container.
type Container struct {
	ID string
	// Bundle is the container's own directory; its rootfs, writable layer
	// and state files live there.
	Bundle string
	// Image is the image's unpacked root filesystem, the overlay's lower
	// layer (never written to).
	Image string
	Spec  *specs.Spec
	// Log is the file the container's stdout and stderr go to.
	Log string
	// Stdin, StdinOnce and TTY are the container's: a stdin attach can
	// write to (closed after the first session with StdinOnce), a
	// terminal (its spec's process.terminal too).
	Stdin, StdinOnce, TTY bool
}

// State is what the runtime knows of a container.
type State struct {
	Running    bool
	Exited     bool
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
	// Error is runc's own complaint when the container could not start
	// (an executable not found, say).
	Error string
	// Lost marks a container that was running and is no longer known to
	// the runtime, its end unrecorded.
	Lost bool
	// OOMKilled: the kernel's OOM killer ended it.
	OOMKilled bool
}

// exitRecord is the shim's exit file.
type exitRecord struct {
	ExitCode   int       `json:"exitCode"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Error      string    `json:"error,omitempty"`
	OOMKilled  bool      `json:"oomKilled,omitempty"`
}

// Name is "runc".
func (r *Runc) Name() string { return "runc" }

// Check reports why containers cannot run (the RuntimeReady condition).
func (r *Runc) Check() error {
	if _, err := exec.LookPath(r.Binary); err != nil {
		return fmt.Errorf("runc not found: %w", err)
	}
	return nil
}

// Start creates the container's root filesystem and bundle and starts its
// shim; it returns once runc reports the container running, or with the
// reason it could not start.
func (r *Runc) Start(ctx context.Context, c Container) error {
	rootfs, err := prepareRootfs(c.Image, c.Bundle, true)
	if err != nil {
		return err
	}
	spec := *c.Spec
	spec.Root = &specs.Root{Path: rootfs, Readonly: c.Spec.Root != nil && c.Spec.Root.Readonly}
	data, err := json.MarshalIndent(&spec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.Bundle, "config.json"), data, 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.Log), 0o755); err != nil {
		return err
	}
	args := append(append([]string{}, r.Shim[1:]...), "--runc", r.Binary, "--runc-root", r.Root,
		"--bundle", c.Bundle, "--id", c.ID, "--log", c.Log, "--exit-file", exitFile(c.Bundle),
		fmt.Sprintf("--stdin=%t", c.Stdin), fmt.Sprintf("--stdin-once=%t", c.StdinOnce), fmt.Sprintf("--tty=%t", c.TTY))
	shim := exec.Command(r.Shim[0], args...)
	// A session of its own: signals to the kubelet's process group (a
	// Ctrl-C, a supervisor's stop) do not reach the containers.
	shim.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := shim.Start(); err != nil {
		return fmt.Errorf("starting the container shim: %w", err)
	}
	go func() { _ = shim.Wait() }() // reap it if it ends while we run
	if err := os.WriteFile(filepath.Join(c.Bundle, "shim.pid"), []byte(strconv.Itoa(shim.Process.Pid)), 0o600); err != nil {
		return err
	}
	for {
		state, running := r.observe(c.ID, c.Bundle)
		switch {
		case state.Exited && state.Error != "":
			return errors.New(state.Error)
		case running || state.Exited:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// prepareRootfs makes the container's root filesystem in its bundle: an
// overlay whose lower layer is the image's unpacked rootfs (never written
// to), or — where the kernel has no overlayfs (or overlay is false) — a
// copy of it.
func prepareRootfs(image, bundle string, overlay bool) (string, error) {
	rootfs := filepath.Join(bundle, "rootfs")
	if overlay {
		for _, dir := range []string{rootfs, filepath.Join(bundle, "upper"), filepath.Join(bundle, "work")} {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", err
			}
		}
		options := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", image, filepath.Join(bundle, "upper"), filepath.Join(bundle, "work"))
		err := unix.Mount("overlay", rootfs, "overlay", 0, options)
		if err == nil {
			return rootfs, nil
		}
		if !errors.Is(err, unix.ENODEV) {
			return "", fmt.Errorf("mounting the container's root filesystem: %w", err)
		}
	}
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return "", err
	}
	if out, err := exec.Command("cp", "-a", image+"/.", rootfs).CombinedOutput(); err != nil {
		return "", fmt.Errorf("copying the image into the container's root filesystem: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return rootfs, nil
}

func exitFile(bundle string) string { return filepath.Join(bundle, "exit.json") }

// State reads the container's state without running anything: its exit
// record when it has ended; running while its process (runc's state names
// it) lives — or while its shim does, writing the record of an end; the
// zero State when neither is there (never started, or lost with the
// machine).
func (r *Runc) State(ctx context.Context, id, bundle string) (State, error) {
	state, running := r.observe(id, bundle)
	if !running && !state.Exited && shimAlive(bundle, id) {
		state.Running = true // ending: the record follows
	}
	return state, nil
}

// observe is the exit record, or whether the container's process runs.
func (r *Runc) observe(id, bundle string) (State, bool) {
	if data, err := os.ReadFile(exitFile(bundle)); err == nil {
		var rec exitRecord
		if err := json.Unmarshal(data, &rec); err == nil {
			return State{Exited: true, ExitCode: rec.ExitCode, StartedAt: rec.StartedAt, FinishedAt: rec.FinishedAt, Error: rec.Error, OOMKilled: rec.OOMKilled}, false
		}
	}
	st, ok := r.initProcess(id)
	if !ok {
		return State{}, false
	}
	// The pid is the container's only while the process has the start
	// time runc recorded.
	if start, ok := processStart(st.Pid); ok && start == st.Start {
		return State{Running: true, StartedAt: st.Created}, true
	}
	return State{StartedAt: st.Created}, false
}

// initInfo is what runc's state.json says of a container's process; it
// does not change once the container is created, and the file is large
// (the whole configuration), so it is read once.
type initInfo struct {
	Pid     int       `json:"init_process_pid"`
	Start   uint64    `json:"init_process_start"`
	Created time.Time `json:"created"`
}

func (r *Runc) initProcess(id string) (initInfo, bool) {
	r.mu.Lock()
	info, ok := r.inits[id]
	r.mu.Unlock()
	if ok {
		return info, true
	}
	data, err := os.ReadFile(filepath.Join(r.Root, id, "state.json"))
	if err != nil {
		return initInfo{}, false
	}
	if err := json.Unmarshal(data, &info); err != nil || info.Pid == 0 {
		return initInfo{}, false
	}
	r.mu.Lock()
	if r.inits == nil {
		r.inits = map[string]initInfo{}
	}
	r.inits[id] = info
	r.mu.Unlock()
	return info, true
}

// processStart is a process's start time in clock ticks since boot, the
// 22nd field of /proc/<pid>/stat.
func processStart(pid int) (uint64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return 0, false
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	return start, err == nil
}

// shimAlive says whether the container's shim still runs.
func shimAlive(bundle, id string) bool {
	data, err := os.ReadFile(filepath.Join(bundle, "shim.pid"))
	if err != nil {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strings.TrimSpace(string(data)) + "/cmdline")
	return err == nil && strings.Contains(string(cmdline), "container-shim\x00") && strings.Contains(string(cmdline), "\x00"+id+"\x00")
}

// Stop sends SIGTERM, waits up to grace for the container to end, then
// sends SIGKILL and waits for the shim to record the exit.
func (r *Runc) Stop(ctx context.Context, id, bundle string, grace time.Duration) error {
	deadline := time.Now().Add(grace)
	signal := "TERM"
	for {
		st, err := r.State(ctx, id, bundle)
		if err != nil {
			return err
		}
		if st.Exited || !st.Running && !r.exists(ctx, id) {
			return nil
		}
		if signal == "TERM" || time.Now().After(deadline) {
			if time.Now().After(deadline) {
				signal = "KILL"
			}
			killCtx, cancel := context.WithTimeout(ctx, runcTimeout)
			_ = exec.CommandContext(killCtx, r.Binary, "--root", r.Root, "kill", id, signal).Run()
			cancel()
			if signal == "TERM" {
				signal = "sent"
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (r *Runc) exists(ctx context.Context, id string) bool {
	ctx, cancel := context.WithTimeout(ctx, runcTimeout)
	defer cancel()
	return exec.CommandContext(ctx, r.Binary, "--root", r.Root, "state", id).Run() == nil
}

// runcTimeout bounds runc's quick commands (state, kill, delete): a runc
// that hangs must not hold a pod's sync for ever.
const runcTimeout = 30 * time.Second

// List returns the IDs of the containers runc knows.
func (r *Runc) List(ctx context.Context) []string {
	out, err := exec.CommandContext(ctx, r.Binary, "--root", r.Root, "list", "--format", "json").Output()
	if err != nil {
		return nil
	}
	var list []struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(out, &list)
	ids := make([]string, 0, len(list))
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids
}

// Remove deletes what is left of the container: runc's state, the root
// filesystem mount and the bundle.
func (r *Runc) Remove(ctx context.Context, id, bundle string) error {
	r.mu.Lock()
	delete(r.inits, id)
	r.mu.Unlock()
	if r.exists(ctx, id) {
		deleteCtx, cancel := context.WithTimeout(ctx, runcTimeout)
		out, err := exec.CommandContext(deleteCtx, r.Binary, "--root", r.Root, "delete", "--force", id).CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("runc delete %s: %v: %s", id, err, strings.TrimSpace(string(out)))
		}
	}
	if bundle == "" {
		return nil
	}
	rootfs := filepath.Join(bundle, "rootfs")
	if err := unix.Unmount(rootfs, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", rootfs, err)
	}
	return os.RemoveAll(bundle)
}

// ExecStreams runs cmd in the running container with the given streams
// and returns its exit code.
func (r *Runc) ExecStreams(ctx context.Context, id string, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c := exec.CommandContext(ctx, r.Binary, append([]string{"--root", r.Root, "exec", id}, cmd...)...)
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	err := c.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	}
	return -1, err
}

// Exec runs cmd in the running container and returns its combined output
// (at most 10 KiB, as probes keep) and exit code; ctx bounds it.
func (r *Runc) Exec(ctx context.Context, id string, cmd []string) ([]byte, int, error) {
	c := exec.CommandContext(ctx, r.Binary, append([]string{"--root", r.Root, "exec", id}, cmd...)...)
	out, err := c.CombinedOutput()
	if len(out) > 10*1024 {
		out = out[:10*1024]
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out, 0, nil
	case ctx.Err() != nil:
		return out, -1, fmt.Errorf("command timed out")
	case errors.As(err, &exit):
		return out, exit.ExitCode(), nil
	}
	return out, -1, err
}
