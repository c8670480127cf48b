package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/portforward"
)

// Port-forward connections stay open while they carry traffic; upstream's
// default --streaming-connection-idle-timeout.
const portForwardIdleTimeout = 4 * time.Hour

// portForward serves /portForward/{namespace}/{pod}[/{uid}] in both the
// protocols clients speak: SPDY (which the API server also makes of
// kubectl's WebSocket tunnel) and WebSocket (portforward.k8s.io v4), with
// k8s.io/cri-streaming's server, as upstream's kubelet does.
func (s *Server) portForward(w http.ResponseWriter, r *http.Request) {
	namespace, name := r.PathValue("namespace"), r.PathValue("pod")
	pod, err := s.Pod(namespace, name)
	if err != nil || (r.PathValue("uid") != "" && r.PathValue("uid") != string(pod.UID)) {
		http.Error(w, fmt.Sprintf("pod %s/%s not found", namespace, name), http.StatusNotFound)
		return
	}
	if s.PortForward == nil {
		http.Error(w, "port-forward is not served by this kubelet", http.StatusNotImplemented)
		return
	}
	options, err := portforward.NewV4Options(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	portforward.ServePortForward(w, r, forwarder{s.PortForward, namespace}, name, string(pod.UID), options,
		portForwardIdleTimeout, 30*time.Second, portforward.SupportedProtocols)
}

// forwarder adapts the kubelet's PortForward to cri-streaming's interface,
// which names the pod without its namespace.
type forwarder struct {
	forward   func(ctx context.Context, namespace, pod string, port int32, stream io.ReadWriteCloser) error
	namespace string
}

func (f forwarder) PortForward(ctx context.Context, name, _ string, port int32, stream io.ReadWriteCloser) error {
	return f.forward(ctx, f.namespace, name, port, stream)
}
