package dns

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

// Options are the DNS server's flags.
type Options struct {
	Kubeconfig    string
	BindAddress   string
	Port          int
	ClusterDomain string
	ResolvConf    string
	TTL           int
	// ClusterIP, when set, is the kube-dns Service's address: the server
	// keeps kube-system/kube-dns (without a selector) and its Endpoints,
	// which name BindAddress, so that pods reach it through their proxy.
	ClusterIP string
}

// DefaultOptions: the cluster.local zone on port 53, the host's resolvers
// upstream, CoreDNS's default TTL.
func DefaultOptions() Options {
	return Options{BindAddress: "127.0.0.1", Port: 53, ClusterDomain: "cluster.local", ResolvConf: "/etc/resolv.conf", TTL: 5}
}

// AddFlags registers the options.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file to watch Services and EndpointSlices with.")
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "The IP address to answer on (UDP and TCP).")
	fs.IntVar(&o.Port, "port", o.Port, "The port to answer on.")
	fs.StringVar(&o.ClusterDomain, "cluster-domain", o.ClusterDomain, "The cluster's domain, answered from the Services and EndpointSlices.")
	fs.StringVar(&o.ResolvConf, "resolv-conf", o.ResolvConf, "The resolv.conf whose nameservers answer every name outside the cluster domain.")
	fs.IntVar(&o.TTL, "ttl", o.TTL, "The TTL of the answers for the cluster domain, in seconds.")
	fs.StringVar(&o.ClusterIP, "cluster-ip", o.ClusterIP, "If set, keep the kube-system/kube-dns Service at this address with this server as its endpoint (kybernetes up: the tenth address of the service range).")
}

// NewServer is a server for zone over the factory's Service and
// EndpointSlice informers; the factory must be started afterwards.
func NewServer(factory informers.SharedInformerFactory, zone string, ttl int, upstreams []string) *Server {
	services := factory.Core().V1().Services()
	slices := factory.Discovery().V1().EndpointSlices()
	services.Informer()
	slices.Informer()
	udp, tcp := newClients()
	return &Server{
		records:   &records{zone: strings.ToLower(dns.Fqdn(zone)), ttl: uint32(ttl), services: services.Lister(), slices: slices.Lister()},
		Upstreams: upstreams, client: udp, tcp: tcp,
	}
}

// Run serves until ctx ends.
func Run(ctx context.Context, o Options) error {
	if net.ParseIP(o.BindAddress) == nil {
		return fmt.Errorf("--bind-address %q: not an IP address", o.BindAddress)
	}
	upstreams, err := upstreamsFrom(o.ResolvConf)
	if err != nil {
		return err
	}
	config, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return err
	}
	config.UserAgent = "kybernetes-dns"
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	server := NewServer(factory, o.ClusterDomain, o.TTL, upstreams)
	// Not answering before the caches are full: an empty cache would say
	// NXDOMAIN for names that exist.
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("the %v cache did not sync", typ)
		}
	}
	address := net.JoinHostPort(o.BindAddress, strconv.Itoa(o.Port))
	udp, err := net.ListenPacket("udp", address)
	if err != nil {
		return err
	}
	tcp, err := net.Listen("tcp", address)
	if err != nil {
		udp.Close()
		return err
	}
	if o.ClusterIP != "" {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			if err := ensureService(ctx, client, o.ClusterIP, o.BindAddress, int32(o.Port)); err != nil {
				klog.ErrorS(err, "keeping the kube-dns Service")
			}
		}, time.Minute)
	}
	klog.InfoS("answering DNS", "address", address, "zone", o.ClusterDomain, "upstreams", upstreams)
	return server.ServeOn(ctx, udp, tcp)
}

// The kube-dns Service's name and labels, as the DNS add-on has them.
const (
	ServiceName      = "kube-dns"
	ServiceNamespace = metav1.NamespaceSystem
)

// ensureService keeps kube-system/kube-dns at clusterIP, without a
// selector, and an EndpointSlice of its own that names this server.
func ensureService(ctx context.Context, client kubernetes.Interface, clusterIP, address string, port int32) error {
	labels := map[string]string{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "kybernetes-dns"}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: ServiceName, Namespace: ServiceNamespace, Labels: labels},
		Spec: corev1.ServiceSpec{ClusterIP: clusterIP, Ports: []corev1.ServicePort{
			{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(port)},
			{Name: "dns-tcp", Protocol: corev1.ProtocolTCP, Port: 53, TargetPort: intstr.FromInt32(port)},
		}},
	}
	existing, err := client.CoreV1().Services(ServiceNamespace).Get(ctx, ServiceName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := client.CoreV1().Services(ServiceNamespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	case err != nil:
		return err
	case existing.Spec.ClusterIP != clusterIP:
		return fmt.Errorf("kube-system/kube-dns has the address %s, not %s: delete it to have it made again", existing.Spec.ClusterIP, clusterIP)
	}
	ready := true
	udp, tcp, dnsName, tcpName := corev1.ProtocolUDP, corev1.ProtocolTCP, "dns", "dns-tcp"
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: sliceName, Namespace: ServiceNamespace, Labels: map[string]string{
			discoveryv1.LabelServiceName: ServiceName, discoveryv1.LabelManagedBy: "kybernetes-dns"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{address}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		Ports: []discoveryv1.EndpointPort{{Name: &dnsName, Protocol: &udp, Port: &port},
			{Name: &tcpName, Protocol: &tcp, Port: &port}},
	}
	slices := client.DiscoveryV1().EndpointSlices(ServiceNamespace)
	current, err := slices.Get(ctx, sliceName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = slices.Create(ctx, slice, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(current.Endpoints, slice.Endpoints) && equality.Semantic.DeepEqual(current.Ports, slice.Ports) {
		return nil
	}
	current.Endpoints, current.Ports = slice.Endpoints, slice.Ports
	_, err = slices.Update(ctx, current, metav1.UpdateOptions{})
	return err
}

// sliceName is the EndpointSlice of kube-dns that this server keeps.
const sliceName = "kube-dns-kybernetes"
