package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"

	"github.com/kybernetes/kybernetes/kubelet/runtime"
)

// Executor runs a command in a pod's running container; with tty, on a
// terminal whose sizes come from resize, its output all on stdout.
type Executor func(ctx context.Context, namespace, pod, container string, cmd []string, tty bool, resize <-chan runtime.TerminalSize,
	stdin io.Reader, stdout, stderr io.Writer) (exitCode int, err error)

// Attacher connects to a running container's own stdio.
type Attacher func(ctx context.Context, namespace, pod, container string, stdin io.Reader, stdout, stderr io.Writer,
	resize <-chan runtime.TerminalSize) error

// streamCreationTimeout is how long a client has to open its streams, as
// upstream's kubelet gives it.
const streamCreationTimeout = 30 * time.Second

// exec serves /exec/{namespace}/{pod}/{container}?command=...&input=1...
// and attach /attach/{namespace}/{pod}/{container} in the protocols
// kubelets speak — SPDY (channel.k8s.io v1 to v4, which the API server
// makes of kubectl's WebSocket v5) and WebSocket up to v4 — with
// k8s.io/cri-streaming's server, as upstream's kubelet does.
func (s *Server) exec(w http.ResponseWriter, r *http.Request) {
	s.remoteCommand(w, r, true)
}

func (s *Server) attach(w http.ResponseWriter, r *http.Request) {
	s.remoteCommand(w, r, false)
}

func (s *Server) remoteCommand(w http.ResponseWriter, r *http.Request, exec bool) {
	namespace, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	pod, err := s.Pod(namespace, name)
	if err != nil || (r.PathValue("uid") != "" && r.PathValue("uid") != string(pod.UID)) {
		http.Error(w, fmt.Sprintf("pod %s/%s not found", namespace, name), http.StatusNotFound)
		return
	}
	options, err := remotecommand.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	adapter := streams{namespace: namespace, exec: s.Exec, attach: s.Attach}
	if exec {
		cmd := r.URL.Query()["command"]
		if len(cmd) == 0 {
			http.Error(w, "you must specify at least 1 command", http.StatusBadRequest)
			return
		}
		remotecommand.ServeExec(w, r, adapter, name, string(pod.UID), container, cmd, options,
			portForwardIdleTimeout, streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
		return
	}
	remotecommand.ServeAttach(w, r, adapter, name, string(pod.UID), container, options,
		portForwardIdleTimeout, streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
}

// streams adapts the kubelet's exec and attach to cri-streaming's
// interfaces, which name the pod without its namespace.
type streams struct {
	namespace string
	exec      Executor
	attach    Attacher
}

func (a streams) ExecInContainer(ctx context.Context, name, _ string, container string, cmd []string, in io.Reader, out, errOut io.WriteCloser,
	tty bool, resize <-chan remotecommand.TerminalSize, _ time.Duration) error {
	code, err := a.exec(ctx, a.namespace, name, container, cmd, tty, sizes(resize), in, writer(out), writer(errOut))
	if err != nil {
		return err
	}
	if code != 0 {
		// The exit code travels to kubectl as the Status's cause.
		return utilexec.CodeExitError{Err: fmt.Errorf("exit status %d", code), Code: code}
	}
	return nil
}

func (a streams) AttachContainer(ctx context.Context, name, _ string, container string, in io.Reader, out, errOut io.WriteCloser,
	tty bool, resize <-chan remotecommand.TerminalSize) error {
	if a.attach == nil {
		return fmt.Errorf("attach is not served by this kubelet")
	}
	var stdout, stderr io.Writer
	if out != nil {
		stdout = out
	}
	if errOut != nil {
		stderr = errOut
	}
	return a.attach(ctx, a.namespace, name, container, in, stdout, stderr, sizes(resize))
}

// writer is w, or a writer that drops everything for a stream not asked
// for.
func writer(w io.WriteCloser) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// sizes relays the client's terminal sizes.
func sizes(in <-chan remotecommand.TerminalSize) <-chan runtime.TerminalSize {
	if in == nil {
		return nil
	}
	out := make(chan runtime.TerminalSize, 1)
	go func() {
		defer close(out)
		for size := range in {
			out <- runtime.TerminalSize{Width: size.Width, Height: size.Height}
		}
	}()
	return out
}
