package pod

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kybernetes/kybernetes/registry/proxyaddr"
)

// ProxyREST is pods/proxy: a request for "[scheme:]name[:port]" goes to
// the pod's primary IP, on the given port or else the first container port
// the pod declares, as `kubectl proxy` users reach a pod's web page.
type ProxyREST struct {
	Store     *genericregistry.Store
	Transport http.RoundTripper
}

var _ rest.Connecter = &ProxyREST{}

func (r *ProxyREST) New() runtime.Object { return &corev1.PodProxyOptions{} }
func (r *ProxyREST) Destroy()            {}

func (r *ProxyREST) ConnectMethods() []string {
	return []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
}

func (r *ProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodProxyOptions{}, true, "path"
}

func (r *ProxyREST) Connect(ctx context.Context, id string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	location, err := r.location(ctx, id)
	if err != nil {
		return nil, err
	}
	location.Path = utilnet.JoinPreservingTrailingSlash(location.Path, opts.(*corev1.PodProxyOptions).Path)
	return proxy.NewUpgradeAwareHandler(location, r.Transport, true, false, proxy.NewErrorResponder(responder)), nil
}

func (r *ProxyREST) location(ctx context.Context, id string) (*url.URL, error) {
	scheme, name, port, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid pod request %q", id))
	}
	obj, err := r.Store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pod := obj.(*corev1.Pod)
	if port == "" {
		for _, c := range pod.Spec.Containers {
			if len(c.Ports) > 0 {
				port = strconv.Itoa(int(c.Ports[0].ContainerPort))
				break
			}
		}
	}
	ip := pod.Status.PodIP
	if len(pod.Status.PodIPs) > 0 {
		ip = pod.Status.PodIPs[0].IP
	}
	if err := proxyaddr.CheckIP(ip); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if scheme == "" {
		scheme = "http"
	}
	host := ip
	switch {
	case port != "":
		host = net.JoinHostPort(ip, port)
	case net.ParseIP(ip).To4() == nil:
		host = "[" + ip + "]"
	}
	return &url.URL{Scheme: scheme, Host: host}, nil
}
