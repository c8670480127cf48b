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
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/apis/version"
	"github.com/kybernetes/kybernetes/kubelet/bootstrap"
	"github.com/kybernetes/kybernetes/kubelet/images"
	"github.com/kybernetes/kybernetes/kubelet/network"
	"github.com/kybernetes/kybernetes/kubelet/node"
	"github.com/kybernetes/kybernetes/kubelet/pods"
	"github.com/kybernetes/kybernetes/kubelet/runtime"
	"github.com/kybernetes/kybernetes/kubelet/server"
	"github.com/kybernetes/kybernetes/kubelet/static"
	"github.com/kybernetes/kybernetes/kubelet/stats"
	"github.com/kybernetes/kybernetes/kubelet/token"
)

// Options are the kubelet's flags, with upstream's names.
type Options struct {
	Kubeconfig string
	// BootstrapKubeconfig, when set, is used to get the node a client
	// certificate (kubelet TLS bootstrap) if Kubeconfig has no valid one;
	// CertDir keeps it (default <root-dir>/pki).
	BootstrapKubeconfig string
	CertDir             string
	HostnameOverride    string
	NodeIP              string
	RootDir             string
	Port                int
	Address             string
	ClusterDNS          []string
	ClusterDomain       string
	CNIBinDirs          []string
	Runc                string
	RegistryConfig      string
	InsecureRegistries  []string
	// Runtime is runc, or fake for hollow nodes.
	Runtime string
	// Nodes is how many (hollow) nodes this process runs, named
	// NodeNamePrefix and their index.
	Nodes          int
	NodeNamePrefix string
	// NodeKubeconfigDir, with Nodes, holds each node's own credentials
	// (<name>.kubeconfig, system:node:<name>), so that the Node authorizer
	// lets each hollow node read what its own pods use.
	NodeKubeconfigDir string
	// PodManifestPath holds the static pods' manifests.
	PodManifestPath    string
	FileCheckFrequency time.Duration
	// Image garbage collection: above the high threshold (percent of the
	// image file system used), unused images at least MinimumGCAge old go
	// until use is at the low threshold.
	ImageGCHighThresholdPercent int
	ImageGCLowThresholdPercent  int
	ImageMinimumGCAge           time.Duration
	// CgroupRoot is the parent of the pods' cgroups; when set, it is also
	// what the node's resource usage is read from.
	CgroupRoot string
}

// The runtimes --runtime names.
const (
	RuntimeRunc = "runc"
	RuntimeFake = "fake"
)

// DefaultOptions are upstream's defaults where upstream has the flag.
func DefaultOptions() Options {
	return Options{RootDir: "/var/lib/kybernetes/kubelet", Port: 10250, Address: "0.0.0.0",
		ClusterDomain: "cluster.local", CNIBinDirs: network.DefaultBinDirs, Runc: "runc",
		Runtime: RuntimeRunc, Nodes: 1, NodeNamePrefix: "hollow-", FileCheckFrequency: 20 * time.Second,
		ImageGCHighThresholdPercent: 85, ImageGCLowThresholdPercent: 80, ImageMinimumGCAge: 2 * time.Minute}
}

// AddFlags registers the options.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file with the kubelet's credentials (the server writes <data-dir>/kubelet.kubeconfig).")
	fs.StringVar(&o.BootstrapKubeconfig, "bootstrap-kubeconfig", o.BootstrapKubeconfig, "Path to a kubeconfig file that will be used to get client certificate for kubelet. If the file specified by --kubeconfig does not exist, the bootstrap kubeconfig is used to request a client certificate from the API server. On success, a kubeconfig file referencing the generated client certificate and key is written to the path specified by --kubeconfig. The client certificate and key file will be stored in the directory pointed by --cert-dir.")
	fs.StringVar(&o.CertDir, "cert-dir", o.CertDir, "The directory where the TLS certs are located (default <root-dir>/pki).")
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
	fs.StringVar(&o.Runtime, "runtime", o.Runtime, "The container runtime: runc, or fake for hollow nodes (pods are Running at once with addresses of the pod CIDR, no process runs, no root needed).")
	fs.IntVar(&o.Nodes, "nodes", o.Nodes, "How many nodes to run in this process (more than 1 with --runtime=fake only): named <node-name-prefix><index>, each with a directory under --root-dir and a server on a port of its own.")
	fs.StringVar(&o.PodManifestPath, "pod-manifest-path", o.PodManifestPath, "Path to the directory containing static pod files to run, or the path to a single static pod file. Files starting with dots will be ignored.")
	fs.DurationVar(&o.FileCheckFrequency, "file-check-frequency", o.FileCheckFrequency, "Duration between checking config files for new data (changes are also seen at once where the directory can be watched).")
	fs.IntVar(&o.ImageGCHighThresholdPercent, "image-gc-high-threshold", o.ImageGCHighThresholdPercent, "The percent of disk usage after which image garbage collection is always run. Values must be within the range [0, 100], To disable image garbage collection, set to 100.")
	fs.IntVar(&o.ImageGCLowThresholdPercent, "image-gc-low-threshold", o.ImageGCLowThresholdPercent, "The percent of disk usage before which image garbage collection is never run. Lowest disk usage to garbage collect to. Values must be within the range [0, 100] and should not be larger than that of --image-gc-high-threshold.")
	fs.DurationVar(&o.ImageMinimumGCAge, "image-minimum-gc-age", o.ImageMinimumGCAge, "Minimum age for an unused image before it is garbage collected.")
	fs.StringVar(&o.CgroupRoot, "cgroup-root", o.CgroupRoot, "Optional root cgroup to use for pods (default /kybernetes). When set, the node's resource usage is that cgroup's instead of the whole machine's.")
	fs.StringVar(&o.NodeNamePrefix, "node-name-prefix", o.NodeNamePrefix, "With --nodes, the prefix of the nodes' names.")
	fs.StringVar(&o.NodeKubeconfigDir, "node-kubeconfig-dir", o.NodeKubeconfigDir, "With --nodes, a directory with each node's own credentials as <name>.kubeconfig (`kybernetes kubeconfig node NAME` writes one); without it all nodes share --kubeconfig, and the Node authorizer lets only the node that identity names read its pods' secrets, configmaps and tokens.")
}

// Run runs the kubelet until ctx ends.
func Run(ctx context.Context, o Options) error {
	switch {
	case o.Runtime != RuntimeRunc && o.Runtime != RuntimeFake:
		return fmt.Errorf("--runtime: %q is not a runtime this kubelet has (runc, fake)", o.Runtime)
	case o.Nodes < 1:
		return fmt.Errorf("--nodes: must be at least 1")
	case o.Nodes > 1 && o.Runtime != RuntimeFake:
		return fmt.Errorf("--nodes %d: several nodes in one process need --runtime=fake (real nodes would share one bridge and one runc root)", o.Nodes)
	case o.ImageGCHighThresholdPercent < 0 || o.ImageGCHighThresholdPercent > 100:
		return fmt.Errorf("invalid configuration: imageGCHighThresholdPercent (--image-gc-high-threshold) %d must be between 0 and 100, inclusive", o.ImageGCHighThresholdPercent)
	case o.ImageGCLowThresholdPercent < 0 || o.ImageGCLowThresholdPercent > 100:
		return fmt.Errorf("invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) %d must be between 0 and 100, inclusive", o.ImageGCLowThresholdPercent)
	case o.ImageGCLowThresholdPercent >= o.ImageGCHighThresholdPercent:
		return fmt.Errorf("invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) %d must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) %d", o.ImageGCLowThresholdPercent, o.ImageGCHighThresholdPercent)
	case o.Runtime == RuntimeRunc && os.Geteuid() != 0:
		return errors.New("the kubelet runs containers and pod networks: it must run as root (or use --runtime=fake for hollow nodes)")
	case o.CgroupRoot != "" && !filepath.IsAbs(o.CgroupRoot):
		return fmt.Errorf("--cgroup-root %q: an absolute cgroup path is needed", o.CgroupRoot)
	}
	if o.CgroupRoot != "" {
		o.CgroupRoot = filepath.Clean(o.CgroupRoot)
		runtime.CgroupParent = o.CgroupRoot
	}
	nodeName := o.HostnameOverride
	if nodeName == "" {
		hostname, err := os.Hostname()
		if err != nil {
			return err
		}
		nodeName = hostname
	}
	nodeName = strings.ToLower(nodeName)
	if o.BootstrapKubeconfig != "" {
		if o.Nodes > 1 {
			return errors.New("--bootstrap-kubeconfig: hollow nodes (--nodes) take their credentials from --node-kubeconfig-dir")
		}
		if o.Kubeconfig == "" {
			return errors.New("--bootstrap-kubeconfig needs --kubeconfig, where the node's own credentials are written")
		}
		certDir := o.CertDir
		if certDir == "" {
			certDir = filepath.Join(o.RootDir, "pki")
		}
		if err := bootstrap.LoadClientCert(ctx, o.Kubeconfig, o.BootstrapKubeconfig, certDir, nodeName); err != nil {
			return fmt.Errorf("kubelet TLS bootstrap: %w", err)
		}
	}
	config, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return err
	}
	config.UserAgent = "kybernetes-kubelet"
	// Upstream's kubeAPIQPS and kubeAPIBurst: client-go's default of 5
	// requests a second would make a node starting 30 pods wait on itself.
	config.QPS, config.Burst = 50, 100
	nodeIP := o.NodeIP
	if nodeIP == "" {
		if nodeIP, err = defaultRouteIP(); err != nil {
			return fmt.Errorf("finding the node's address (set --node-ip): %w", err)
		}
	}
	if o.Nodes == 1 {
		return runNode(ctx, o, config, nodeName, nodeIP, o.RootDir, o.Port)
	}
	// Hollow nodes: each its own client (its own rate limits, as separate
	// kubelets have), directory and server port; one failing ends all.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, o.Nodes)
	for i := range o.Nodes {
		name := fmt.Sprintf("%s%d", o.NodeNamePrefix, i)
		nodeConfig := config
		if o.NodeKubeconfigDir != "" {
			if nodeConfig, err = clientcmd.BuildConfigFromFlags("", filepath.Join(o.NodeKubeconfigDir, name+".kubeconfig")); err != nil {
				return fmt.Errorf("node %s: %w", name, err)
			}
			nodeConfig.UserAgent, nodeConfig.QPS, nodeConfig.Burst = config.UserAgent, config.QPS, config.Burst
		}
		go func() { errc <- runNode(ctx, o, nodeConfig, name, nodeIP, filepath.Join(o.RootDir, name), 0) }()
	}
	var first error
	for range o.Nodes {
		if err := <-errc; err != nil && first == nil {
			first = fmt.Errorf("hollow node: %w", err)
			cancel()
		}
	}
	return first
}

// nodeStats reads the node's usage from --cgroup-root when one is given.
func nodeStats(o Options) *stats.Reader {
	r := stats.NewReader()
	r.NodeCgroup = o.CgroupRoot
	return r
}

// hollowStats, on a node of the fake runtime, makes up the usage the pods'
// annotations choose; nil on a real node.
func hollowStats(o Options, pods corelisters.PodLister) *stats.Hollow {
	if o.Runtime != RuntimeFake {
		return nil
	}
	return &stats.Hollow{Annotations: func(namespace, name string) map[string]string {
		if pod, err := pods.Pods(namespace).Get(name); err == nil {
			return pod.Annotations
		}
		return nil
	}}
}

// imageGCPeriod is how often image garbage collection looks, as upstream.
const imageGCPeriod = 5 * time.Minute

// runNode runs one node until ctx ends: its registration, status and
// lease, its pods and its server.
func runNode(ctx context.Context, o Options, config *rest.Config, nodeName, nodeIP, rootDir string, port int) error {
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(rootDir, 0o700); err != nil {
		return err
	}
	var (
		rt             runtime.Interface
		podNetwork     network.Interface
		imageService   images.Service
		runtimeVersion string
		store          *images.Store
	)
	if o.Runtime == RuntimeFake {
		rt, podNetwork, imageService = &runtime.Fake{StateDir: filepath.Join(rootDir, "fake-runtime")}, &network.Fake{StateDir: filepath.Join(rootDir, "network", "ipam")}, &images.Fake{}
		runtimeVersion = "fake://" + version.Get().GitVersion
	} else {
		if store, err = images.Open(rootDir); err != nil {
			return err
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		rt = &runtime.Runc{Binary: o.Runc, Root: filepath.Join(rootDir, "runc"), Shim: []string{self, "container-shim"}}
		podNetwork = network.New(o.CNIBinDirs, filepath.Join(rootDir, "network"), "kyb0")
		imageService = images.Local{Store: store, Puller: &images.Puller{Store: store, Insecure: o.InsecureRegistries, Config: o.RegistryConfig}}
		runtimeVersion = node.RuncVersion(o.Runc)
	}

	listener, err := net.Listen("tcp", net.JoinHostPort(o.Address, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("the kubelet's server: %w", err)
	}
	defer listener.Close()
	port = listener.Addr().(*net.TCPAddr).Port

	var podCIDR atomic.Value
	podCIDR.Store("")
	n := &node.Node{Client: client, Name: nodeName, Address: nodeIP, Port: port, RootDir: rootDir,
		RuntimeVersion: runtimeVersion,
		Images: func() []corev1.ContainerImage {
			list, err := imageService.List()
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
			if err := podNetwork.Check(); err != nil {
				return "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:" + err.Error()
			}
			if podCIDR.Load().(string) == "" {
				return "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:the node has no pod CIDR yet"
			}
			return ""
		},
		Seen: func(node *corev1.Node) { podCIDR.Store(node.Spec.PodCIDR) }}
	if _, err := registerUntil(ctx, n); err != nil {
		return err
	}

	// The node's own object: its pod CIDR comes from the node IPAM
	// controller after registration.
	cidrSeen := func(node *corev1.Node) {
		if podCIDR.Swap(node.Spec.PodCIDR) != node.Spec.PodCIDR {
			n.Kick() // Ready depends on it: say so now, not in 10 s
		}
	}
	nodeFactory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
		lo.FieldSelector = fields.OneTermEqualSelector("metadata.name", nodeName).String()
	}))
	_, _ = nodeFactory.Core().V1().Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { cidrSeen(obj.(*corev1.Node)) },
		UpdateFunc: func(_, obj interface{}) { cidrSeen(obj.(*corev1.Node)) },
	})
	nodeFactory.Start(ctx.Done())
	defer nodeFactory.Shutdown()
	go n.Run(ctx)

	broadcaster := record.NewBroadcaster()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: nodeName})

	manager := &pods.Manager{Client: client, Tokens: token.NewManager(client), NodeName: nodeName, NodeIP: nodeIP, RootDir: rootDir, Images: imageService,
		Network: podNetwork, Runtime: rt, Recorder: recorder, ClusterDNS: o.ClusterDNS, ClusterDomain: o.ClusterDomain,
		PodCIDR: func() string { return podCIDR.Load().(string) }, Hollow: o.Runtime == RuntimeFake, FileCheckFrequency: o.FileCheckFrequency}
	if o.PodManifestPath != "" {
		manager.StaticPods = &static.Source{Path: o.PodManifestPath, NodeName: nodeName}
	}
	go manager.Run(ctx)
	if store != nil {
		node := &corev1.ObjectReference{Kind: "Node", Name: nodeName, UID: types.UID(nodeName)}
		gc := &images.GC{Store: store, HighThreshold: o.ImageGCHighThresholdPercent, LowThreshold: o.ImageGCLowThresholdPercent,
			MinAge: o.ImageMinimumGCAge, InUse: manager.ImagesInUse,
			Failed: func(reason, message string) { recorder.Event(node, corev1.EventTypeWarning, reason, message) }}
		go gc.Run(ctx, imageGCPeriod)
	}

	podFactory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
		lo.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", nodeName).String()
	}))
	podLister := podFactory.Core().V1().Pods().Lister()
	podFactory.Start(ctx.Done())
	defer podFactory.Shutdown()
	srv := &server.Server{
		Pods:        func() ([]*corev1.Pod, error) { return podLister.List(labels.Everything()) },
		Pod:         func(ns, name string) (*corev1.Pod, error) { return podLister.Pods(ns).Get(name) },
		LogDir:      func(p *corev1.Pod) string { return pods.LogDir(rootDir, p) },
		Healthy:     rt.Check,
		Exec:        manager.Exec,
		Attach:      manager.Attach,
		PortForward: manager.PortForward,
		Stats: &server.StatsSource{NodeName: nodeName, StartedAt: time.Now(), Reader: nodeStats(o), Hollow: hollowStats(o, podLister), Running: func() []server.Container {
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
	klog.InfoS("kubelet running", "node", nodeName, "address", nodeIP, "port", port, "runtime", o.Runtime)
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
