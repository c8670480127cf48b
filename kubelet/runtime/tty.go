package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TerminalSize is a terminal's size in characters.
type TerminalSize struct{ Width, Height uint16 }

// ExecTTY runs cmd in the running container on a pseudo-terminal, as
// `kubectl exec -t` asks. runc runs in the foreground with a terminal of
// ours as its controlling terminal: it makes it raw, allocates the
// container's own and relays between them, and follows our terminal's size
// (a resize of ours sends it SIGWINCH). stdin goes to our terminal, its
// output to stdout. It returns the command's exit code.
func (r *Runc) ExecTTY(ctx context.Context, id string, cmd []string, stdin io.Reader, stdout io.Writer, resize <-chan TerminalSize) (int, error) {
	master, slave, err := openPTY()
	if err != nil {
		return -1, err
	}
	defer master.Close()
	c := exec.CommandContext(ctx, r.Binary, append([]string{"--root", r.Root, "exec", "-t", id}, cmd...)...)
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := c.Start(); err != nil {
		slave.Close()
		return -1, err
	}
	slave.Close() // runc holds it now; the master reads EIO once runc is gone
	go func() {
		for size := range resize {
			_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: size.Height, Col: size.Width})
		}
	}()
	if stdin != nil {
		go func() { _, _ = io.Copy(master, stdin) }()
	}
	output := make(chan struct{})
	go func() {
		_, _ = io.Copy(stdout, master)
		close(output)
	}()
	err = c.Wait()
	select {
	case <-output:
	case <-time.After(time.Second):
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	}
	return -1, err
}

// openPTY opens a new pseudo-terminal pair through /dev/ptmx.
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlocking the terminal: %w", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("naming the terminal: %w", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
