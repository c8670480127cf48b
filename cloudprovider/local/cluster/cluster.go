// Package cluster runs a whole cluster on this machine (`kybernetes up`):
// the control plane and N nodes, each node a machine of the local cloud —
// a network namespace on the host's bridge — with a kubelet and a proxy of
// its own. Every component is a child process of up, which keeps them
// running, logs each to a file under the data directory, and stops them in
// order (`kybernetes down`, or Ctrl-C), leaving nothing behind on the host
// but the data directory, from which `up` brings the same cluster back.
package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kybernetes/kybernetes/cloudprovider/local"
	"github.com/kybernetes/kybernetes/kubelet"
	"github.com/kybernetes/kybernetes/registry"
)

// The runtimes: real nodes, or hollow ones (no root needed).
const (
	RuntimeRunc = kubelet.RuntimeRunc
	RuntimeFake = kubelet.RuntimeFake
)

// Options are up's own settings; the control plane's flags pass through.
type Options struct {
	DataDir     string
	Nodes       int
	Runtime     string
	NodeNetwork string
	// LoadBalancerNetwork is the pool of LoadBalancer Services' addresses.
	LoadBalancerNetwork string
	// ClusterCIDR is the pods' range (the server's --cluster-cidr);
	// ServiceCIDR the services' (--service-cluster-ip-range), whose tenth
	// address the cluster DNS takes.
	ClusterCIDR     string
	ServiceCIDR     string
	WriteKubeconfig bool
	// ServerArgs are the control plane's flags given to up, for
	// `kybernetes server`; ServerFlagSet says whether one was given.
	ServerArgs    []string
	ServerFlagSet func(name string) bool
	// Changed says whether up's own flag was given: those not given come
	// from the last up on the data directory.
	Changed func(name string) bool
	// Self is the kybernetes binary; Runc the runc the kubelets use.
	Self string
	Runc string
	Out  io.Writer
}

// spec is what up remembers about the cluster in its data directory.
type spec struct {
	Nodes               int    `json:"nodes"`
	Runtime             string `json:"runtime"`
	NodeNetwork         string `json:"nodeNetwork"`
	LoadBalancerNetwork string `json:"loadBalancerNetwork"`
	ClusterCIDR         string `json:"clusterCIDR"`
}

// dataDir lays out up's files in the data directory.
type dataDir string

func (d dataDir) spec() string          { return filepath.Join(string(d), "up.json") }
func (d dataDir) pid() string           { return filepath.Join(string(d), "up.pid") }
func (d dataDir) componentPIDs() string { return filepath.Join(string(d), "up.pids") }
func (d dataDir) logs() string          { return filepath.Join(string(d), "logs") }
func (d dataDir) nodes() string         { return filepath.Join(string(d), "nodes") }
func (d dataDir) node(name string) string {
	return filepath.Join(d.nodes(), name)
}
func (d dataDir) images() string { return filepath.Join(string(d), "images") }

// cgroup is a node's cgroup parent: its pods' cgroups, and what its
// resource usage is read from.
func (d dataDir) cgroup(node string) string { return "/kybernetes/" + d.id() + "-" + node }
func (d dataDir) cloudConfig() string       { return filepath.Join(string(d), "cloud.json") }
func (d dataDir) admin() string             { return filepath.Join(string(d), "admin.kubeconfig") }

// id names the cluster's objects on the host (bridge, namespaces, links):
// from the data directory, so that clusters side by side do not meet.
func (d dataDir) id() string {
	sum := sha256.Sum256([]byte(d))
	return hex.EncodeToString(sum[:])[:4]
}

func (d dataDir) network(cidr *net.IPNet) local.Network {
	return local.Network{Bridge: "kyb-" + d.id(), CIDR: cidr}
}

func (d dataDir) machine(i int, n local.Network, clusterCIDR string) local.Machine {
	return local.Machine{Name: fmt.Sprintf("kyb-%s-%s", d.id(), nodeName(i)), HostLink: fmt.Sprintf("kyb-%s-%d", d.id(), i),
		IP: n.NodeIP(i), ClusterCIDR: clusterCIDR}
}

// nodeName is the i-th node's name, as hollow nodes with prefix "node-"
// are named too.
func nodeName(i int) string { return "node-" + strconv.Itoa(i) }

// Up brings the cluster up and keeps it up until ctx ends, then stops it.
func Up(ctx context.Context, o Options) error {
	abs, err := filepath.Abs(o.DataDir)
	if err != nil {
		return err
	}
	d := dataDir(abs)
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	s, err := resolveSpec(d, o)
	if err != nil {
		return err
	}
	if pid, ok := running(d, o.Self); ok {
		return fmt.Errorf("a cluster is up on %s already (process %d): `kybernetes down --data-dir %s` stops it", d, pid, d)
	}
	if s.Runtime == RuntimeRunc {
		if lacking := missing(o.Runc); len(lacking) > 0 {
			return fmt.Errorf("nodes that run containers need what this machine lacks:\n  - %s\n"+
				"or run hollow nodes, which need none of it (the API, scheduling and controllers work; no container runs):\n"+
				"  kybernetes up --runtime=fake", strings.Join(lacking, "\n  - "))
		}
	}
	_, nodeCIDR, err := net.ParseCIDR(s.NodeNetwork)
	if err != nil || nodeCIDR.IP.To4() == nil {
		return fmt.Errorf("--node-network %q: an IPv4 CIDR is needed", s.NodeNetwork)
	}
	network := d.network(nodeCIDR)
	if s.Runtime == RuntimeRunc && s.Nodes > network.Size() {
		return fmt.Errorf("--nodes %d: the node network %s has addresses for %d", s.Nodes, s.NodeNetwork, network.Size())
	}
	if err := os.WriteFile(d.pid(), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return err
	}
	defer os.Remove(d.pid())
	// An up that was killed may have left components running.
	if err := cleanUp(context.Background(), d, s, o); err != nil {
		return fmt.Errorf("cleaning up after the last up on %s: %w", d, err)
	}
	if err := writeSpec(d, s); err != nil {
		return err
	}

	dnsIP, err := tenthIP(o.ServiceCIDR)
	if err != nil {
		return fmt.Errorf("--service-cluster-ip-range %q: %w", o.ServiceCIDR, err)
	}
	c := &cluster{d: d, s: s, o: o, network: network, dnsIP: dnsIP, p: newProgress(o.Out), pids: &pidFile{path: d.componentPIDs()}}
	start := time.Now()
	err = c.start(ctx)
	if err == nil {
		c.summary(time.Since(start))
		<-ctx.Done()
		c.p.say("Stopping the cluster...")
	}
	stopErr := c.stop()
	if err != nil {
		return errors.Join(err, stopErr)
	}
	if stopErr == nil {
		c.p.say("Stopped. `kybernetes up --data-dir %s` brings it back.", d)
	}
	return stopErr
}

// resolveSpec is the spec of this up: the flags given, else what the last
// up on the data directory used, else the defaults.
func resolveSpec(d dataDir, o Options) (spec, error) {
	s := spec{Nodes: o.Nodes, Runtime: o.Runtime, NodeNetwork: o.NodeNetwork, LoadBalancerNetwork: o.LoadBalancerNetwork, ClusterCIDR: o.ClusterCIDR}
	data, err := os.ReadFile(d.spec())
	if err == nil {
		var last spec
		if err := json.Unmarshal(data, &last); err != nil {
			return s, fmt.Errorf("%s: %w", d.spec(), err)
		}
		keep := func(flag string) bool { return o.Changed == nil || !o.Changed(flag) }
		if keep("nodes") && last.Nodes > 0 {
			s.Nodes = last.Nodes
		}
		if keep("runtime") && last.Runtime != "" {
			s.Runtime = last.Runtime
		}
		if keep("node-network") && last.NodeNetwork != "" {
			s.NodeNetwork = last.NodeNetwork
		}
		if keep("load-balancer-network") && last.LoadBalancerNetwork != "" {
			s.LoadBalancerNetwork = last.LoadBalancerNetwork
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	if s.Nodes < 1 {
		return s, fmt.Errorf("--nodes %d: at least one node is needed", s.Nodes)
	}
	if s.Runtime != RuntimeRunc && s.Runtime != RuntimeFake {
		return s, fmt.Errorf("--runtime %q: runc or fake", s.Runtime)
	}
	return s, nil
}

func writeSpec(d dataDir, s spec) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(d.spec(), data, 0o600)
}

func readSpec(d dataDir) (spec, error) {
	var s spec
	data, err := os.ReadFile(d.spec())
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(data, &s)
}

// IsUp says whether `kybernetes up` made a cluster with real nodes in
// dir (running or not).
func IsUp(dir string) bool {
	s, err := readSpec(dataDir(dir))
	return err == nil && s.Runtime == RuntimeRunc
}

// running finds a live up on the data directory.
func running(d dataDir, self string) (int, bool) {
	data, err := os.ReadFile(d.pid())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid == os.Getpid() {
		return 0, false
	}
	return pid, isOurs(pid, self)
}

// cluster is one run of up.
type cluster struct {
	d       dataDir
	s       spec
	o       Options
	network local.Network
	p       *progress
	pids    *pidFile

	// dnsIP is the kube-dns Service's address.
	dnsIP string

	mu         sync.Mutex
	server     *component
	dns        *component
	ingress    *component
	nodes      []*component // kubelets and proxies
	machines   []local.Machine
	networkUp  bool
	serverURL  string
	nodeReport []string
}

func (c *cluster) start(ctx context.Context) error {
	if c.s.Runtime == RuntimeRunc {
		done := c.p.step(fmt.Sprintf("Node network %s on %s (%d nodes), load balancers on %s", c.s.NodeNetwork, c.network.Bridge, c.s.Nodes, c.s.LoadBalancerNetwork), nil)
		if err := done(c.startNetwork()); err != nil {
			return err
		}
	}
	done := c.p.step("Control plane", nil)
	if err := done(c.startServer(ctx)); err != nil {
		return err
	}
	if c.s.Runtime == RuntimeRunc {
		done := c.p.step(fmt.Sprintf("Cluster DNS %s (kube-system/kube-dns)", c.dnsIP), nil)
		if err := done(c.startDNS(ctx)); err != nil {
			return err
		}
		done = c.p.step(fmt.Sprintf("Ingress controller on %s:80 and :443 (IngressClass kybernetes)", c.network.HostIP()), nil)
		if err := done(c.startIngress(ctx)); err != nil {
			return err
		}
	}
	ready := 0
	var readyMu sync.Mutex
	done = c.p.step(fmt.Sprintf("%d nodes", c.s.Nodes), func() string {
		readyMu.Lock()
		defer readyMu.Unlock()
		return fmt.Sprintf("(%d/%d Ready)", ready, c.s.Nodes)
	})
	err := c.startNodes()
	if err == nil {
		err = c.waitForNodes(ctx, func(n int) { readyMu.Lock(); ready = n; readyMu.Unlock() })
	}
	if err := done(err); err != nil {
		return err
	}
	if c.o.WriteKubeconfig {
		path := userKubeconfig()
		done := c.p.step(fmt.Sprintf("Kubeconfig %s (context %s)", path, ContextName), nil)
		if err := done(mergeKubeconfig(c.d.admin(), path)); err != nil {
			return err
		}
	}
	return nil
}

// startNetwork makes the bridge, refusing a network that an address of
// another link on the host is in already.
func (c *cluster) startNetwork() error {
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	_, pool, err := net.ParseCIDR(c.s.LoadBalancerNetwork)
	if err != nil || pool.IP.To4() == nil {
		return fmt.Errorf("--load-balancer-network %q: an IPv4 CIDR is needed", c.s.LoadBalancerNetwork)
	}
	if pool.Contains(c.network.CIDR.IP) || c.network.CIDR.Contains(pool.IP) {
		return fmt.Errorf("--load-balancer-network %s overlaps --node-network %s", pool, c.network.CIDR)
	}
	for _, a := range addrs {
		link, err := netlink.LinkByIndex(a.LinkIndex)
		if err != nil || link.Attrs().Name == c.network.Bridge {
			continue
		}
		for _, n := range []struct {
			cidr *net.IPNet
			flag string
		}{{c.network.CIDR, "--node-network"}, {pool, "--load-balancer-network"}} {
			if n.cidr.Contains(a.IP) || a.IPNet.Contains(n.cidr.IP) {
				return fmt.Errorf("the network %s overlaps %s on %s: choose another with %s", n.cidr, a.IPNet, link.Attrs().Name, n.flag)
			}
		}
	}
	c.mu.Lock()
	c.networkUp = true
	c.mu.Unlock()
	if err := c.network.Ensure(); err != nil {
		return err
	}
	// The nodes' namespaces exist before the control plane starts: the
	// cloud node lifecycle controller deletes a NotReady node whose
	// namespace is gone, which the nodes of an earlier run are.
	for i := range c.s.Nodes {
		m := c.d.machine(i, c.network, c.s.ClusterCIDR)
		c.mu.Lock()
		c.machines = append(c.machines, m)
		c.mu.Unlock()
		if err := c.network.EnsureMachine(m); err != nil {
			return fmt.Errorf("node %s: %w", nodeName(i), err)
		}
	}
	config, err := json.Marshal(local.Config{Bridge: c.network.Bridge, StateDir: filepath.Join(string(c.d), "cloud"),
		LoadBalancerCIDR: pool.String(), NodeNetNSPrefix: "kyb-" + c.d.id() + "-"})
	if err != nil {
		return err
	}
	return os.WriteFile(c.d.cloudConfig(), config, 0o600)
}

func (c *cluster) restarted(name string, err error, pause time.Duration) {
	c.p.say("! the %s exited (%v); starting it again in %s — its log: %s", name, err, pause, c.logOf(name))
}

func (c *cluster) logOf(name string) string {
	for _, comp := range append([]*component{c.server, c.dns, c.ingress}, c.nodes...) {
		if comp != nil && comp.name == name {
			return comp.log
		}
	}
	return c.d.logs()
}

// startServer runs `kybernetes server` with the flags given to up, on the
// host's address on the bridge (reachable from every node) with the local
// cloud, and waits until it is ready.
func (c *cluster) startServer(ctx context.Context) error {
	args := []string{c.o.Self, "server", "--data-dir", string(c.d)}
	args = append(args, c.o.ServerArgs...)
	if c.s.Runtime == RuntimeRunc {
		given := func(flag string) bool { return c.o.ServerFlagSet != nil && c.o.ServerFlagSet(flag) }
		if !given("bind-address") {
			args = append(args, "--bind-address", c.network.HostIP().String())
		}
		if !given("cloud-provider") {
			args = append(args, "--cloud-provider", local.ProviderName, "--cloud-config", c.d.cloudConfig())
		}
	}
	server := &component{name: "control plane", args: args, log: filepath.Join(c.d.logs(), "server.log"), restarted: c.restarted}
	c.mu.Lock()
	c.server = server
	c.mu.Unlock()
	// The admin kubeconfig of an earlier run must not count as ready.
	_ = os.Remove(c.d.admin())
	if err := server.start(c.pids); err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the control plane was not ready in 2 minutes:\n%s", tail(server.log, 15))
		}
		select {
		case <-server.done:
			return fmt.Errorf("the control plane stopped:\n%s", tail(server.log, 15))
		case <-time.After(100 * time.Millisecond):
		}
		config, err := clientcmd.BuildConfigFromFlags("", c.d.admin())
		if err != nil {
			continue
		}
		config.Timeout = 2 * time.Second
		client, err := kubernetes.NewForConfig(config)
		if err != nil {
			return err
		}
		if _, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err == nil {
			c.serverURL = config.Host
			return nil
		}
	}
}

// startDNS runs the cluster DNS on the host's address on the bridge; it
// keeps the kube-dns Service at the tenth address of the service range,
// with itself as the endpoint, and is ready once that Service exists.
func (c *cluster) startDNS(ctx context.Context) error {
	dns := &component{name: "cluster DNS", log: filepath.Join(c.d.logs(), "dns.log"), restarted: c.restarted,
		args: []string{c.o.Self, "dns", "--kubeconfig", c.d.admin(), "--bind-address", c.network.HostIP().String(),
			"--cluster-ip", c.dnsIP}}
	c.mu.Lock()
	c.dns = dns
	c.mu.Unlock()
	if err := dns.start(c.pids); err != nil {
		return err
	}
	client, err := c.client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		slice, err := client.DiscoveryV1().EndpointSlices(metav1.NamespaceSystem).Get(ctx, "kube-dns-kybernetes", metav1.GetOptions{})
		if err == nil && len(slice.Endpoints) == 1 && slice.Endpoints[0].Addresses[0] == c.network.HostIP().String() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the cluster DNS did not publish itself in a minute:\n%s", tail(dns.log, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-dns.done:
			return fmt.Errorf("the cluster DNS stopped:\n%s", tail(dns.log, 15))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// startIngress runs the ingress controller on the host's address on the
// bridge (which the host and the pods reach); it is ready once its
// IngressClass exists.
func (c *cluster) startIngress(ctx context.Context) error {
	ingress := &component{name: "ingress controller", log: filepath.Join(c.d.logs(), "ingress.log"), restarted: c.restarted,
		args: []string{c.o.Self, "ingress", "--kubeconfig", c.d.admin(), "--bind-address", c.network.HostIP().String()}}
	c.mu.Lock()
	c.ingress = ingress
	c.mu.Unlock()
	if err := ingress.start(c.pids); err != nil {
		return err
	}
	client, err := c.client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := client.NetworkingV1().IngressClasses().Get(ctx, "kybernetes", metav1.GetOptions{}); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the ingress controller made no IngressClass in a minute:\n%s", tail(ingress.log, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ingress.done:
			return fmt.Errorf("the ingress controller stopped:\n%s", tail(ingress.log, 15))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *cluster) client() (kubernetes.Interface, error) {
	config, err := clientcmd.BuildConfigFromFlags("", c.d.admin())
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(config)
}

// tenthIP is the tenth address of a range: the cluster DNS's, as
// kubeadm puts it.
func tenthIP(cidr string) (string, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return "", err
	}
	ip := make(net.IP, len(n.IP))
	copy(ip, n.IP)
	ip[len(ip)-1] += 10
	if !n.Contains(ip) {
		return "", fmt.Errorf("too small for a tenth address")
	}
	return ip.String(), nil
}

// startNodes starts every node's components: for real nodes a kubelet
// and a proxy inside each node's namespace; hollow nodes all in one
// kubelet process.
func (c *cluster) startNodes() error {
	if err := os.MkdirAll(c.d.images(), 0o700); err != nil {
		return err
	}
	kubeconfig := filepath.Join(string(c.d), "kubelet.kubeconfig")
	if c.s.Runtime == RuntimeFake {
		// Each hollow node its own system:node:<name> identity.
		credentials := filepath.Join(c.d.nodes(), "kubeconfigs")
		if err := os.MkdirAll(credentials, 0o700); err != nil {
			return err
		}
		for i := range c.s.Nodes {
			if err := registry.WriteNodeKubeconfig(string(c.d), nodeName(i), filepath.Join(credentials, nodeName(i)+".kubeconfig")); err != nil {
				return fmt.Errorf("credentials of %s: %w", nodeName(i), err)
			}
		}
		kubelet := &component{name: "hollow nodes' kubelet", log: filepath.Join(c.d.logs(), "hollow-kubelet.log"), restarted: c.restarted,
			args: []string{c.o.Self, "kubelet", "--runtime", RuntimeFake, "--kubeconfig", kubeconfig, "--node-kubeconfig-dir", credentials,
				"--nodes", strconv.Itoa(c.s.Nodes), "--node-name-prefix", "node-", "--root-dir", c.d.nodes(), "--node-ip", "127.0.0.1"}}
		c.addNode(kubelet)
		if err := kubelet.start(c.pids); err != nil {
			return err
		}
		for i := range c.s.Nodes {
			c.nodeReport = append(c.nodeReport, nodeName(i)+" (hollow)")
		}
		return nil
	}
	for i := range c.s.Nodes {
		name := nodeName(i)
		m := c.machines[i]
		root := c.d.node(name)
		if err := os.MkdirAll(root, 0o700); err != nil {
			return err
		}
		// Every node uses the cluster's one image store.
		if _, err := os.Lstat(filepath.Join(root, "images")); errors.Is(err, os.ErrNotExist) {
			if err := os.Symlink(c.d.images(), filepath.Join(root, "images")); err != nil {
				return err
			}
		}
		// Each kubelet is its own node (system:node:<name>), for the
		// Node authorizer to narrow.
		nodeKubeconfig := filepath.Join(root, "kubelet.kubeconfig")
		if err := registry.WriteNodeKubeconfig(string(c.d), name, nodeKubeconfig); err != nil {
			return fmt.Errorf("credentials of %s: %w", name, err)
		}
		logs := filepath.Join(c.d.logs(), name)
		kubelet := &component{name: "kubelet of " + name, netns: m.NetNSPath(), log: filepath.Join(logs, "kubelet.log"), restarted: c.restarted,
			args: []string{c.o.Self, "kubelet", "--kubeconfig", nodeKubeconfig, "--hostname-override", name, "--node-ip", m.IP.String(),
				"--root-dir", root, "--runc", c.o.Runc, "--cluster-dns", c.dnsIP, "--cluster-domain", "cluster.local",
				"--cgroup-root", c.d.cgroup(name),
				// Images are shared: no node may collect what another uses.
				"--image-gc-high-threshold", "100"}}
		proxy := &component{name: "proxy of " + name, netns: m.NetNSPath(), log: filepath.Join(logs, "proxy.log"), restarted: c.restarted,
			args: []string{c.o.Self, "proxy", "--kubeconfig", filepath.Join(string(c.d), "proxy.kubeconfig"), "--hostname-override", name,
				"--cluster-cidr", c.s.ClusterCIDR}}
		for _, comp := range []*component{kubelet, proxy} {
			c.addNode(comp)
			if err := comp.start(c.pids); err != nil {
				return err
			}
		}
		c.nodeReport = append(c.nodeReport, fmt.Sprintf("%s %s (ip netns exec %s ...)", name, m.IP, m.Name))
	}
	return nil
}

func (c *cluster) addNode(comp *component) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodes = append(c.nodes, comp)
}

// waitForNodes waits until every node of the cluster is Ready.
func (c *cluster) waitForNodes(ctx context.Context, progress func(int)) error {
	config, err := clientcmd.BuildConfigFromFlags("", c.d.admin())
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	// A node of the last run still reads Ready until its status goes
	// stale: only a heartbeat of this run counts (times are whole seconds).
	since := time.Now().Add(-time.Second)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err == nil {
			ready := 0
			for i := range c.s.Nodes {
				for _, n := range list.Items {
					if n.Name == nodeName(i) && isReady(&n, since) {
						ready++
					}
				}
			}
			progress(ready)
			if ready == c.s.Nodes {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the nodes were not Ready in 3 minutes: see the kubelets' logs under %s", c.d.logs())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// isReady says whether the node's kubelet said Ready since then.
func isReady(n *corev1.Node, since time.Time) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue && !c.LastHeartbeatTime.Time.Before(since)
		}
	}
	return false
}

func (c *cluster) summary(took time.Duration) {
	c.p.say("\nkybernetes is up: %d nodes Ready in %.1fs", c.s.Nodes, took.Seconds())
	c.p.say("  API server:  %s", c.serverURL)
	if c.o.WriteKubeconfig {
		c.p.say("  kubeconfig:  %s (context %s); also %s", userKubeconfig(), ContextName, c.d.admin())
	} else {
		c.p.say("  kubeconfig:  %s", c.d.admin())
	}
	c.p.say("  nodes:       %s", strings.Join(c.nodeReport, "\n               "))
	c.p.say("  logs:        %s", c.d.logs())
	c.p.say("Ctrl-C or `kybernetes down --data-dir %s` stops it.", c.d)
}

// stop stops the nodes' components, then resets the nodes (their
// containers and mounts) and removes their namespaces, then stops the
// control plane and removes the network.
func (c *cluster) stop() error {
	c.mu.Lock()
	nodes, server, machines, networkUp := c.nodes, c.server, c.machines, c.networkUp
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, comp := range nodes {
		wg.Add(1)
		go func() { defer wg.Done(); comp.stop(20 * time.Second) }()
	}
	wg.Wait()
	var errs []error
	if c.s.Runtime == RuntimeRunc {
		for i, m := range machines {
			if err := kubelet.Reset(context.Background(), c.o.Runc, c.d.node(nodeName(i)), c.d.cgroup(nodeName(i))); err != nil {
				errs = append(errs, fmt.Errorf("resetting %s: %w", nodeName(i), err))
			}
			if err := local.DeleteMachine(m.Name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	c.mu.Lock()
	addons := []*component{c.dns, c.ingress}
	c.mu.Unlock()
	for _, addon := range addons {
		if addon != nil {
			addon.stop(15 * time.Second)
		}
	}
	if server != nil {
		server.stop(30 * time.Second)
	}
	if networkUp {
		if err := c.network.Delete(); err != nil {
			errs = append(errs, err)
		}
	}
	_ = os.Remove(c.d.componentPIDs())
	return errors.Join(errs...)
}

// Down stops the cluster up runs on dataDir, or cleans up after one that
// was killed.
func Down(ctx context.Context, dir, self, runc string, out io.Writer) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	d := dataDir(abs)
	s, err := readSpec(d)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no cluster was brought up on %s (no %s)", d, d.spec())
	}
	if err != nil {
		return err
	}
	p := newProgress(out)
	if pid, ok := running(d, self); ok {
		done := p.step(fmt.Sprintf("Stopping the cluster (up is process %d)", pid), nil)
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for isOurs(pid, self) {
			select {
			case <-ctx.Done():
				return done(ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
		if err := done(nil); err != nil {
			return err
		}
	}
	done := p.step("Removing what is left on the host", nil)
	if err := done(cleanUp(ctx, d, s, Options{Self: self, Runc: runc})); err != nil {
		return err
	}
	p.say("Stopped. `kybernetes up --data-dir %s` brings it back.", d)
	return nil
}

// cleanUp removes what an up that did not stop in order left: its
// components' processes, the nodes' containers, mounts and namespaces,
// the network. What is gone already is no error.
func cleanUp(ctx context.Context, d dataDir, s spec, o Options) error {
	if err := killLeftovers(ctx, d.componentPIDs(), o.Self); err != nil {
		return err
	}
	if s.Runtime != RuntimeRunc || os.Geteuid() != 0 {
		return nil
	}
	var errs []error
	entries, _ := os.ReadDir(d.nodes())
	for _, e := range entries {
		if err := kubelet.Reset(ctx, o.Runc, d.node(e.Name()), d.cgroup(e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	pins, _ := filepath.Glob(filepath.Join(local.NetNSDir, "kyb-"+d.id()+"-*"))
	for _, pin := range pins {
		if err := local.DeleteMachine(filepath.Base(pin)); err != nil {
			errs = append(errs, err)
		}
	}
	if _, cidr, err := net.ParseCIDR(s.NodeNetwork); err == nil {
		if err := d.network(cidr).Delete(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// tail is the last n lines of a log, indented, to say why a component
// failed.
func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ") + "\n(the whole log: " + path + ")"
}
