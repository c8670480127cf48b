// Package registry is the kybernetes API server: its options, the generic
// apiserver configuration on embedded or external etcd, security, the served
// API groups and the loops that bootstrap a fresh cluster.
package registry

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// Options are the API server's flags.
type Options struct {
	DataDir          string
	BindAddress      net.IP
	AdvertiseAddress net.IP
	SecurePort       int

	EtcdServers  []string
	EtcdCAFile   string
	EtcdCertFile string
	EtcdKeyFile  string

	// EtcdCompactionInterval is how often the server compacts etcd's
	// history; watches from before the last compaction get 410 Gone.
	EtcdCompactionInterval time.Duration

	ServiceClusterIPRange string
	ServiceNodePortRange  utilnet.PortRange
	// ServiceRepairInterval is how often the cluster IP and node port
	// allocations are checked against the stored services (no flag: tests
	// shorten it).
	ServiceRepairInterval time.Duration
	TokenAuthFile         string

	// The toleration times DefaultTolerationSeconds admission gives pods
	// for the not-ready and unreachable NoExecute taints.
	DefaultNotReadyTolerationSeconds    int64
	DefaultUnreachableTolerationSeconds int64
}

// NewOptions returns the defaults: data in ~/.kybernetes, serving on
// 127.0.0.1:6443, embedded etcd.
func NewOptions() *Options {
	dataDir := ".kybernetes"
	if home, err := os.UserHomeDir(); err == nil {
		dataDir = filepath.Join(home, ".kybernetes")
	}
	return &Options{
		DataDir:                dataDir,
		BindAddress:            net.IPv4(127, 0, 0, 1),
		SecurePort:             6443,
		ServiceClusterIPRange:  "10.96.0.0/12",
		ServiceNodePortRange:   utilnet.PortRange{Base: 30000, Size: 2768},
		EtcdCompactionInterval: 5 * time.Minute,
		ServiceRepairInterval:  3 * time.Minute,

		DefaultNotReadyTolerationSeconds:    300,
		DefaultUnreachableTolerationSeconds: 300,
	}
}

// AddFlags registers the options on fs with upstream flag names.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "Directory for etcd data, certificates and the admin kubeconfig.")
	fs.IPVar(&o.BindAddress, "bind-address", o.BindAddress, "The IP address on which to listen for the --secure-port port.")
	fs.IPVar(&o.AdvertiseAddress, "advertise-address", o.AdvertiseAddress, "The IP address on which to advertise the apiserver to members of the cluster. Defaults to --bind-address, or 127.0.0.1 when that is unspecified.")
	fs.IntVar(&o.SecurePort, "secure-port", o.SecurePort, "The port on which to serve HTTPS with authentication and authorization (0 picks a free port).")
	fs.StringSliceVar(&o.EtcdServers, "etcd-servers", o.EtcdServers, "List of etcd servers to connect with (scheme://ip:port), comma separated. When set, no etcd is embedded.")
	fs.StringVar(&o.EtcdCAFile, "etcd-cafile", o.EtcdCAFile, "SSL Certificate Authority file used to secure etcd communication.")
	fs.StringVar(&o.EtcdCertFile, "etcd-certfile", o.EtcdCertFile, "SSL certification file used to secure etcd communication.")
	fs.StringVar(&o.EtcdKeyFile, "etcd-keyfile", o.EtcdKeyFile, "SSL key file used to secure etcd communication.")
	fs.DurationVar(&o.EtcdCompactionInterval, "etcd-compaction-interval", o.EtcdCompactionInterval, "The interval of compaction requests. If 0, the compaction request from apiserver is disabled.")
	fs.StringVar(&o.ServiceClusterIPRange, "service-cluster-ip-range", o.ServiceClusterIPRange, "A CIDR notation IP range from which to assign service cluster IPs.")
	fs.Var(&o.ServiceNodePortRange, "service-node-port-range", "A port range to reserve for services with NodePort visibility. Example: '30000-32767'. Inclusive at both ends of the range.")
	fs.Int64Var(&o.DefaultNotReadyTolerationSeconds, "default-not-ready-toleration-seconds", o.DefaultNotReadyTolerationSeconds, "Indicates the tolerationSeconds of the toleration for notReady:NoExecute that is added by default to every pod that does not already have such a toleration.")
	fs.Int64Var(&o.DefaultUnreachableTolerationSeconds, "default-unreachable-toleration-seconds", o.DefaultUnreachableTolerationSeconds, "Indicates the tolerationSeconds of the toleration for unreachable:NoExecute that is added by default to every pod that does not already have such a toleration.")
	fs.StringVar(&o.TokenAuthFile, "token-auth-file", o.TokenAuthFile, "If set, the file that will be used to secure the secure port of the API server via token authentication (CSV: token,user,uid,\"group1,group2\").")
}

// Validate reports every invalid option at once.
func (o *Options) Validate() error {
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir must not be empty"))
	}
	if o.SecurePort < 0 || o.SecurePort > 65535 {
		errs = append(errs, fmt.Errorf("--secure-port %d must be between 0 and 65535", o.SecurePort))
	}
	if _, _, err := net.ParseCIDR(o.ServiceClusterIPRange); err != nil {
		errs = append(errs, fmt.Errorf("--service-cluster-ip-range: %w", err))
	}
	if len(o.EtcdServers) == 0 && (o.EtcdCAFile != "" || o.EtcdCertFile != "" || o.EtcdKeyFile != "") {
		errs = append(errs, fmt.Errorf("--etcd-cafile, --etcd-certfile and --etcd-keyfile need --etcd-servers"))
	}
	if o.TokenAuthFile != "" {
		if _, err := os.Stat(o.TokenAuthFile); err != nil {
			errs = append(errs, fmt.Errorf("--token-auth-file: %w", err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid options: %v", errs)
}

// advertiseIP is the address clients and certificates use for this server.
func (o *Options) advertiseIP() net.IP {
	switch {
	case o.AdvertiseAddress != nil && !o.AdvertiseAddress.IsUnspecified():
		return o.AdvertiseAddress
	case o.BindAddress != nil && !o.BindAddress.IsUnspecified():
		return o.BindAddress
	}
	return net.IPv4(127, 0, 0, 1)
}

// serviceCIDR is the parsed --service-cluster-ip-range.
func (o *Options) serviceCIDR() *net.IPNet {
	_, cidr, _ := net.ParseCIDR(o.ServiceClusterIPRange)
	return cidr
}

// firstServiceIP is the first address of the service range, which the
// `kubernetes` Service will hold; the serving certificate names it.
func (o *Options) firstServiceIP() (net.IP, error) {
	_, cidr, err := net.ParseCIDR(o.ServiceClusterIPRange)
	if err != nil {
		return nil, err
	}
	ip := make(net.IP, len(cidr.IP))
	copy(ip, cidr.IP)
	ip[len(ip)-1]++
	return ip, nil
}

// Paths inside the data directory.
func (o *Options) pkiDir() string         { return filepath.Join(o.DataDir, "pki") }
func (o *Options) etcdDir() string        { return filepath.Join(o.DataDir, "etcd") }
func (o *Options) lockFile() string       { return filepath.Join(o.DataDir, "kybernetes.lock") }
func (o *Options) KubeconfigPath() string { return filepath.Join(o.DataDir, "admin.kubeconfig") }
