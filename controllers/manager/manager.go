// Package manager runs the kybernetes controllers against an API server, on
// one set of shared informers, while this process holds the controller
// manager's leader lease (when leader election is on).
package manager

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/wait"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/leaderelection"
	cloudprovider "k8s.io/cloud-provider"
	cloudnodelifecycle "k8s.io/cloud-provider/controllers/nodelifecycle"
	"k8s.io/cloud-provider/controllers/route"
	"k8s.io/cloud-provider/controllers/service"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"

	// Registers the feature gates upstream's route controller asks about.
	_ "k8s.io/controller-manager/pkg/features/register"
	"k8s.io/klog/v2"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
	custommetrics "k8s.io/metrics/pkg/client/custom_metrics"
	externalmetrics "k8s.io/metrics/pkg/client/external_metrics"
	"k8s.io/utils/clock"

	kybcloud "github.com/kybernetes/kybernetes/cloudprovider"
	"github.com/kybernetes/kybernetes/controllers/admissionpolicystatus"
	"github.com/kybernetes/kybernetes/controllers/certificates/approver"
	"github.com/kybernetes/kybernetes/controllers/certificates/signer"
	"github.com/kybernetes/kybernetes/controllers/clusterroleaggregation"
	"github.com/kybernetes/kybernetes/controllers/cronjob"
	"github.com/kybernetes/kybernetes/controllers/daemonset"
	"github.com/kybernetes/kybernetes/controllers/deployment"
	"github.com/kybernetes/kybernetes/controllers/disruption"
	"github.com/kybernetes/kybernetes/controllers/endpoints"
	"github.com/kybernetes/kybernetes/controllers/endpointslicemirroring"
	"github.com/kybernetes/kybernetes/controllers/garbagecollector"
	"github.com/kybernetes/kybernetes/controllers/job"
	"github.com/kybernetes/kybernetes/controllers/lib/clientconfig"
	"github.com/kybernetes/kybernetes/controllers/lib/health"
	"github.com/kybernetes/kybernetes/controllers/lib/leader"
	"github.com/kybernetes/kybernetes/controllers/localpath"
	"github.com/kybernetes/kybernetes/controllers/namespace"
	"github.com/kybernetes/kybernetes/controllers/nodeipam"
	"github.com/kybernetes/kybernetes/controllers/nodelifecycle"
	"github.com/kybernetes/kybernetes/controllers/podautoscaler"
	"github.com/kybernetes/kybernetes/controllers/podgc"
	"github.com/kybernetes/kybernetes/controllers/replicaset"
	"github.com/kybernetes/kybernetes/controllers/resourcequota"
	"github.com/kybernetes/kybernetes/controllers/rootcacert"
	"github.com/kybernetes/kybernetes/controllers/serviceaccount"
	"github.com/kybernetes/kybernetes/controllers/serviceaccount/tokens"
	"github.com/kybernetes/kybernetes/controllers/statefulset"
	"github.com/kybernetes/kybernetes/controllers/tainteviction"
	"github.com/kybernetes/kybernetes/controllers/volumebinder"
	"github.com/kybernetes/kybernetes/registry/serviceaccount/token"
)

// Options are the controller manager's settings, with upstream's names
// and defaults.
type Options struct {
	// Leader election on the kube-system/kube-controller-manager Lease.
	leader.Options

	// SecurePort serves /healthz, /livez and /readyz over HTTPS on
	// BindAddress (0: not at all; `kybernetes controller-manager` uses
	// upstream's 10257).
	SecurePort  int
	BindAddress string
	// HealthPortOptional makes a SecurePort in use cost only the health
	// checks, not the run (kybernetes server, where another server on the
	// same host may hold upstream's port).
	HealthPortOptional bool

	// Node health: upstream's --node-monitor-period,
	// --node-monitor-grace-period and --node-startup-grace-period.
	NodeLifecycle nodelifecycle.Options
	// AllocateNodeCIDRs gives each node a subnet of ClusterCIDR of
	// NodeCIDRMaskSize bits (on here by default: the kubelets' CNI
	// configuration needs one).
	AllocateNodeCIDRs bool
	ClusterCIDR       string
	NodeCIDRMaskSize  int
	// TerminatedPodGCThreshold is how many terminated pods may exist
	// before the oldest are deleted (0: no limit).
	TerminatedPodGCThreshold int
	// PodGCPeriod is how often the pod garbage collector looks (upstream's
	// fixed 20 s; no flag, tests shorten it).
	PodGCPeriod time.Duration
	// RootCAFile is the CA bundle published in every namespace as the
	// kube-root-ca.crt ConfigMap (upstream's --root-ca-file); empty means
	// the CA this manager trusts the API server with.
	RootCAFile string
	// ResourceQuotaSyncPeriod is how often every quota's usage is
	// recomputed in full.
	ResourceQuotaSyncPeriod time.Duration
	// MaxEndpointsPerSlice caps the endpoints of one EndpointSlice.
	MaxEndpointsPerSlice int
	// HorizontalPodAutoscaler is the autoscaler controller's settings
	// (upstream's --horizontal-pod-autoscaler-* flags), and
	// ConcurrentHPASyncs how many autoscalers it syncs at once.
	HorizontalPodAutoscaler podautoscaler.Options
	ConcurrentHPASyncs      int

	// ClusterSigningCertFile and ClusterSigningKeyFile are the CA that signs
	// approved CertificateSigningRequests for Kubernetes' signers
	// (upstream's --cluster-signing-cert-file and -key-file; without them
	// nothing is signed), for at most ClusterSigningDuration.
	ClusterSigningCertFile string
	ClusterSigningKeyFile  string
	ClusterSigningDuration time.Duration

	// The cloud: upstream's --cloud-provider (empty: none) and
	// --cloud-config; with ConfigureCloudRoutes (and AllocateNodeCIDRs)
	// the provider's routes to the pod CIDRs are kept, every
	// RouteReconciliationPeriod, by upstream's route controller.
	CloudProvider             string
	CloudConfig               string
	ClusterName               string
	ConfigureCloudRoutes      bool
	RouteReconciliationPeriod time.Duration

	// ServiceAccountPrivateKeyFile signs the tokens of
	// kubernetes.io/service-account-token Secrets (upstream's
	// --service-account-private-key-file; without it they stay empty).
	ServiceAccountPrivateKeyFile string

	// UseServiceAccountCredentials runs each controller as the kube-system
	// service account of its name, bound to the system:controller: role
	// of that name (upstream's --use-service-account-credentials).
	UseServiceAccountCredentials bool

	// DefaultLocalStoragePath is where the built-in local-path provisioner
	// makes its volumes (k3s's flag name; empty: no provisioner). With it
	// the local-path StorageClass is made at start.
	DefaultLocalStoragePath string
}

// DefaultOptions are kube-controller-manager's leader-election defaults.
func DefaultOptions() Options {
	return Options{
		Options:           leader.Defaults("kube-controller-manager"),
		BindAddress:       "0.0.0.0",
		NodeLifecycle:     nodelifecycle.DefaultOptions(),
		AllocateNodeCIDRs: true, ClusterCIDR: "10.244.0.0/16", NodeCIDRMaskSize: 24,
		TerminatedPodGCThreshold: 12500, PodGCPeriod: 20 * time.Second,
		ResourceQuotaSyncPeriod: 5 * time.Minute,
		MaxEndpointsPerSlice:    endpoints.DefaultMaxEndpointsPerSlice,
		HorizontalPodAutoscaler: podautoscaler.DefaultOptions(), ConcurrentHPASyncs: 5,
		ClusterName: "kubernetes", ConfigureCloudRoutes: true, RouteReconciliationPeriod: 10 * time.Second,
		ClusterSigningDuration: 365 * 24 * time.Hour,
	}
}

// Run runs the controllers until ctx is done (or, with leader election,
// until the lease is lost).
func Run(ctx context.Context, config *rest.Config, opts Options) error {
	// client-go's default of 5 requests per second makes emptying a
	// namespace (two requests per resource type) take seconds.
	config = clientconfig.For(config, "kybernetes-controller-manager", 100, 200)
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	// The leader election check fails when this process leads but has not
	// renewed its lease for 20 s past the lease's expiry: it is stuck.
	electionHealth := leaderelection.NewLeaderHealthzAdaptor(20 * time.Second)
	loop := health.NewLoop("controllers")
	if opts.SecurePort > 0 {
		if err := health.Serve(ctx, opts.BindAddress, opts.SecurePort, electionHealth, loop); err != nil {
			if !opts.HealthPortOptional {
				return err
			}
			klog.ErrorS(err, "not serving health checks")
		}
	}
	err = leader.Run(ctx, client, opts.Options, electionHealth, func(ctx context.Context) error {
		err := runControllers(ctx, config, client, opts)
		loop.Stopped(err)
		return err
	})
	loop.Stopped(err)
	return err
}

// runControllers starts every controller on shared informers and blocks
// until ctx is done.
func runControllers(ctx context.Context, config *rest.Config, client kubernetes.Interface, opts Options) error {
	// Each controller gets a client of its own, as upstream's do: each has
	// its own request budget (QPS), so that one busy controller does not
	// slow the others, its own user agent in the API server's logs and,
	// with service account credentials, its own identity and role.
	ids := newIdentities(config, client, opts.UseServiceAccountCredentials)
	clientFor := ids.client
	dyn, err := dynamic.NewForConfig(ids.config("namespace-controller"))
	if err != nil {
		return err
	}
	rootCA, err := rootCABundle(config, opts.RootCAFile)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 12*time.Hour)
	namespaces := namespace.New(clientFor("namespace-controller"), dyn, factory.Core().V1().Namespaces())
	serviceAccounts := serviceaccount.New(clientFor("service-account-controller"), factory.Core().V1().Namespaces(), factory.Core().V1().ServiceAccounts())
	rootCAPublisher := rootcacert.New(clientFor("root-ca-cert-publisher"), rootCA, factory.Core().V1().Namespaces(), factory.Core().V1().ConfigMaps())
	replicaSets := replicaset.New(clientFor("replicaset-controller"), factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods())
	replicationControllers := replicaset.NewForReplicationControllers(clientFor("replication-controller"), factory.Core().V1().ReplicationControllers(), factory.Core().V1().Pods())
	mirroringController := endpointslicemirroring.New(clientFor("endpointslicemirroring-controller"), factory.Core().V1().Services(), factory.Core().V1().Endpoints(), factory.Discovery().V1().EndpointSlices())
	if opts.MaxEndpointsPerSlice < 1 || opts.MaxEndpointsPerSlice > 1000 {
		return fmt.Errorf("--max-endpoints-per-slice %d: must be between 1 and 1000", opts.MaxEndpointsPerSlice)
	}
	endpointsController := endpoints.New(clientFor("endpoint-controller"), factory.Core().V1().Services(), factory.Core().V1().Pods(), factory.Discovery().V1().EndpointSlices())
	endpointsController.MaxEndpointsPerSlice = opts.MaxEndpointsPerSlice
	daemonSets := daemonset.New(clientFor("daemon-set-controller"), factory.Apps().V1().DaemonSets(), factory.Core().V1().Pods(),
		factory.Core().V1().Nodes(), factory.Apps().V1().ControllerRevisions())
	statefulSets := statefulset.New(clientFor("statefulset-controller"), factory.Apps().V1().StatefulSets(), factory.Core().V1().Pods(),
		factory.Core().V1().PersistentVolumeClaims(), factory.Apps().V1().ControllerRevisions(), clock.RealClock{})
	deployments := deployment.New(clientFor("deployment-controller"), factory.Apps().V1().Deployments(), factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods())
	jobs := job.New(clientFor("job-controller"), factory.Batch().V1().Jobs(), factory.Core().V1().Pods())
	cronJobs := cronjob.New(clientFor("cronjob-controller"), factory.Batch().V1().CronJobs(), factory.Batch().V1().Jobs(), clock.RealClock{})
	nodeLifecycle, err := nodelifecycle.New(clientFor("node-controller"), factory.Core().V1().Nodes(), factory.Coordination().V1().Leases(),
		factory.Core().V1().Pods(), opts.NodeLifecycle, clock.RealClock{})
	if err != nil {
		return err
	}
	taintEviction, err := tainteviction.New(clientFor("node-controller"), factory.Core().V1().Pods(), factory.Core().V1().Nodes(), clock.RealClock{})
	if err != nil {
		return err
	}
	var nodeIPAM *nodeipam.Controller
	if opts.AllocateNodeCIDRs {
		if nodeIPAM, err = nodeipam.New(clientFor("node-controller"), factory.Core().V1().Nodes(), opts.ClusterCIDR, opts.NodeCIDRMaskSize); err != nil {
			return err
		}
	}
	cloud, err := kybcloud.Init(opts.CloudProvider, opts.CloudConfig)
	if err != nil {
		return err
	}
	routes, err := newRouteController(cloud, clientFor("route-controller"), factory, opts)
	if err != nil {
		return err
	}
	loadBalancers, err := newServiceController(cloud, clientFor("service-controller"), factory, opts)
	if err != nil {
		return err
	}
	cloudNodes, err := newCloudNodeLifecycleController(cloud, clientFor("node-controller"), factory, opts)
	if err != nil {
		return err
	}
	volumes := volumebinder.New(clientFor("persistent-volume-binder"), factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().PersistentVolumes(),
		factory.Storage().V1().StorageClasses(), factory.Core().V1().Pods())
	var localVolumes *localpath.Controller
	if opts.DefaultLocalStoragePath != "" {
		localVolumes, err = localpath.New(clientFor("local-path-provisioner"), localpath.Options{Root: opts.DefaultLocalStoragePath, EnsureDefaultClass: true},
			factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().PersistentVolumes(), factory.Storage().V1().StorageClasses(), factory.Core().V1().Nodes())
		if err != nil {
			return fmt.Errorf("--default-local-storage-path: %w", err)
		}
	}
	podGC := podgc.New(clientFor("pod-garbage-collector"), factory.Core().V1().Pods(), factory.Core().V1().Nodes(), opts.TerminatedPodGCThreshold, opts.PodGCPeriod)
	collectorMetadata, err := metadata.NewForConfig(ids.config("generic-garbage-collector"))
	if err != nil {
		return err
	}
	collector, err := garbagecollector.New(collectorMetadata, client.Discovery())
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	quotaMetadata, err := metadata.NewForConfig(ids.config("resourcequota-controller"))
	if err != nil {
		return err
	}
	quotas, err := resourcequota.New(clientFor("resourcequota-controller"), quotaMetadata, mapper, factory, opts.ResourceQuotaSyncPeriod)
	if err != nil {
		return err
	}
	// A kind that appears later (a new API group) is found once the
	// mapper forgets what it read, as upstream resets it.
	go wait.UntilWithContext(ctx, func(context.Context) { mapper.Reset() }, 30*time.Second)
	autoscalers, err := newAutoscalerController(ctx, ids.config("horizontal-pod-autoscaler"), clientFor("horizontal-pod-autoscaler"), mapper, factory, opts)
	if err != nil {
		return err
	}
	disruptionScales, err := scale.NewForConfig(ids.config("disruption-controller"), mapper, dynamic.LegacyAPIPathResolverFunc, scale.NewDiscoveryScaleKindResolver(client.Discovery()))
	if err != nil {
		return err
	}
	disruptions := disruption.New(clientFor("disruption-controller"), factory.Policy().V1().PodDisruptionBudgets(), factory.Core().V1().Pods(),
		factory.Apps().V1().ReplicaSets(), disruptionScales, mapper, clock.RealClock{})
	csrApprover := approver.New(clientFor("certificate-controller"), factory.Certificates().V1().CertificateSigningRequests())
	var csrSigner *signer.Controller
	if opts.ClusterSigningCertFile != "" || opts.ClusterSigningKeyFile != "" {
		csrSigner, err = signer.New(clientFor("certificate-controller"), factory.Certificates().V1().CertificateSigningRequests(),
			opts.ClusterSigningCertFile, opts.ClusterSigningKeyFile, opts.ClusterSigningDuration)
		if err != nil {
			return err
		}
	} else {
		klog.InfoS("Not signing CertificateSigningRequests: no --cluster-signing-cert-file and --cluster-signing-key-file")
	}
	policyStatus := admissionpolicystatus.New(clientFor(admissionpolicystatus.Name), factory.Admissionregistration().V1().ValidatingAdmissionPolicies(), mapper)
	var legacyTokens *tokens.Controller
	if opts.ServiceAccountPrivateKeyFile != "" {
		key, err := token.LoadSigningKey(opts.ServiceAccountPrivateKeyFile)
		if err != nil {
			return fmt.Errorf("--service-account-private-key-file: %w", err)
		}
		// With the manager's own credentials, as upstream's: it reads and
		// writes every account's Secrets.
		tokensClient, err := kubernetes.NewForConfig(withAgent(config, "tokens-controller"))
		if err != nil {
			return err
		}
		legacyTokens = tokens.New(tokensClient, &token.Issuer{Key: key}, rootCA, factory.Core().V1().ServiceAccounts(), factory.Core().V1().Secrets())
	} else {
		klog.InfoS("Not filling service account token Secrets: no --service-account-private-key-file")
	}
	roleAggregation := clusterroleaggregation.New(clientFor("clusterrole-aggregation-controller"), factory.Rbac().V1().ClusterRoles())
	if err := ids.err(); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	go roleAggregation.Run(ctx, 1)
	go csrApprover.Run(ctx, 5)
	go policyStatus.Run(ctx, 5)
	if csrSigner != nil {
		go csrSigner.Run(ctx, 5)
	}
	go serviceAccounts.Run(ctx, 2)
	if legacyTokens != nil {
		go legacyTokens.Run(ctx, 2)
	}
	go rootCAPublisher.Run(ctx, 1)
	go replicaSets.Run(ctx, 5)
	go replicationControllers.Run(ctx, 5)
	go endpointsController.Run(ctx, 5)
	go mirroringController.Run(ctx, 5)
	go deployments.Run(ctx, 5)
	go daemonSets.Run(ctx, 2)
	go statefulSets.Run(ctx, 5)
	go jobs.Run(ctx, 5)
	go cronJobs.Run(ctx, 2)
	go collector.Run(ctx, 5)
	go nodeLifecycle.Run(ctx)
	go taintEviction.Run(ctx, 5)
	if nodeIPAM != nil {
		go nodeIPAM.Run(ctx)
	}
	go podGC.Run(ctx)
	cloudMetrics := controllersmetrics.NewControllerManagerMetrics("kube-controller-manager")
	if routes != nil {
		go routes.Run(ctx, opts.RouteReconciliationPeriod, cloudMetrics)
	}
	if loadBalancers != nil {
		go loadBalancers.Run(ctx, 1, cloudMetrics)
	}
	if cloudNodes != nil {
		go cloudNodes.Run(ctx, cloudMetrics)
	}
	go quotas.Run(ctx, 5)
	go autoscalers.Run(ctx, opts.ConcurrentHPASyncs)
	go disruptions.Run(ctx, 2)
	go volumes.Run(ctx, 2)
	if localVolumes != nil {
		go localVolumes.Run(ctx, 2)
	}
	namespaces.Run(ctx, 2)
	return nil
}

// newRouteController is upstream's route controller over the cloud's
// routes, when --cloud-provider names a cloud that has them, node CIDRs
// are allocated and --configure-cloud-routes is on; otherwise nil.
func newRouteController(cloud cloudprovider.Interface, client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*route.RouteController, error) {
	if cloud == nil {
		return nil, nil
	}
	routes, ok := cloud.Routes()
	if !ok || !opts.AllocateNodeCIDRs || !opts.ConfigureCloudRoutes {
		return nil, nil
	}
	_, clusterCIDR, err := net.ParseCIDR(opts.ClusterCIDR)
	if err != nil {
		return nil, fmt.Errorf("--cluster-cidr: %w", err)
	}
	return route.New(routes, client, factory.Core().V1().Nodes(), opts.ClusterName, []*net.IPNet{clusterCIDR})
}

// newServiceController is upstream's service (load balancer) controller
// over the cloud's load balancers, when the cloud has them; otherwise nil.
func newServiceController(cloud cloudprovider.Interface, client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*service.Controller, error) {
	if cloud == nil {
		return nil, nil
	}
	if _, ok := cloud.LoadBalancer(); !ok {
		return nil, nil
	}
	return service.New(cloud, client, factory.Core().V1().Services(), factory.Core().V1().Nodes(), opts.ClusterName, utilfeature.DefaultFeatureGate)
}

// newCloudNodeLifecycleController is upstream's cloud node lifecycle
// controller (a NotReady node whose instance is gone is deleted), when
// the cloud has instances; otherwise nil.
func newCloudNodeLifecycleController(cloud cloudprovider.Interface, client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*cloudnodelifecycle.CloudNodeLifecycleController, error) {
	if cloud == nil {
		return nil, nil
	}
	if _, ok := cloud.InstancesV2(); !ok {
		return nil, nil
	}
	return cloudnodelifecycle.NewCloudNodeLifecycleController(factory.Core().V1().Nodes(), client, cloud, opts.NodeLifecycle.MonitorPeriod, 1)
}

// newAutoscalerController is the horizontal pod autoscaler controller, on
// the autoscaler's client configuration,
// scaling any resource with a scale subresource, reading the resource
// metrics the API server serves and the custom and external metrics APIs
// when an adapter serves them.
func newAutoscalerController(ctx context.Context, config *rest.Config, client kubernetes.Interface, mapper *restmapper.DeferredDiscoveryRESTMapper,
	factory informers.SharedInformerFactory, opts Options) (*podautoscaler.Controller, error) {
	if opts.HorizontalPodAutoscaler.SyncPeriod <= 0 {
		return nil, fmt.Errorf("--horizontal-pod-autoscaler-sync-period %s: must be positive", opts.HorizontalPodAutoscaler.SyncPeriod)
	}
	scales, err := scale.NewForConfig(config, mapper, dynamic.LegacyAPIPathResolverFunc, scale.NewDiscoveryScaleKindResolver(client.Discovery()))
	if err != nil {
		return nil, err
	}
	resourceMetrics, err := metricsclient.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	externalMetrics, err := externalmetrics.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	customVersions := custommetrics.NewAvailableAPIsGetter(client.Discovery())
	go custommetrics.PeriodicallyInvalidate(customVersions, opts.HorizontalPodAutoscaler.SyncPeriod, ctx.Done())
	metrics := &podautoscaler.RESTMetrics{
		Resource: resourceMetrics.MetricsV1beta1(),
		Custom:   custommetrics.NewForConfig(config, mapper, customVersions),
		External: externalMetrics,
	}
	return podautoscaler.New(client, scales, mapper, metrics, factory.Autoscaling().V2().HorizontalPodAutoscalers(), factory.Core().V1().Pods(),
		opts.HorizontalPodAutoscaler, clock.RealClock{}), nil
}

// withAgent is config for one controller's clients: its name in the
// user agent.
func withAgent(config *rest.Config, name string) *rest.Config {
	config = rest.CopyConfig(config)
	config.UserAgent += "/" + name
	return config
}

// rootCABundle reads the bundle to publish: the --root-ca-file, else the CA
// in the manager's own client configuration, as upstream.
func rootCABundle(config *rest.Config, file string) ([]byte, error) {
	if file == "" && len(config.CAData) > 0 {
		return config.CAData, nil
	}
	if file == "" {
		file = config.CAFile
	}
	if file == "" {
		return nil, fmt.Errorf("no CA bundle to publish as %s: set --root-ca-file", rootcacert.ConfigMapName)
	}
	bundle, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the root CA bundle: %w", err)
	}
	return bundle, nil
}

// AddFlags registers upstream's leader-election flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	o.Options.AddFlags(fs)
	fs.DurationVar(&o.NodeLifecycle.MonitorPeriod, "node-monitor-period", o.NodeLifecycle.MonitorPeriod, "How often the node lifecycle controller checks node health.")
	fs.DurationVar(&o.NodeLifecycle.GracePeriod, "node-monitor-grace-period", o.NodeLifecycle.GracePeriod, "Amount of time which we allow running Node to be unresponsive before marking it unhealthy.")
	fs.DurationVar(&o.NodeLifecycle.StartupGracePeriod, "node-startup-grace-period", o.NodeLifecycle.StartupGracePeriod, "Amount of time which we allow starting Node to be unresponsive before marking it unhealthy.")
	fs.BoolVar(&o.AllocateNodeCIDRs, "allocate-node-cidrs", o.AllocateNodeCIDRs, "Should CIDRs for Pods be allocated and set on the nodes.")
	fs.StringVar(&o.ClusterCIDR, "cluster-cidr", o.ClusterCIDR, "CIDR Range for Pods in cluster.")
	fs.IntVar(&o.NodeCIDRMaskSize, "node-cidr-mask-size", o.NodeCIDRMaskSize, "Mask size for node cidr in cluster.")
	fs.StringVar(&o.RootCAFile, "root-ca-file", o.RootCAFile, "PEM CA bundle published in every namespace as the kube-root-ca.crt ConfigMap (default: the CA the controller manager trusts the API server with).")
	fs.StringVar(&o.ClusterSigningCertFile, "cluster-signing-cert-file", o.ClusterSigningCertFile, "Filename containing a PEM-encoded X509 CA certificate used to issue cluster-scoped certificates for the kubernetes.io signers.")
	fs.StringVar(&o.ClusterSigningKeyFile, "cluster-signing-key-file", o.ClusterSigningKeyFile, "Filename containing a PEM-encoded RSA or ECDSA private key used to sign cluster-scoped certificates for the kubernetes.io signers.")
	fs.DurationVar(&o.ClusterSigningDuration, "cluster-signing-duration", o.ClusterSigningDuration, "The max length of duration signed certificates will be given. Individual CSRs may request shorter certs by setting spec.expirationSeconds.")
	fs.StringVar(&o.CloudProvider, "cloud-provider", o.CloudProvider, "The provider for cloud services. Empty string for no provider; built in: local (the machine of kybernetes up: routes between its node namespaces).")
	fs.StringVar(&o.CloudConfig, "cloud-config", o.CloudConfig, "The path to the cloud provider configuration file. Empty string for no configuration file.")
	fs.StringVar(&o.ClusterName, "cluster-name", o.ClusterName, "The instance prefix for the cluster.")
	fs.BoolVar(&o.ConfigureCloudRoutes, "configure-cloud-routes", o.ConfigureCloudRoutes, "Should CIDRs allocated by allocate-node-cidrs be configured on the cloud provider.")
	fs.DurationVar(&o.RouteReconciliationPeriod, "route-reconciliation-period", o.RouteReconciliationPeriod, "The period for reconciling routes created for Nodes by cloud provider.")
	fs.IntVar(&o.MaxEndpointsPerSlice, "max-endpoints-per-slice", o.MaxEndpointsPerSlice, "The maximum number of endpoints that will be added to an EndpointSlice. More endpoints per slice will result in less endpoint slices, but larger resources. Defaults to 100.")
	fs.DurationVar(&o.ResourceQuotaSyncPeriod, "resource-quota-sync-period", o.ResourceQuotaSyncPeriod, "The period for syncing quota usage status in the system")
	hpa := &o.HorizontalPodAutoscaler
	fs.DurationVar(&hpa.SyncPeriod, "horizontal-pod-autoscaler-sync-period", hpa.SyncPeriod, "The period for syncing the number of pods in horizontal pod autoscaler.")
	fs.Float64Var(&hpa.Tolerance, "horizontal-pod-autoscaler-tolerance", hpa.Tolerance, "The minimum change (from 1.0) in the desired-to-actual metrics ratio for the horizontal pod autoscaler to consider scaling.")
	fs.DurationVar(&hpa.DownscaleStabilization, "horizontal-pod-autoscaler-downscale-stabilization", hpa.DownscaleStabilization, "The period for which autoscaler will look backwards and not scale down below any recommendation it made during that period.")
	fs.DurationVar(&hpa.CPUInitializationPeriod, "horizontal-pod-autoscaler-cpu-initialization-period", hpa.CPUInitializationPeriod, "The period after pod start when CPU samples might be skipped.")
	fs.DurationVar(&hpa.InitialReadinessDelay, "horizontal-pod-autoscaler-initial-readiness-delay", hpa.InitialReadinessDelay, "The period after pod start during which readiness changes will be treated as initial readiness.")
	fs.IntVar(&o.ConcurrentHPASyncs, "concurrent-horizontal-pod-autoscaler-syncs", o.ConcurrentHPASyncs, "The number of horizontal pod autoscaler objects that are allowed to sync concurrently. Larger number = more responsive horizontal pod autoscaler objects processing, but more CPU (and network) load.")
	fs.StringVar(&o.ServiceAccountPrivateKeyFile, "service-account-private-key-file", o.ServiceAccountPrivateKeyFile, "Filename containing a PEM-encoded private RSA or ECDSA key used to sign service account tokens.")
	fs.BoolVar(&o.UseServiceAccountCredentials, "use-service-account-credentials", o.UseServiceAccountCredentials, "If true, use individual service account credentials for each controller.")
	fs.StringVar(&o.DefaultLocalStoragePath, "default-local-storage-path", o.DefaultLocalStoragePath, "Directory the built-in local-path provisioner makes volumes in, for the local-path StorageClass it creates (empty: no provisioner; kybernetes server: <data-dir>/volumes).")
	fs.IntVar(&o.TerminatedPodGCThreshold, "terminated-pod-gc-threshold", o.TerminatedPodGCThreshold, "Number of terminated pods that can exist before the terminated pod garbage collector starts deleting terminated pods. If <= 0, the terminated pod garbage collector is disabled.")
}

// AddServingFlags registers --secure-port and --bind-address, for the
// controller manager on its own (in `kybernetes server` the API server's
// flags have those names).
func (o *Options) AddServingFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.SecurePort, "secure-port", o.SecurePort, "The port on which to serve HTTPS health checks (/healthz, /livez, /readyz). If 0, don't serve HTTPS at all.")
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "The IP address on which to listen for the --secure-port port.")
}
