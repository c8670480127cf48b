package integration

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kybernetes/kybernetes/test/netns"
)

// podWithIP creates a one-container pod declaring port and gives it ip in
// its status, as a kubelet would.
func podWithIP(t *testing.T, ns, name, ip string, port int) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	pods := shared.Client.CoreV1().Pods(ns)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "web", Image: "nginx", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: int32(port)}}}}}}
	pod, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.PodIP, pod.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	pod, err = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod
}

// manualEndpoints writes a selector-less service's endpoints: one address
// on the "http" port, naming target as its pod when target is not empty.
func manualEndpoints(t *testing.T, ns, service, ip string, port int, target string) {
	t.Helper()
	addr := corev1.EndpointAddress{IP: ip}
	if target != "" {
		addr.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: target}
	}
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: service},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{addr},
			Ports: []corev1.EndpointPort{{Name: "http", Port: int32(port)}}}}}
	// PUT creates or replaces: endpoints allow create-on-update, as upstream.
	if _, err := shared.Client.CoreV1().Endpoints(ns).Update(context.Background(), ep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func manualService(t *testing.T, ns, name string) {
	t.Helper()
	svc := webService(name, "")
	svc.Spec.Selector = nil // its endpoints are ours to write, not the controller's
	if _, err := shared.Client.CoreV1().Services(ns).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func podProxyGet(ctx context.Context, ns, pod, path string) ([]byte, error) {
	return body(shared.Client.CoreV1().RESTClient().Get().Namespace(ns).Resource("pods").Name(pod).
		SubResource("proxy").Suffix(path).Do(ctx))
}

func nodeProxyGet(ctx context.Context, node, path string) ([]byte, error) {
	return body(shared.Client.CoreV1().RESTClient().Get().Resource("nodes").Name(node).
		SubResource("proxy").Suffix(path).Do(ctx))
}

func TestProxiesRefuseLoopbackAndLinkLocal(t *testing.T) {
	ctx := context.Background()
	kubelet := startKubeletStandIn(t)
	host, port, _ := net.SplitHostPort(kubelet.Listener.Addr().String())
	portNum, _ := strconv.Atoi(port)
	registerNode(t, "loopback-node", host, portNum)
	if _, err := nodeProxyGet(ctx, "loopback-node", "/metrics"); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "address not allowed") {
		t.Fatalf("nodes/proxy to a loopback kubelet: %v", err)
	}

	ns := newNamespace(t)
	podWithIP(t, ns, "local", "127.0.0.1", portNum)
	podWithIP(t, ns, "metadata", "169.254.169.254", 80)
	for _, pod := range []string{"local", "metadata"} {
		if _, err := podProxyGet(ctx, ns, pod, "/"); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "address not allowed") {
			t.Errorf("pods/proxy to %s: %v", pod, err)
		}
	}
	if _, err := podProxyGet(ctx, ns, "a:b:c:d", "/"); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `invalid pod request "a:b:c:d"`) {
		t.Errorf("pods/proxy with a malformed name: %v", err)
	}

	// Even when a pod claims it, a loopback endpoint is not proxied.
	manualService(t, ns, "web")
	manualEndpoints(t, ns, "web", "127.0.0.1", portNum, "local")
	if _, err := serviceProxyGet(ctx, ns, "web:http", "/"); !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), `no endpoints available for service "web"`) {
		t.Fatalf("services/proxy to a loopback endpoint: %v", err)
	}
}

// TestProxiesReachNodesPodsAndServices serves a kubelet stand-in and a web
// backend in a network namespace of the test's own, on a global unicast
// address, and reaches them through each proxy subresource.
func TestProxiesReachNodesPodsAndServices(t *testing.T) {
	ctx := context.Background()
	netNS := netns.New(t)
	kubelet := startKubeletStandInOn(t, netNS.Listen(t, ":0"))
	_, port, _ := net.SplitHostPort(kubelet.Listener.Addr().String())
	kubeletPort, _ := strconv.Atoi(port)
	registerNode(t, "proxy-node", netNS.PeerIP.String(), kubeletPort)

	backendListener := netNS.Listen(t, ":0")
	backend := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "backend saw "+r.URL.Path)
	})}
	go func() { _ = backend.Serve(backendListener) }()
	t.Cleanup(func() { _ = backend.Close() })
	_, port, _ = net.SplitHostPort(backendListener.Addr().String())
	backendPort, _ := strconv.Atoi(port)

	// nodes/proxy: the kubelet over HTTPS, or another port of the node.
	if _, err := nodeProxyGet(ctx, "proxy-node", "/containerLogs/ns/pod/c"); err != nil {
		t.Fatalf("nodes/proxy: %v", err)
	}
	kubelet.mu.Lock()
	got := kubelet.paths
	kubelet.mu.Unlock()
	if len(got) != 1 || got[0] != "/containerLogs/ns/pod/c?" {
		t.Fatalf("kubelet saw %v", got)
	}
	if answer, err := nodeProxyGet(ctx, "proxy-node:"+port, "/on-node"); err != nil || string(answer) != "backend saw /on-node" {
		t.Fatalf("nodes/proxy to node:port: %v %q", err, answer)
	}

	// pods/proxy: the pod's first declared port, or the one asked for.
	ns := newNamespace(t)
	podWithIP(t, ns, "web", netNS.PeerIP.String(), backendPort)
	for _, name := range []string{"web", "web:" + port, "http:web:" + port} {
		if answer, err := podProxyGet(ctx, ns, name, "/page"); err != nil || string(answer) != "backend saw /page" {
			t.Fatalf("pods/proxy %s: %v %q", name, err, answer)
		}
	}

	// services/proxy: only endpoints that are pods with that IP.
	manualService(t, ns, "web")
	if _, err := serviceProxyGet(ctx, ns, "web:http", "/hello"); !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), `no endpoints available for service "web"`) {
		t.Fatalf("proxy to a service without endpoints: %v", err)
	}
	manualEndpoints(t, ns, "web", netNS.PeerIP.String(), backendPort, "")
	if _, err := serviceProxyGet(ctx, ns, "web:http", "/hello"); !apierrors.IsServiceUnavailable(err) {
		t.Fatalf("proxy to an endpoint that names no pod: %v", err)
	}
	manualEndpoints(t, ns, "web", netNS.PeerIP.String(), backendPort, "web")
	if answer, err := serviceProxyGet(ctx, ns, "web:http", "/hello"); err != nil || string(answer) != "backend saw /hello" {
		t.Fatalf("services/proxy: %v %q", err, answer)
	}
}
