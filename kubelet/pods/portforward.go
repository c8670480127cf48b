package pods

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/kybernetes/kybernetes/kubelet/network"
)

// PortForward copies stream to and from port on the pod's loopback, for
// `kubectl port-forward`: the connection is made inside the pod's network
// namespace (the node's, for a hostNetwork pod), as upstream's runtime
// does it.
func (m *Manager) PortForward(ctx context.Context, namespace, name string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	m.mu.Lock()
	st := m.state[namespace+"/"+name]
	var uid string
	sandbox := false
	if st != nil {
		uid, sandbox = string(st.uid), st.sandbox
	}
	m.mu.Unlock()
	pod, err := m.pods.Pods(namespace).Get(name)
	if err != nil || st == nil || !sandbox || string(PodUID(pod)) != uid {
		return fmt.Errorf("pod %s/%s is not running on this node", namespace, name)
	}
	if m.Hollow {
		return fmt.Errorf("pod %s/%s runs on a hollow node: nothing listens on its ports", namespace, name)
	}
	address := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	var conn net.Conn
	if pod.Spec.HostNetwork {
		conn, err = net.DialTimeout("tcp4", address, 10*time.Second)
	} else {
		conn, err = network.DialIn(m.Network.NetNSPath(m.sandboxOf(pod)), "tcp4", address, 10*time.Second)
	}
	if err != nil {
		return fmt.Errorf("failed to connect to localhost:%d inside namespace of pod %s/%s: %w", port, namespace, name, err)
	}
	defer conn.Close()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The client is done sending: tell the pod's side, keep reading.
		_, _ = io.Copy(conn, stream)
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
	}()
	_, err = io.Copy(stream, conn)
	stream.Close()
	wg.Wait()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("copying from port %d of pod %s/%s: %w", port, namespace, name, err)
	}
	return nil
}
