package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kybernetes/kybernetes/registry/proxyaddr"
)

// EndpointsGetter reads a service's endpoints.
type EndpointsGetter func(ctx context.Context, name string) (*corev1.Endpoints, error)

// PodGetter reads a pod of the request's namespace.
type PodGetter func(ctx context.Context, name string) (*corev1.Pod, error)

// ProxyREST is services/proxy: a request for "[scheme:]name[:port]" goes to
// one ready endpoint of the service, as upstream picks it.
type ProxyREST struct {
	Services  *REST
	Endpoints EndpointsGetter
	Pods      PodGetter
	Transport http.RoundTripper
}

var _ rest.Connecter = &ProxyREST{}

func (r *ProxyREST) New() runtime.Object { return &corev1.Service{} }
func (r *ProxyREST) Destroy()            {}

func (r *ProxyREST) ConnectMethods() []string {
	return []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
}

func (r *ProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.ServiceProxyOptions{}, true, "path"
}

func (r *ProxyREST) Connect(ctx context.Context, id string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	location, err := r.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	location.Path = "/" + strings.TrimPrefix(opts.(*corev1.ServiceProxyOptions).Path, "/")
	return proxy.NewUpgradeAwareHandler(location, r.Transport, false, false, proxy.NewErrorResponder(responder)), nil
}

// resolve turns "[scheme:]name[:port]" into the URL of a ready endpoint.
// As upstream, only an endpoint that is a pod of this namespace with that
// IP is a candidate, so hand-written endpoints cannot aim the API server at
// arbitrary addresses; loopback and link-local ones are refused too.
func (r *ProxyREST) resolve(ctx context.Context, id string) (*url.URL, error) {
	scheme, name, portName, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid service request %q", id))
	}
	if scheme == "" {
		scheme = "http"
	}
	obj, err := r.Services.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	svc := obj.(*corev1.Service)
	var servicePort *corev1.ServicePort
	for i, p := range svc.Spec.Ports {
		if portName == "" || p.Name == portName || strconv.Itoa(int(p.Port)) == portName {
			servicePort = &svc.Spec.Ports[i]
			break
		}
	}
	if servicePort == nil {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no service port %q found for service %q", portName, name))
	}
	endpoints, err := r.Endpoints(ctx, name)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", name))
		}
		return nil, err
	}
	var candidates []string
	for _, subset := range endpoints.Subsets {
		for _, port := range subset.Ports {
			if port.Name != servicePort.Name {
				continue
			}
			for _, addr := range subset.Addresses {
				if r.proxyable(ctx, svc.Namespace, addr) {
					candidates = append(candidates, net.JoinHostPort(addr.IP, strconv.Itoa(int(port.Port))))
				}
			}
		}
	}
	if len(candidates) == 0 {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", name))
	}
	return &url.URL{Scheme: scheme, Host: candidates[rand.IntN(len(candidates))]}, nil
}

// proxyable says whether addr is a pod of namespace that has addr's IP, on
// an address the proxy may reach.
func (r *ProxyREST) proxyable(ctx context.Context, namespace string, addr corev1.EndpointAddress) bool {
	ref := addr.TargetRef
	if ref == nil || ref.Kind != "Pod" || ref.Namespace != namespace || proxyaddr.CheckIP(addr.IP) != nil {
		return false
	}
	pod, err := r.Pods(ctx, ref.Name)
	if err != nil {
		return false
	}
	for _, ip := range pod.Status.PodIPs {
		if ip.IP == addr.IP {
			return true
		}
	}
	return pod.Status.PodIP == addr.IP
}
