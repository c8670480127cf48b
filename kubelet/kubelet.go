// Package kubelet is the node agent: it registers its Node, keeps the
// node's Lease and status, runs the pods bound to it with runc and CNI,
// and serves their logs to the API server. It reaches the API only through
// client-go.
package kubelet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/kubelet/images"
	"github.com/kybernetes/kybernetes/kubelet/network"
	"github.com/kybernetes/kybernetes/kubelet/node"
	"github.com/kybernetes/kybernetes/kubelet/pods"
	"github.com/kybernetes/kybernetes/kubelet/runtime"
	"github.com/kybernetes/kybernetes/kubelet/server"
	"github.com/kybernetes/kybernetes/kubelet/stats"
)

// Options are the kubelet's flags, with upstream's names.
type Options struct {
	Kubeconfig         string
	HostnameOverride   string
	NodeIP             string
	RootDir            string
	Port               int
	Address            string
	ClusterDNS         []string
	ClusterDomain      string
	CNIBinDirs         []string
	Runc               string
	RegistryConfig     string
	InsecureRegistries []string
}

// DefaultOptions are upstream's defaults where upstream has the flag.
func DefaultOptions() Options {
	return Options{RootDir: "/var/lib/kybernetes/kubelet", Port: 10250, Address: "0.0.0.0",
		ClusterDomain: "cluster.local", CNIBinDirs: network.DefaultBinDirs, Runc: "runc"}
}

// AddFlags registers the options.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file with the kubelet's credentials (the server writes <data-dir>/kubelet.kubeconfig).")
	fs.StringVar(&o.HostnameOverride, "hostname-override", o.HostnameOverride, "If non-empty, will use this string as identification instead of the actual hostname.")
	fs.StringVar(&o.NodeIP, "node-ip", o.NodeIP, "IP address of the node. If unset, the address of the interface of the default route.")
	fs.StringVar(&o.RootDir, "root-dir", o.RootDir, "Directory path for managing kubelet files (images, pod directories, logs).")
	fs.IntVar(&o.Port, "port", o.Port, "The port for the kubelet to serve on.")
	fs.StringVar(&o.Address, "address", o.Address, "The IP address for the kubelet to serve on.")
	fs.StringSliceVar(&o.ClusterDNS, "cluster-dns", o.ClusterDNS, "Comma-separated list of DNS server IP addresses for pods with dnsPolicy ClusterFirst.")
	fs.StringVar(&o.ClusterDomain, "cluster-domain", o.ClusterDomain, "Domain for this cluster; pods search it in addition to the host's search domains.")
	fs.StringSliceVar(&o.CNIBinDirs, "cni-bin-dir", o.CNIBinDirs, "Directories to look for the CNI plugins in.")
	fs.StringVar(&o.Runc, "runc", o.Runc, "The runc binary.")
	fs.StringVar(&o.RegistryConfig, "registry-config", o.RegistryConfig, "A docker config.json whose credentials are used for registries the pod's imagePullSecrets do not cover.")
	fs.StringSliceVar(&o.InsecureRegistries, "insecure-registry", o.InsecureRegistries, "Registries (host:port) to pull from over plain HTTP; loopback and private-range ones always are.")
}

// Run runs the kubelet until ctx ends.
func Run(ctx context.Context, o Options) error {
	if os.Geteuid() != 0 {
		return errors.New("the kubelet runs containers and pod networks: it must run as root")
	}
	config, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return err
	}
	config.UserAgent = "kybernetes-kubelet"
	// Upstream's kubeAPIQPS and kubeAPIBurst: client-go's default of 5
	// requests a second would make a node starting 30 pods wait on itself.
	config.QPS, config.Burst = 50, 100
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	nodeName := o.HostnameOverride
	if nodeName == "" {
		if nodeName, err = os.Hostname(); err != nil {
			return err
		}
	}
	nodeName = strings.ToLower(nodeName)
	nodeIP := o.NodeIP
	if nodeIP == "" {
		if nodeIP, err = defaultRouteIP(); err != nil {
			return fmt.Errorf("finding the node's address (set --node-ip): %w", err)
		}
	}
	if err := os.MkdirAll(o.RootDir, 0o700); err != nil {
		return err
	}
	store, err := images.Open(o.RootDir)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rt := &runtime.Runc{Binary: o.Runc, Root: filepath.Join(o.RootDir, "runc"), Shim: []string{self, "container-shim"}}
	cni := network.New(o.CNIBinDirs, filepath.Join(o.RootDir, "network"), "kyb0")

	listener, err := net.Listen("tcp", net.JoinHostPort(o.Address, strconv.Itoa(o.Port)))
	if err != nil {
		return fmt.Errorf("the kubelet's server: %w", err)
	}
	defer listener.Close()
	port := listener.Addr().(*net.TCPAddr).Port

	var podCIDR atomic.Value
	podCIDR.Store("")
	n := &node.Node{Client: client, Name: nodeName, Address: nodeIP, Port: port, RootDir: o.RootDir,
		RuntimeVersion: node.RuncVersion(o.Runc),
		Images: func() []corev1.ContainerImage {
			list, err := store.List()
			if err != nil {
				return nil
			}
			out := make([]corev1.ContainerImage, 0, len(list))
			for _, img := range list {
				out = append(out, corev1.ContainerImage{Names: append(append([]string(nil), img.Names...), img.ID), SizeBytes: img.Size})
			}
			return out
		},
		Health: func() string {
			if err := rt.Check(); err != nil {
				return "container runtime is down: " + err.Error()
			}
			if err := cni.Check(); err != nil {
				return "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:" + err.Error()
			}
			if podCIDR.Load().(string) == "" {
				return "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:the node has no pod CIDR yet"
			}
			return ""
		}}
	registered, err := registerUntil(ctx, n)
	if err != nil {
		return err
	}
	podCIDR.Store(registered.Spec.PodCIDR)

	// The node's own object: its pod CIDR comes from the node IPAM
	// controller after registration.
	nodeFactory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
		lo.FieldSelector = fields.OneTermEqualSelector("metadata.name", nodeName).String()
	}))
	_, _ = nodeFactory.Core().V1().Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) { podCIDR.Store(obj.(*corev1.Node).Spec.PodCIDR) },
		UpdateFunc: func(_, obj interface{}) {
			cidr := obj.(*corev1.Node).Spec.PodCIDR
			if podCIDR.Swap(cidr) != cidr {
				n.Kick() // Ready depends on it: say so now, not in 10 s
			}
		},
	})
	nodeFactory.Start(ctx.Done())
	defer nodeFactory.Shutdown()
	go n.Run(ctx)

	broadcaster := record.NewBroadcaster()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: nodeName})

	puller := &images.Puller{Store: store, Insecure: o.InsecureRegistries, Config: o.RegistryConfig}
	manager := &pods.Manager{Client: client, NodeName: nodeName, NodeIP: nodeIP, RootDir: o.RootDir, Images: store, Puller: puller,
		Network: cni, Runtime: rt, Recorder: recorder, ClusterDNS: o.ClusterDNS, ClusterDomain: o.ClusterDomain,
		PodCIDR: func() string { return podCIDR.Load().(string) }}
	go manager.Run(ctx)

	podFactory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
		lo.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", nodeName).String()
	}))
	podLister := podFactory.Core().V1().Pods().Lister()
	podFactory.Start(ctx.Done())
	defer podFactory.Shutdown()
	srv := &server.Server{
		Pods:        func() ([]*corev1.Pod, error) { return podLister.List(labels.Everything()) },
		Pod:         func(ns, name string) (*corev1.Pod, error) { return podLister.Pods(ns).Get(name) },
		LogDir:      func(p *corev1.Pod) string { return pods.LogDir(o.RootDir, p) },
		Healthy:     rt.Check,
		Exec:        manager.Exec,
		PortForward: manager.PortForward,
		Stats: &server.StatsSource{NodeName: nodeName, StartedAt: time.Now(), Reader: stats.NewReader(), Running: func() []server.Container {
			var out []server.Container
			for _, c := range manager.Running() {
				out = append(out, server.Container{Namespace: c.Namespace, Pod: c.Pod, Name: c.Container, PodUID: string(c.PodUID),
					StartedAt: c.StartedAt, PodStartedAt: c.PodStartedAt,
					Cgroup: runtime.PodCgroup(string(c.PodUID), c.Container), PodCgroup: filepath.Dir(runtime.PodCgroup(string(c.PodUID), c.Container))})
			}
			return out
		}},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe(listener, nodeIP, config.CAData) }()
	klog.InfoS("kubelet running", "node", nodeName, "address", nodeIP, "port", port)
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return fmt.Errorf("the kubelet's server stopped: %w", err)
	}
}

// registerUntil registers the node, retrying while the API server is not
// reachable yet.
func registerUntil(ctx context.Context, n *node.Node) (*corev1.Node, error) {
	for {
		registered, err := n.Register(ctx)
		if err == nil {
			return registered, nil
		}
		klog.ErrorS(err, "registering the node; retrying")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// defaultRouteIP is the source address the machine uses to reach the
// outside: the address of its default route's interface.
func defaultRouteIP() (string, error) {
	data, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 1 && f[1] == "00000000" {
			iface, err := net.InterfaceByName(f[0])
			if err != nil {
				return "", err
			}
			addrs, err := iface.Addrs()
			if err != nil {
				return "", err
			}
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
					return ipn.IP.String(), nil
				}
			}
		}
	}
	return "", errors.New("no default route")
}
