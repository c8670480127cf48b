// Package registry is the kybernetes API server: its options, the generic
// apiserver configuration on embedded or external etcd, security, the served
// API groups and the loops that bootstrap a fresh cluster.
//
// The shape is k8s.io/sample-apiserver's: Options (flags, with
// k8s.io/apiserver's option structs so that upstream's flags exist with
// upstream's meaning) → Complete (defaults filled in, everything checked,
// no side effects) → New (a Server) → Run, whose steps are explicit: lock
// the data directory, ensure the PKI, start embedded etcd, build the generic
// apiserver, serve.
package registry

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	basecompatibility "k8s.io/component-base/compatibility"

	"github.com/kybernetes/kybernetes/registry/oidc"
	"github.com/kybernetes/kybernetes/registry/pki"
)

// Options are the API server's flags.
type Options struct {
	DataDir string

	// The apiserver library's own options, registered with their upstream
	// flags: --advertise-address, --max-requests-inflight,
	// --request-timeout, --shutdown-delay-duration, ... (ServerRun);
	// --bind-address, --secure-port, --tls-cert-file,
	// --tls-private-key-file, ... (SecureServing); --etcd-servers,
	// --etcd-cafile, --etcd-compaction-interval, --watch-cache, ... (Etcd);
	// --enable-admission-plugins, --disable-admission-plugins,
	// --admission-control-config-file (Admission); --audit-policy-file,
	// --audit-log-path, --audit-log-maxage, --audit-webhook-config-file, ...
	// (Audit: the library's log and webhook backends).
	ServerRun     *genericoptions.ServerRunOptions
	SecureServing *genericoptions.SecureServingOptionsWithLoopback
	Etcd          *genericoptions.EtcdOptions
	Admission     *genericoptions.AdmissionOptions
	Audit         *genericoptions.AuditOptions

	ServiceClusterIPRange string
	ServiceNodePortRange  utilnet.PortRange
	// ServiceRepairInterval is how often the cluster IP and node port
	// allocations are checked against the stored services (no flag: tests
	// shorten it).
	ServiceRepairInterval time.Duration
	TokenAuthFile         string
	// OIDC is the --oidc-* flags: an external issuer's ID tokens.
	OIDC oidc.Options
	// EnablePriorityAndFairness puts requests through API Priority and
	// Fairness instead of the plain in-flight limits (on, as upstream).
	EnablePriorityAndFairness bool
	// EnableBootstrapTokenAuth accepts bootstrap tokens (kube-system
	// Secrets of type bootstrap.kubernetes.io/token), off by default as
	// upstream.
	EnableBootstrapTokenAuth bool
	// AnonymousAuth lets requests without credentials in as
	// system:anonymous, for what RBAC lets system:unauthenticated do
	// (health and version); AuthorizationModes are the authorizers after
	// system:masters, in order (--authorization-mode).
	AnonymousAuth      bool
	AuthorizationModes []string
	// ServiceAccountIssuer is the iss of the service account tokens the
	// server signs (with <data-dir>/pki/sa.key); APIAudiences the
	// audiences it accepts, the issuer when empty.
	ServiceAccountIssuer string
	APIAudiences         []string
	// ServiceAccountSigningKeyFile replaces <data-dir>/pki/sa.key;
	// ServiceAccountKeyFiles add keys tokens are verified with (keys being
	// rotated out); ServiceAccountMaxTokenExpiration caps a TokenRequest.
	ServiceAccountSigningKeyFile     string
	ServiceAccountKeyFiles           []string
	ServiceAccountMaxTokenExpiration time.Duration
	// ServiceAccountExtendTokenExpiration makes the tokens kubelets ask
	// for their pods' projected volumes (3607 s, upstream's marker) valid
	// for a year, with a warnafter claim at the hour, so that a kubelet
	// that fails to refresh one does not cut its pod off.
	ServiceAccountExtendTokenExpiration bool

	// The toleration times DefaultTolerationSeconds admission gives pods
	// for the not-ready and unreachable NoExecute taints.
	DefaultNotReadyTolerationSeconds    int64
	DefaultUnreachableTolerationSeconds int64

	// MetricResolution is how often the kubelets' resource metrics are
	// read for metrics.k8s.io (metrics-server's --metric-resolution).
	MetricResolution time.Duration

	// versions holds the effective version and feature gate ServerRun
	// applies; /version reports kybernetes' own version over it.
	versions         basecompatibility.ComponentGlobalsRegistry
	effectiveVersion basecompatibility.MutableEffectiveVersion
}

// NewOptions returns the defaults: data in ~/.kybernetes, serving on
// 127.0.0.1:6443, embedded etcd, upstream's admission plugins in upstream's
// order.
func NewOptions() *Options {
	dataDir := ".kybernetes"
	if home, err := os.UserHomeDir(); err == nil {
		dataDir = filepath.Join(home, ".kybernetes")
	}
	o := &Options{
		DataDir:                   dataDir,
		ServiceClusterIPRange:     "10.96.0.0/12",
		ServiceNodePortRange:      utilnet.PortRange{Base: 30000, Size: 2768},
		ServiceRepairInterval:     3 * time.Minute,
		AnonymousAuth:             true,
		EnablePriorityAndFairness: true,
		OIDC:                      oidc.Defaults(),
		ServiceAccountIssuer:      "https://kubernetes.default.svc.cluster.local",
		AuthorizationModes:        []string{ModeNode, ModeRBAC},

		ServiceAccountExtendTokenExpiration: true,

		DefaultNotReadyTolerationSeconds:    300,
		DefaultUnreachableTolerationSeconds: 300,
		MetricResolution:                    15 * time.Second,
	}
	// A registry of our own, not the process-wide default: the default
	// one would take the binary's version from component-base, which only
	// -ldflags fill in.
	o.versions = basecompatibility.NewComponentGlobalsRegistry()
	o.effectiveVersion = basecompatibility.NewEffectiveVersionFromString(KubeVersion, "", "")
	if err := o.versions.Register(basecompatibility.DefaultKubeComponent, o.effectiveVersion, utilfeature.DefaultMutableFeatureGate); err != nil {
		panic(err) // a fresh registry refuses nothing
	}
	o.ServerRun = genericoptions.NewServerRunOptionsForComponent(basecompatibility.DefaultKubeComponent, o.versions)

	o.SecureServing = genericoptions.NewSecureServingOptions().WithLoopback()
	o.SecureServing.BindAddress = net.IPv4(127, 0, 0, 1)
	o.SecureServing.BindPort = 6443

	o.Etcd = genericoptions.NewEtcdOptions(storagebackend.NewDefaultConfig("/registry", nil))
	o.Etcd.StorageConfig.CompactionInterval = 5 * time.Minute
	o.Etcd.DefaultStorageMediaType = runtime.ContentTypeProtobuf // as kube-apiserver

	o.Admission = &genericoptions.AdmissionOptions{
		Plugins:                admission.NewPlugins(),
		RecommendedPluginOrder: admissionOrder,
		DefaultOffPlugins:      sets.New[string](),
	}
	registerAdmissionPlugins(o.Admission.Plugins, o)
	o.Audit = genericoptions.NewAuditOptions()
	return o
}

// AddFlags registers the options on fs with upstream flag names.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "Directory for etcd data, certificates and the admin kubeconfig.")
	o.ServerRun.AddUniversalFlags(fs)
	o.SecureServing.AddFlags(fs)
	o.Etcd.AddFlags(fs)
	o.Admission.AddFlags(fs)
	o.Audit.AddFlags(fs)
	fs.StringVar(&o.ServiceClusterIPRange, "service-cluster-ip-range", o.ServiceClusterIPRange, "A CIDR notation IP range from which to assign service cluster IPs.")
	fs.Var(&o.ServiceNodePortRange, "service-node-port-range", "A port range to reserve for services with NodePort visibility. Example: '30000-32767'. Inclusive at both ends of the range.")
	fs.Int64Var(&o.DefaultNotReadyTolerationSeconds, "default-not-ready-toleration-seconds", o.DefaultNotReadyTolerationSeconds, "Indicates the tolerationSeconds of the toleration for notReady:NoExecute that is added by default to every pod that does not already have such a toleration.")
	fs.Int64Var(&o.DefaultUnreachableTolerationSeconds, "default-unreachable-toleration-seconds", o.DefaultUnreachableTolerationSeconds, "Indicates the tolerationSeconds of the toleration for unreachable:NoExecute that is added by default to every pod that does not already have such a toleration.")
	fs.DurationVar(&o.MetricResolution, "metric-resolution", o.MetricResolution, "The resolution at which the kubelets' resource metrics are read for metrics.k8s.io (kubectl top, autoscaling).")
	fs.StringVar(&o.TokenAuthFile, "token-auth-file", o.TokenAuthFile, "If set, the file that will be used to secure the secure port of the API server via token authentication (CSV: token,user,uid,\"group1,group2\").")
	o.OIDC.AddFlags(fs)
	fs.BoolVar(&o.EnablePriorityAndFairness, "enable-priority-and-fairness", o.EnablePriorityAndFairness, "If true, replace the max-in-flight handler with an enhanced one that queues and dispatches with priority and fairness")
	fs.BoolVar(&o.EnableBootstrapTokenAuth, "enable-bootstrap-token-auth", o.EnableBootstrapTokenAuth, "Enable to allow secrets of type 'bootstrap.kubernetes.io/token' in the 'kube-system' namespace to be used for TLS bootstrapping authentication.")
	fs.BoolVar(&o.AnonymousAuth, "anonymous-auth", o.AnonymousAuth, "Enables anonymous requests to the secure port of the API server. Requests that are not rejected by another authentication method are treated as anonymous requests. Anonymous requests have a username of system:anonymous, and a group name of system:unauthenticated.")
	fs.StringSliceVar(&o.AuthorizationModes, "authorization-mode", o.AuthorizationModes, "Ordered list of plug-ins to do authorization on secure port. Comma-delimited list of: "+strings.Join(authorizationModes, ",")+".")
	fs.StringVar(&o.ServiceAccountIssuer, "service-account-issuer", o.ServiceAccountIssuer, "Identifier of the service account token issuer. The issuer will assert this identifier in \"iss\" claim of issued tokens.")
	fs.StringVar(&o.ServiceAccountSigningKeyFile, "service-account-signing-key-file", o.ServiceAccountSigningKeyFile, "Path to the file that contains the current private key of the service account token issuer (ECDSA P-256 or RSA, PEM). When empty, <data-dir>/pki/sa.key, made on first start.")
	fs.StringSliceVar(&o.ServiceAccountKeyFiles, "service-account-key-file", o.ServiceAccountKeyFiles, "File containing PEM-encoded x509 RSA or ECDSA private or public keys, used to verify service account tokens besides the signing key's. May be given multiple times.")
	fs.BoolVar(&o.ServiceAccountExtendTokenExpiration, "service-account-extend-token-expiration", o.ServiceAccountExtendTokenExpiration, "Turns on projected service account expiration extension during token generation, which helps safe transition from legacy token to bound service account token feature. If this flag is enabled, admission injected tokens would be extended up to 1 year to prevent unexpected failure during transition, ignoring value of service-account-max-token-expiration.")
	fs.DurationVar(&o.ServiceAccountMaxTokenExpiration, "service-account-max-token-expiration", o.ServiceAccountMaxTokenExpiration, "The maximum validity duration of a token created by the service account token issuer. A TokenRequest asking for longer gets this. 0 means no maximum.")
	fs.StringSliceVar(&o.APIAudiences, "api-audiences", o.APIAudiences, "Identifiers of the API. The service account token authenticator will validate that tokens used against the API are bound to at least one of these audiences. Defaults to --service-account-issuer.")
	// Differences from upstream, said where a user reads them.
	if f := fs.Lookup("secure-port"); f != nil {
		f.Usage = "The port on which to serve HTTPS with authentication and authorization (0 picks a free port)."
	}
	if f := fs.Lookup("etcd-servers"); f != nil {
		f.Usage = "List of etcd servers to connect with (scheme://ip:port), comma separated. When empty, an etcd member is embedded, its data in --data-dir."
	}
	if f := fs.Lookup("tls-cert-file"); f != nil {
		f.Usage = "File containing the default x509 certificate for HTTPS (CA cert, if any, concatenated after server cert). When empty, a certificate signed by the cluster CA in --data-dir is used."
	}
}

// CompletedOptions are options with their defaults filled in and checked;
// only Complete makes them.
type CompletedOptions struct{ *Options }

// Complete fills in what depends on other options and checks everything,
// reporting every problem at once. It has no side effects.
func (o *Options) Complete() (*CompletedOptions, error) {
	if err := o.versions.Set(); err != nil {
		return nil, err
	}
	if o.SecureServing.ServerCert.CertKey.CertFile == "" && o.SecureServing.ServerCert.CertKey.KeyFile == "" {
		o.SecureServing.ServerCert.CertKey.CertFile = filepath.Join(o.pkiDir(), pki.ServingCert)
		o.SecureServing.ServerCert.CertKey.KeyFile = filepath.Join(o.pkiDir(), pki.ServingKey)
	}
	if a := o.ServerRun.AdvertiseAddress; a == nil || a.IsUnspecified() {
		o.ServerRun.AdvertiseAddress = o.defaultAdvertiseIP()
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &CompletedOptions{o}, nil
}

// Validate reports every invalid option at once.
func (o *Options) Validate() error {
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir must not be empty"))
	}
	if p := o.SecureServing.BindPort; p < 0 || p > 65535 {
		errs = append(errs, fmt.Errorf("--secure-port %d must be between 0 and 65535", p))
	}
	if _, _, err := net.ParseCIDR(o.ServiceClusterIPRange); err != nil {
		errs = append(errs, fmt.Errorf("--service-cluster-ip-range: %w", err))
	}
	transport := o.Etcd.StorageConfig.Transport
	if len(transport.ServerList) == 0 && (transport.TrustedCAFile != "" || transport.CertFile != "" || transport.KeyFile != "") {
		errs = append(errs, fmt.Errorf("--etcd-cafile, --etcd-certfile and --etcd-keyfile need --etcd-servers"))
	}
	if o.TokenAuthFile != "" {
		if _, err := os.Stat(o.TokenAuthFile); err != nil {
			errs = append(errs, fmt.Errorf("--token-auth-file: %w", err))
		}
	}
	errs = append(errs, validateAuthorizationModes(o.AuthorizationModes)...)
	errs = append(errs, o.OIDC.Validate()...)
	if m := o.ServiceAccountMaxTokenExpiration; m != 0 && m < time.Hour {
		errs = append(errs, fmt.Errorf("--service-account-max-token-expiration %s: the minimum is 1h", m))
	}
	if o.ServiceAccountIssuer == "" {
		errs = append(errs, fmt.Errorf("--service-account-issuer must not be empty"))
	}
	if o.MetricResolution <= 0 {
		errs = append(errs, fmt.Errorf("--metric-resolution %s must be positive", o.MetricResolution))
	}
	errs = append(errs, o.ServerRun.Validate()...)
	errs = append(errs, o.Admission.Validate()...)
	errs = append(errs, o.Audit.Validate()...)
	// Without --etcd-servers the member is embedded: the library's "must be
	// specified" does not apply, so check a copy that names a placeholder.
	etcdOptions := *o.Etcd
	if len(transport.ServerList) == 0 {
		etcdOptions.StorageConfig.Transport.ServerList = []string{"https://embedded:2379"}
	}
	errs = append(errs, etcdOptions.Validate()...)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid options: %w", errors.Join(errs...))
}

// defaultAdvertiseIP is --bind-address, or 127.0.0.1 when that is
// unspecified.
func (o *Options) defaultAdvertiseIP() net.IP {
	if b := o.SecureServing.BindAddress; b != nil && !b.IsUnspecified() {
		return b
	}
	return net.IPv4(127, 0, 0, 1)
}

// advertiseIP is the address clients and certificates use for this server.
func (o *Options) advertiseIP() net.IP {
	if a := o.ServerRun.AdvertiseAddress; a != nil && !a.IsUnspecified() {
		return a
	}
	return o.defaultAdvertiseIP()
}

// apiAudiences are --api-audiences, or the issuer.
func (o *Options) apiAudiences() []string {
	if len(o.APIAudiences) > 0 {
		return o.APIAudiences
	}
	return []string{o.ServiceAccountIssuer}
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

// ClusterCA is the certificate and key of the cluster CA in the data
// directory, which signs the server's certificates and the client
// certificates it trusts; the controller manager in `kybernetes server`
// signs CertificateSigningRequests with it.
func (o *Options) ClusterCA() (certFile, keyFile string) {
	return filepath.Join(o.pkiDir(), pki.CACert), filepath.Join(o.pkiDir(), pki.CAKey)
}

// ServiceAccountKeyFile is the key that signs service account tokens:
// --service-account-signing-key-file, else the one in the data directory.
func (o *Options) ServiceAccountKeyFile() string {
	if o.ServiceAccountSigningKeyFile != "" {
		return o.ServiceAccountSigningKeyFile
	}
	return filepath.Join(o.pkiDir(), "sa.key")
}

// ControllerManagerKubeconfigPath is the controller manager's kubeconfig.
func (o *Options) ControllerManagerKubeconfigPath() string {
	return filepath.Join(o.DataDir, "controller-manager.kubeconfig")
}

// SchedulerKubeconfigPath is the scheduler's kubeconfig.
func (o *Options) SchedulerKubeconfigPath() string {
	return filepath.Join(o.DataDir, "scheduler.kubeconfig")
}

// KubeletKubeconfigPath is the kubeconfig of this machine's kubelet.
func (o *Options) KubeletKubeconfigPath() string {
	return filepath.Join(o.DataDir, "kubelet.kubeconfig")
}

// ProxyKubeconfigPath is the kubeconfig of node proxies.
func (o *Options) ProxyKubeconfigPath() string {
	return filepath.Join(o.DataDir, "proxy.kubeconfig")
}

// NodeName is this machine's node name, as the kubelet names its Node
// unless --hostname-override says otherwise: the lower-cased host name.
func NodeName() string {
	name, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return strings.ToLower(name)
}
