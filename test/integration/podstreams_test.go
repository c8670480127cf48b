package integration

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// kubeletStandIn answers the kubelet's /containerLogs until kybernetes has a
// kubelet of its own; it records who asked for what.
type kubeletStandIn struct {
	*httptest.Server
	mu       sync.Mutex
	paths    []string
	clientCN string
}

func startKubeletStandIn(t *testing.T) *kubeletStandIn {
	return startKubeletStandInOn(t, nil)
}

// startKubeletStandInOn serves on l, or on loopback when l is nil.
func startKubeletStandInOn(t *testing.T, l net.Listener) *kubeletStandIn {
	k := &kubeletStandIn{}
	k.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.paths = append(k.paths, r.URL.Path+"?"+r.URL.RawQuery)
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			k.clientCN = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		k.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/containerLogs/") {
			_, _ = io.WriteString(w, "line one\nline two\n")
			return
		}
		http.NotFound(w, r)
	}))
	k.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	if l != nil {
		k.Listener = l
	}
	k.StartTLS()
	t.Cleanup(k.Close)
	return k
}

func registerNode(t *testing.T, name, address string, port int) {
	t.Helper()
	ctx := context.Background()
	_, err := shared.Client.CoreV1().Nodes().Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: address}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(port)}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shared.Client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

func bindPod(t *testing.T, ns, pod, node string) {
	t.Helper()
	err := shared.Client.CoreV1().Pods(ns).Bind(context.Background(), &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: pod},
		Target: corev1.ObjectReference{Kind: "Node", Name: node}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPodLogsComeFromTheKubelet(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	kubelet := startKubeletStandIn(t)
	host, port, _ := net.SplitHostPort(kubelet.Listener.Addr().String())
	portNum, _ := strconv.Atoi(port)
	registerNode(t, "logs-node", host, portNum)

	pods := shared.Client.CoreV1().Pods(ns)
	if _, err := pods.Create(ctx, simplePod("chatty"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Not on a node yet: upstream's error.
	_, err := body(pods.GetLogs("chatty", &corev1.PodLogOptions{Container: "web"}).Do(ctx))
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "does not have a host assigned") {
		t.Fatalf("logs of an unscheduled pod: %v", err)
	}
	bindPod(t, ns, "chatty", "logs-node")

	// Two containers: the container must be named.
	_, err = body(pods.GetLogs("chatty", &corev1.PodLogOptions{}).Do(ctx))
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "a container name must be specified for pod chatty, choose one of: [web sidecar]") {
		t.Fatalf("logs without a container: %v", err)
	}
	tail := int64(5)
	logs, err := body(pods.GetLogs("chatty", &corev1.PodLogOptions{Container: "web", TailLines: &tail, Timestamps: true}).Do(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if string(logs) != "line one\nline two\n" {
		t.Fatalf("log body %q", logs)
	}
	kubelet.mu.Lock()
	defer kubelet.mu.Unlock()
	want := "/containerLogs/" + ns + "/chatty/web?tailLines=5&timestamps=true"
	if len(kubelet.paths) != 1 || kubelet.paths[0] != want {
		t.Fatalf("kubelet was asked %v, want %s", kubelet.paths, want)
	}
	if kubelet.clientCN != "kube-apiserver-kubelet-client" {
		t.Fatalf("the API server presented %q to the kubelet", kubelet.clientCN)
	}
}

func TestExecErrorsAreClear(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pods := shared.Client.CoreV1().Pods(ns)
	if _, err := pods.Create(ctx, simplePod("quiet"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	post := func() error {
		return shared.Client.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name("quiet").SubResource("exec").
			Param("container", "web").Param("command", "ls").Param("stdout", "true").Do(ctx).Error()
	}
	if err := post(); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "does not have a host assigned") {
		t.Fatalf("exec in an unscheduled pod: %v", err)
	}
	// A node whose kubelet never reported an endpoint.
	if _, err := shared.Client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "silent-node"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = shared.Client.CoreV1().Nodes().Delete(context.Background(), "silent-node", metav1.DeleteOptions{})
	})
	bindPod(t, ns, "quiet", "silent-node")
	if err := post(); !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), "has no kubelet endpoint") {
		t.Fatalf("exec on a node without a kubelet endpoint: %v", err)
	}
}

// serviceProxyGet is ProxyGet with the error decoding of Do, so that a
// failure reads as the Status the server sent.
func serviceProxyGet(ctx context.Context, ns, service, path string) ([]byte, error) {
	return body(shared.Client.CoreV1().RESTClient().Get().Namespace(ns).Resource("services").Name(service).
		SubResource("proxy").Suffix(path).Do(ctx))
}

// body returns a result's body, or its error with the server's Status
// decoded (Raw alone would give a generic error).
func body(result rest.Result) ([]byte, error) {
	if err := result.Error(); err != nil {
		return nil, err
	}
	return result.Raw()
}
