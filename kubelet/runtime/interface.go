package runtime

import (
	"context"
	"io"
	"time"
)

// Interface is what the pod manager asks of a container runtime: runc for
// real nodes, Fake for hollow ones.
type Interface interface {
	// Name is the runtime's, the scheme of container IDs (runc://<id>).
	Name() string
	// Check reports why containers cannot run (the node's Ready reason).
	Check() error
	// Start runs the container; it returns once it runs, or with the
	// reason it could not start.
	Start(ctx context.Context, c Container) error
	// State is what the runtime knows of the container; the zero State
	// for one it does not know.
	State(ctx context.Context, id, bundle string) (State, error)
	// Stop ends the container: SIGTERM, then SIGKILL once grace passed.
	Stop(ctx context.Context, id, bundle string, grace time.Duration) error
	// List returns the IDs of the containers the runtime holds.
	List(ctx context.Context) []string
	// Remove deletes what is left of a stopped container.
	Remove(ctx context.Context, id, bundle string) error
	// Exec runs cmd in the container, for probes and hooks: its combined
	// output (at most 10 KiB) and exit code.
	Exec(ctx context.Context, id string, cmd []string) ([]byte, int, error)
	// ExecStreams and ExecTTY run cmd for `kubectl exec`, without and
	// with a terminal; they return its exit code.
	ExecStreams(ctx context.Context, id string, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
	ExecTTY(ctx context.Context, id string, cmd []string, stdin io.Reader, stdout io.Writer, resize <-chan TerminalSize) (int, error)
	// Attach connects to the running container's own stdio (stdin nil for
	// none) until it ends or ctx does.
	Attach(ctx context.Context, id string, stdin io.Reader, stdout, stderr io.Writer, resize <-chan TerminalSize) error
}

var _ Interface = (*Runc)(nil)
