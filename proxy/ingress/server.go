package ingress

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
)

// The built-in class, as `kubectl get ingressclass` shows it.
const (
	ClassName  = "kybernetes"
	Controller = "kybernetes.io/ingress"
)

// Options are the ingress controller's flags.
type Options struct {
	Kubeconfig  string
	BindAddress string
	HTTPPort    int
	HTTPSPort   int
	// PublishAddress is the address written into the Ingresses' status
	// (default: BindAddress).
	PublishAddress string
}

// DefaultOptions serve on 80 and 443 of loopback.
func DefaultOptions() Options {
	return Options{BindAddress: "127.0.0.1", HTTPPort: 80, HTTPSPort: 443}
}

// AddFlags registers the options.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file to watch Ingresses, Services, EndpointSlices and Secrets with.")
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "The IP address to serve HTTP and HTTPS on.")
	fs.IntVar(&o.HTTPPort, "http-port", o.HTTPPort, "The port for HTTP.")
	fs.IntVar(&o.HTTPSPort, "https-port", o.HTTPSPort, "The port for HTTPS.")
	fs.StringVar(&o.PublishAddress, "publish-address", o.PublishAddress, "The address put in the Ingresses' status.loadBalancer (default: --bind-address).")
}

// controller serves the class's Ingresses.
type controller struct {
	client    kubernetes.Interface
	builder   *builder
	current   atomic.Pointer[table]
	dirty     chan struct{}
	publish   string
	fallback  *tls.Certificate
	recorder  record.EventRecorder
	ingLister func() ([]*networkingv1.Ingress, error)

	// skipped remembers the warnings already given, so each is given once
	// per change instead of at every rebuild.
	mu      sync.Mutex
	skipped map[string]bool
}

// Run serves until ctx ends.
func Run(ctx context.Context, o Options) error {
	if net.ParseIP(o.BindAddress) == nil {
		return fmt.Errorf("--bind-address %q: not an IP address", o.BindAddress)
	}
	if o.PublishAddress == "" {
		o.PublishAddress = o.BindAddress
	}
	config, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return err
	}
	config.UserAgent = "kybernetes-ingress"
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	if err := ensureClass(ctx, client); err != nil {
		return fmt.Errorf("the %s IngressClass: %w", ClassName, err)
	}
	httpListener, err := net.Listen("tcp", net.JoinHostPort(o.BindAddress, strconv.Itoa(o.HTTPPort)))
	if err != nil {
		return err
	}
	httpsListener, err := net.Listen("tcp", net.JoinHostPort(o.BindAddress, strconv.Itoa(o.HTTPSPort)))
	if err != nil {
		httpListener.Close()
		return err
	}
	c, factory, err := newController(client, o.PublishAddress)
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("the %v cache did not sync", typ)
		}
	}
	c.current.Store(c.builder.build())
	go c.rebuildLoop(ctx)
	klog.InfoS("serving ingresses", "class", ClassName, "http", httpListener.Addr(), "https", httpsListener.Addr())
	return c.serve(ctx, httpListener, httpsListener)
}

// newController wires the informers; the factory is started by the caller.
func newController(client kubernetes.Interface, publish string) (*controller, informers.SharedInformerFactory, error) {
	factory := informers.NewSharedInformerFactory(client, 0)
	ingresses := factory.Networking().V1().Ingresses()
	classes := factory.Networking().V1().IngressClasses()
	broadcaster := record.NewBroadcaster()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	fallback, err := selfSigned()
	if err != nil {
		return nil, nil, err
	}
	c := &controller{client: client, dirty: make(chan struct{}, 1), publish: publish, fallback: fallback,
		recorder: broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kybernetes-ingress"}), skipped: map[string]bool{}}
	c.ingLister = func() ([]*networkingv1.Ingress, error) { return ingresses.Lister().List(labels.Everything()) }
	c.builder = &builder{
		class: ClassName,
		isDefault: func() bool {
			class, err := classes.Lister().Get(ClassName)
			return err == nil && class.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true"
		},
		ingresses:  c.ingLister,
		services:   factory.Core().V1().Services().Lister(),
		slices:     factory.Discovery().V1().EndpointSlices().Lister(),
		secrets:    factory.Core().V1().Secrets().Lister(),
		recordSkip: c.warnOnce,
	}
	changed := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.markDirty() },
		UpdateFunc: func(any, any) { c.markDirty() },
		DeleteFunc: func(any) { c.markDirty() },
	}
	for _, inf := range []cache.SharedIndexInformer{ingresses.Informer(), classes.Informer(), factory.Core().V1().Services().Informer(),
		factory.Discovery().V1().EndpointSlices().Informer(), factory.Core().V1().Secrets().Informer()} {
		if _, err := inf.AddEventHandler(changed); err != nil {
			return nil, nil, err
		}
	}
	return c, factory, nil
}

func (c *controller) markDirty() {
	select {
	case c.dirty <- struct{}{}:
	default:
	}
}

// rebuildLoop rebuilds the table after changes (at most every 100 ms) and
// writes the Ingresses' status.
func (c *controller) rebuildLoop(ctx context.Context) {
	c.updateStatus(ctx)
	resync := time.NewTicker(time.Minute)
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.dirty:
		case <-resync.C:
		}
		c.current.Store(c.builder.build())
		c.updateStatus(ctx)
		time.Sleep(100 * time.Millisecond)
	}
}

// updateStatus puts the publish address in the status of every Ingress the
// controller serves.
func (c *controller) updateStatus(ctx context.Context) {
	list, err := c.ingLister()
	if err != nil {
		return
	}
	want := networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: c.publish}}}
	for _, ing := range list {
		if !c.builder.ours(ing) || equality.Semantic.DeepEqual(ing.Status.LoadBalancer, want) {
			continue
		}
		updated := ing.DeepCopy()
		updated.Status.LoadBalancer = want
		if _, err := c.client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			klog.ErrorS(err, "updating the status", "ingress", ing.Namespace+"/"+ing.Name)
		}
	}
}

func (c *controller) warnOnce(ing *networkingv1.Ingress, reason, message string) {
	key := ing.Namespace + "/" + ing.Name + "/" + ing.ResourceVersion + "/" + message
	c.mu.Lock()
	seen := c.skipped[key]
	c.skipped[key] = true
	c.mu.Unlock()
	if !seen {
		c.recorder.Event(ing, corev1.EventTypeWarning, reason, message)
	}
}

// serve runs HTTP and HTTPS until ctx ends, then lets the requests in
// flight finish (10 s at most).
func (c *controller) serve(ctx context.Context, httpListener, httpsListener net.Listener) error {
	handler := http.HandlerFunc(c.proxy)
	plain := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second}
	secure := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second, TLSConfig: &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if cert := c.current.Load().certificate(hello.ServerName); cert != nil {
				return cert, nil
			}
			return c.fallback, nil
		},
	}}
	errc := make(chan error, 2)
	go func() { errc <- plain.Serve(httpListener) }()
	go func() { errc <- secure.ServeTLS(httpsListener, "", "") }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = plain.Shutdown(shutdown)
	_ = secure.Shutdown(shutdown)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// proxy sends the request to an endpoint of the matching backend: 404
// when nothing matches, 503 when the backend has no ready endpoint.
func (c *controller) proxy(w http.ResponseWriter, r *http.Request) {
	b := c.current.Load().match(r.Host, r.URL.Path)
	if b == nil {
		http.Error(w, "404 page not found: no Ingress rule for "+r.Host+r.URL.Path, http.StatusNotFound)
		return
	}
	endpoint, ok := b.pick()
	if !ok {
		http.Error(w, "503 Service Unavailable: no ready endpoints of "+b.name, http.StatusServiceUnavailable)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", endpoint
			pr.Out.Host = r.Host
			pr.SetXForwarded()
			pr.Out.Header.Set("X-Forwarded-Proto", scheme)
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, "502 Bad Gateway: "+b.name+" at "+endpoint+": "+err.Error(), http.StatusBadGateway)
		},
	}
	rp.ServeHTTP(w, r)
}

// ensureClass makes the kybernetes IngressClass, the default class, unless
// it exists (a user's changes to it stay).
func ensureClass(ctx context.Context, client kubernetes.Interface) error {
	_, err := client.NetworkingV1().IngressClasses().Get(ctx, ClassName, metav1.GetOptions{})
	if err == nil || !apierrors.IsNotFound(err) {
		return err
	}
	class := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: ClassName, Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}},
		Spec:       networkingv1.IngressClassSpec{Controller: Controller},
	}
	_, err = client.NetworkingV1().IngressClasses().Create(ctx, class, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// selfSigned is the certificate for server names no Ingress has one for,
// as ingress-nginx's "fake certificate".
func selfSigned() (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Kybernetes Ingress Controller Fake Certificate"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
