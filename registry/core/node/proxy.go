package node

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/registry/rest"
)

// KubeletLocator finds a node's kubelet: its host and port.
type KubeletLocator func(ctx context.Context, node string) (host string, port int, err error)

// ProxyREST is nodes/proxy: requests are passed to the node's kubelet,
// as `kubectl get --raw /api/v1/nodes/<node>/proxy/metrics` expects.
type ProxyREST struct {
	Locate    KubeletLocator
	Transport http.RoundTripper
}

var _ rest.Connecter = &ProxyREST{}

func (r *ProxyREST) New() runtime.Object { return &corev1.Node{} }
func (r *ProxyREST) Destroy()            {}

func (r *ProxyREST) ConnectMethods() []string {
	return []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
}

func (r *ProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.NodeProxyOptions{}, true, "path"
}

func (r *ProxyREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	host, port, err := r.Locate(ctx, name)
	if err != nil {
		return nil, err
	}
	path := opts.(*corev1.NodeProxyOptions).Path
	location := &url.URL{Scheme: "https", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: "/" + strings.TrimPrefix(path, "/")}
	return proxy.NewUpgradeAwareHandler(location, r.Transport, false, false, proxy.NewErrorResponder(responder)), nil
}
