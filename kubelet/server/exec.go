package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/streaming/pkg/httpstream/wsstream"

	"github.com/kybernetes/kybernetes/kubelet/runtime"
)

// Executor runs a command in a pod's running container; with tty, on a
// terminal whose sizes come from resize, its output all on stdout.
type Executor func(ctx context.Context, namespace, pod, container string, cmd []string, tty bool, resize <-chan runtime.TerminalSize,
	stdin io.Reader, stdout, stderr io.Writer) (exitCode int, err error)

// The stream protocols of exec over WebSocket, as kubectl v1.37 speaks
// them: channel 0 stdin, 1 stdout, 2 stderr, 3 the error (the command's
// final Status), 4 terminal resize; v5 adds closing a channel (stdin's
// end).
var execProtocols = []string{"v5.channel.k8s.io", "v4.channel.k8s.io"}

// exec serves /exec/{namespace}/{pod}/{container}?command=...&stdin=...
// over WebSocket; with tty=true the command runs on a terminal, resized
// by what the client sends on the resize channel.
func (s *Server) exec(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cmd := q["command"]
	if len(cmd) == 0 {
		http.Error(w, "you must specify at least 1 command", http.StatusBadRequest)
		return
	}
	if !wsstream.IsWebSocketRequest(r) {
		// kubectl falls back to SPDY on an upgrade failure; this kubelet
		// speaks WebSocket only, so it says so.
		http.Error(w, "this kubelet serves exec over WebSocket (v5.channel.k8s.io) only", http.StatusBadRequest)
		return
	}
	tty := q.Get("tty") == "true"
	channels := make([]wsstream.ChannelType, 5)
	if q.Get("stdin") == "true" || q.Get("input") == "1" {
		channels[0] = wsstream.ReadChannel
	}
	if q.Get("stdout") == "true" || q.Get("output") == "1" {
		channels[1] = wsstream.WriteChannel
	}
	if !tty && (q.Get("stderr") == "true" || q.Get("error") == "1") {
		channels[2] = wsstream.WriteChannel
	}
	channels[3] = wsstream.WriteChannel
	if tty {
		channels[4] = wsstream.ReadChannel
	}
	protocols := map[string]wsstream.ChannelProtocolConfig{}
	for _, p := range execProtocols {
		protocols[p] = wsstream.ChannelProtocolConfig{Binary: true, Channels: channels}
	}
	conn := wsstream.NewConn(protocols)
	_, streams, err := conn.Open(w, r)
	if err != nil {
		return // the handshake has answered the client
	}
	defer conn.Close()
	resize := make(chan runtime.TerminalSize, 1)
	if tty {
		go func() {
			defer close(resize)
			decoder := json.NewDecoder(streams[4])
			for {
				var size runtime.TerminalSize
				if err := decoder.Decode(&size); err != nil {
					return
				}
				resize <- size
			}
		}()
	} else {
		close(resize)
	}
	var stdin io.Reader
	if channels[0] == wsstream.ReadChannel {
		stdin = streams[0]
	}
	stdout, stderr := io.Discard, io.Discard
	if channels[1] == wsstream.WriteChannel {
		stdout = streams[1]
		stderr = streams[1]
	}
	if channels[2] == wsstream.WriteChannel {
		stderr = streams[2]
	}
	code, err := s.Exec(r.Context(), r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container"), cmd, tty, resize, stdin, stdout, stderr)
	_ = json.NewEncoder(streams[3]).Encode(execStatus(code, err))
}

// execStatus is the final Status on the error channel, as the kubelet
// writes it: Success, or NonZeroExitCode with the code as a cause that
// kubectl turns into its own exit code.
func execStatus(code int, err error) *metav1.Status {
	switch {
	case err != nil:
		return &metav1.Status{Status: metav1.StatusFailure, Message: err.Error()}
	case code == 0:
		return &metav1.Status{Status: metav1.StatusSuccess}
	}
	return &metav1.Status{Status: metav1.StatusFailure, Reason: "NonZeroExitCode",
		Message: fmt.Sprintf("command terminated with non-zero exit code: exit status %d", code),
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(code)}}}}
}
