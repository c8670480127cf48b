package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kybernetes/kybernetes/cloudprovider/local"
)

// component is one process of the cluster (the control plane, a node's
// kubelet or proxy), kept running by up as a supervisor would: restarted
// with a growing pause when it exits while the cluster runs.
type component struct {
	name string
	args []string
	// netns, when set, is the node namespace the process runs in.
	netns string
	log   string
	// restarted is told when the component exited and is started again.
	restarted func(name string, err error, pause time.Duration)

	mu      sync.Mutex
	cmd     *exec.Cmd
	stopped bool
	exited  chan error // the current process's end
	stopCh  chan struct{}
	done    chan struct{}
}

// start runs the component; it returns once the first process has started.
func (c *component) start(pids *pidFile) error {
	c.done, c.stopCh = make(chan struct{}), make(chan struct{})
	c.mu.Lock()
	err := c.spawn(pids)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	go c.supervise(pids)
	return nil
}

// spawn starts a process; c.mu is held, so that stop sees every process.
func (c *component) spawn(pids *pidFile) error {
	if err := os.MkdirAll(filepath.Dir(c.log), 0o755); err != nil {
		return err
	}
	log, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close() // the child has its own copy
	cmd := exec.Command(c.args[0], c.args[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	// A process group of its own: Ctrl-C on the terminal reaches up alone,
	// which stops the components in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if c.netns != "" {
		err = local.StartIn(c.netns, cmd)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		return fmt.Errorf("starting the %s: %w", c.name, err)
	}
	pids.add(cmd.Process.Pid)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pids.remove(cmd.Process.Pid) }()
	c.cmd, c.exited = cmd, exited
	return nil
}

func (c *component) supervise(pids *pidFile) {
	defer close(c.done)
	pause := time.Second
	for {
		c.mu.Lock()
		exited := c.exited
		c.mu.Unlock()
		err := <-exited
		if c.isStopped() {
			return
		}
		if c.restarted != nil {
			c.restarted(c.name, err, pause)
		}
		for {
			select {
			case <-c.stopCh:
				return
			case <-time.After(pause):
			}
			if pause *= 2; pause > 30*time.Second {
				pause = 30 * time.Second
			}
			c.mu.Lock()
			if c.stopped {
				c.mu.Unlock()
				return
			}
			err := c.spawn(pids)
			c.mu.Unlock()
			if err == nil {
				break
			}
		}
	}
}

func (c *component) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// stop sends SIGTERM and waits for the end, SIGKILL after grace.
func (c *component) stop(grace time.Duration) {
	c.mu.Lock()
	if !c.stopped {
		close(c.stopCh)
	}
	c.stopped = true
	cmd := c.cmd
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-c.done
	}
}

// pidFile records the components' process IDs, so that `down` can stop
// what an `up` that was killed left running.
type pidFile struct {
	path string
	mu   sync.Mutex
	pids map[int]bool
}

func (p *pidFile) add(pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pids == nil {
		p.pids = map[int]bool{}
	}
	p.pids[pid] = true
	p.write()
}

func (p *pidFile) remove(pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pids, pid)
	p.write()
}

func (p *pidFile) write() {
	var lines []string
	for pid := range p.pids {
		lines = append(lines, strconv.Itoa(pid))
	}
	_ = os.WriteFile(p.path, []byte(strings.Join(lines, "\n")), 0o600)
}

// killLeftovers kills the processes a pid file names that still run
// this binary's components (a PID reused since by another program is
// left alone), and waits for them to end.
func killLeftovers(ctx context.Context, path, self string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var alive []int
	for _, field := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(field)
		if err != nil || !isOurs(pid, self) {
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		alive = append(alive, pid)
	}
	for _, pid := range alive {
		for isOurs(pid, self) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
	return os.Remove(path)
}

// isOurs says whether pid runs self (and is not a zombie).
func isOurs(pid int, self string) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return strings.TrimSuffix(exe, " (deleted)") == self
}
