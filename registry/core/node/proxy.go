package node

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kybernetes/kybernetes/registry/proxyaddr"
)

// KubeletLocator finds a node's kubelet: its host and port.
type KubeletLocator func(ctx context.Context, node string) (host string, port int, err error)

// ProxyREST is nodes/proxy: requests are passed to the node's kubelet,
// as `kubectl get --raw /api/v1/nodes/<node>/proxy/metrics` expects.
type ProxyREST struct {
	Locate KubeletLocator
	// Transport reaches the kubelet; ProxyTransport other ports of the node.
	Transport      http.RoundTripper
	ProxyTransport http.RoundTripper
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
	scheme, node, portReq, valid := utilnet.SplitSchemeNamePort(name)
	if !valid {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid node request %q", name))
	}
	host, port, err := r.Locate(ctx, node)
	if err != nil {
		return nil, err
	}
	if err := proxyaddr.CheckHost(ctx, host); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	path := "/" + strings.TrimPrefix(opts.(*corev1.NodeProxyOptions).Path, "/")
	// The kubelet's own port is reached over HTTPS with the kubelet client
	// certificate; another port on the node ("node:port") is a plain
	// service on the node, reached as the service proxy reaches endpoints.
	if portReq == "" || portReq == strconv.Itoa(port) {
		location := &url.URL{Scheme: "https", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: path}
		return proxy.NewUpgradeAwareHandler(location, r.Transport, false, false, proxy.NewErrorResponder(responder)), nil
	}
	if scheme == "" {
		scheme = "http"
	}
	location := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, portReq), Path: path}
	return proxy.NewUpgradeAwareHandler(location, r.ProxyTransport, false, false, proxy.NewErrorResponder(responder)), nil
}
