package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	"k8s.io/apiserver/pkg/admission/plugin/resourcequota"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-base/compatibility"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/apis/core/quota"
	"github.com/kybernetes/kybernetes/apis/openapi"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/apis/version"
	"github.com/kybernetes/kybernetes/registry/admission/defaulttolerationseconds"
	"github.com/kybernetes/kybernetes/registry/admission/limitranger"
	"github.com/kybernetes/kybernetes/registry/etcd"
	"github.com/kybernetes/kybernetes/registry/pki"
)

// KubeVersion is the Kubernetes minor release whose API surface kybernetes
// serves; the apiserver library derives feature defaults from it.
const KubeVersion = "1.37"

// effectiveVersion reports kybernetes' own version on /version: the library
// takes it from k8s.io/component-base/version, which only -ldflags fill.
type effectiveVersion struct {
	compatibility.MutableEffectiveVersion
}

func (v effectiveVersion) Info() *apimachineryversion.Info {
	info := v.MutableEffectiveVersion.Info()
	own := version.Get()
	own.EmulationMajor, own.EmulationMinor = info.EmulationMajor, info.EmulationMinor
	own.MinCompatibilityMajor, own.MinCompatibilityMinor = info.MinCompatibilityMajor, info.MinCompatibilityMinor
	return &own
}

// Server is one kybernetes API server process.
type Server struct {
	opts  *Options
	ready chan struct{}
	// URL is where the server listens and EtcdEndpoints where it stores
	// its objects; both are known once the server is ready.
	URL           string
	EtcdEndpoints []string
}

// New checks the options; Run starts the server.
func New(opts *Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Server{opts: opts, ready: make(chan struct{})}, nil
}

// Ready is closed once the server answers /readyz and its admin kubeconfig
// is written.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run serves until ctx is done, then drains requests and closes etcd.
func (s *Server) Run(ctx context.Context) error {
	o := s.opts
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return err
	}
	unlock, err := lockDataDir(o.lockFile())
	if err != nil {
		return err
	}
	defer unlock()

	serviceIP, err := o.firstServiceIP()
	if err != nil {
		return err
	}
	advertise := o.advertiseIP()
	ips := []net.IP{net.IPv4(127, 0, 0, 1), advertise, serviceIP}
	if o.BindAddress != nil && !o.BindAddress.IsUnspecified() {
		ips = append(ips, o.BindAddress)
	}
	err = pki.Ensure(pki.Request{
		Dir: o.pkiDir(),
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
		IPs: ips,
	})
	if err != nil {
		return err
	}

	endpoints := o.EtcdServers
	if len(endpoints) == 0 {
		member, err := etcd.Start(o.etcdDir())
		if err != nil {
			return err
		}
		defer member.Close()
		endpoints = []string{member.Endpoint}
	}
	s.EtcdEndpoints = endpoints

	config, err := s.newConfig(endpoints)
	if err != nil {
		return err
	}
	server, err := config.Complete().New("kybernetes-apiserver", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return err
	}
	if err := installAPIs(server, config.RESTOptionsGetter, o, endpoints); err != nil {
		return err
	}
	_, port, err := config.SecureServing.HostPort()
	if err != nil {
		return err
	}
	boot := &bootstrap{serviceIP: serviceIP, advertiseIP: advertise, port: port}
	if err := server.AddPostStartHook("kybernetes-bootstrap", boot.hook); err != nil {
		return err
	}
	s.URL = fmt.Sprintf("https://%s", net.JoinHostPort(advertise.String(), fmt.Sprint(port)))
	// Written before serving, so that a failure stops the start with its
	// reason instead of leaving a server that never says it is ready.
	if err := writeAdminKubeconfig(o, s.URL); err != nil {
		return fmt.Errorf("writing the admin kubeconfig: %w", err)
	}

	go s.announceWhenReady(ctx, config.LoopbackClientConfig)
	return server.PrepareRun().RunWithContext(ctx)
}

// newConfig builds the generic apiserver configuration: TLS serving,
// authentication, authorization, admission, OpenAPI and etcd storage.
func (s *Server) newConfig(etcdEndpoints []string) (*genericapiserver.RecommendedConfig, error) {
	o := s.opts
	config := genericapiserver.NewRecommendedConfig(scheme.Codecs)
	config.EffectiveVersion = effectiveVersion{compatibility.NewEffectiveVersionFromString(KubeVersion, "", "")}
	config.FeatureGate = utilfeature.DefaultFeatureGate
	config.PublicAddress = o.advertiseIP()

	serving := genericoptions.NewSecureServingOptions()
	serving.BindAddress = o.BindAddress
	serving.BindPort = o.SecurePort
	serving.ServerCert.CertKey.CertFile = filepath.Join(o.pkiDir(), pki.ServingCert)
	serving.ServerCert.CertKey.KeyFile = filepath.Join(o.pkiDir(), pki.ServingKey)
	if o.SecurePort == 0 {
		// Port 0 disables serving in the apiserver library; here it means
		// "any free port", so open the listener ourselves.
		addr := net.JoinHostPort(o.BindAddress.String(), "0")
		var err error
		if serving.Listener, serving.BindPort, err = genericoptions.CreateListener("tcp", addr, net.ListenConfig{}); err != nil {
			return nil, err
		}
	}
	if err := serving.WithLoopback().ApplyTo(&config.SecureServing, &config.LoopbackClientConfig); err != nil {
		return nil, fmt.Errorf("serving on %s:%d: %w", o.BindAddress, o.SecurePort, err)
	}

	clientCA, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", filepath.Join(o.pkiDir(), pki.CACert))
	if err != nil {
		return nil, err
	}
	if err := config.Authentication.ApplyClientCert(clientCA, config.SecureServing); err != nil {
		return nil, err
	}
	if config.Authentication.Authenticator, err = newAuthenticator(clientCA, o.TokenAuthFile); err != nil {
		return nil, err
	}
	config.Authorization.Authorizer = authorizer.AuthorizerFunc(authorize)
	genericapiserver.AuthorizeClientBearerToken(config.LoopbackClientConfig, &config.Authentication, &config.Authorization)

	namer := openapinamer.NewDefinitionNamer(scheme.NewExternalScheme())
	config.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	config.OpenAPIConfig.Info.Title = "Kubernetes"
	config.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	config.OpenAPIV3Config.Info.Title = "Kubernetes"

	if err := applyStorage(&config.Config, etcdEndpoints, o); err != nil {
		return nil, err
	}
	if err := applyAdmission(config, o); err != nil {
		return nil, err
	}
	return config, nil
}

// applyStorage stores every resource in etcd as protobuf under /registry,
// the way kube-apiserver lays out its keys, with the watch cache on.
func applyStorage(config *genericapiserver.Config, endpoints []string, o *Options) error {
	etcdOptions := genericoptions.NewEtcdOptions(storagebackend.NewDefaultConfig("/registry", nil))
	etcdOptions.StorageConfig.Transport.ServerList = endpoints
	etcdOptions.StorageConfig.Transport.TrustedCAFile = o.EtcdCAFile
	etcdOptions.StorageConfig.Transport.CertFile = o.EtcdCertFile
	etcdOptions.StorageConfig.Transport.KeyFile = o.EtcdKeyFile
	etcdOptions.StorageConfig.CompactionInterval = o.EtcdCompactionInterval
	etcdOptions.StorageConfig.StorageObjectCountTracker = config.StorageObjectCountTracker
	enabled := serverstorage.NewResourceConfig()
	enabled.EnableVersions(servedGroupVersions...)
	factory := serverstorage.NewDefaultStorageFactory(
		etcdOptions.StorageConfig,
		runtime.ContentTypeProtobuf,
		scheme.Codecs,
		serverstorage.NewDefaultResourceEncodingConfig(scheme.Scheme),
		enabled,
		nil,
	)
	// events.k8s.io events are core/v1 events, stored once, as upstream.
	factory.AddCohabitatingResources(corev1.Resource("events"), eventsv1.Resource("events"))
	return etcdOptions.ApplyWithStorageFactoryTo(factory, config)
}

// applyAdmission runs, in upstream's order, NamespaceLifecycle from
// k8s.io/apiserver (no object is created in a namespace that is missing or
// terminating; default, kube-system and kube-public cannot be deleted),
// DefaultTolerationSeconds, and ResourceQuota from k8s.io/apiserver (a
// create or update that would exceed a quota is refused with 403; usage is
// charged to quota status as objects are admitted, and recomputed by the
// resource quota controller).
func applyAdmission(config *genericapiserver.RecommendedConfig, o *Options) error {
	loopback := config.LoopbackClientConfig
	client, err := kubernetes.NewForConfig(loopback)
	if err != nil {
		return err
	}
	dynamicClient, err := dynamic.NewForConfig(loopback)
	if err != nil {
		return err
	}
	config.SharedInformerFactory = informers.NewSharedInformerFactory(client, 10*time.Minute)
	restMapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	namespaceLifecycle, err := lifecycle.NewLifecycle(sets.New(metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic))
	if err != nil {
		return err
	}
	resourceQuota, err := resourcequota.NewResourceQuota(&resourcequotaapi.Configuration{}, 5)
	if err != nil {
		return err
	}
	plugins := []admission.Interface{
		namespaceLifecycle,
		limitranger.New(),
		defaulttolerationseconds.New(o.DefaultNotReadyTolerationSeconds, o.DefaultUnreachableTolerationSeconds),
		resourceQuota,
	}
	pluginInitializer := initializer.New(client, dynamicClient, config.SharedInformerFactory, config.Authorization.Authorizer,
		config.FeatureGate, config.EffectiveVersion, config.DrainedNotify(), restMapper)
	for _, plugin := range plugins {
		pluginInitializer.Initialize(plugin)
	}
	// Admission charges each object's own usage against quota status; it
	// never lists objects (the controller sums usage), so no listers here.
	resourceQuota.SetQuotaConfiguration(quota.Configuration(func(gvr schema.GroupVersionResource) (cache.GenericLister, error) {
		return nil, fmt.Errorf("the API server does not list %s for quota; the resource quota controller does", gvr.Resource)
	}))
	for _, plugin := range plugins {
		if err := admission.ValidateInitialization(plugin); err != nil {
			return err
		}
	}
	config.AdmissionControl = admission.NewChainHandler(plugins...)
	return nil
}

// announceWhenReady closes Ready once the server reports ready.
func (s *Server) announceWhenReady(ctx context.Context, loopback *rest.Config) {
	client, err := kubernetes.NewForConfig(loopback)
	if err != nil {
		klog.ErrorS(err, "cannot build a loopback client")
		return
	}
	for {
		result := client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx)
		if result.Error() == nil {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	close(s.ready)
}

// lockDataDir takes an exclusive lock on the data directory, so that a
// second server on the same directory fails at once with a clear message
// instead of waiting on etcd's own file locks.
func lockDataDir(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s is in use by another kybernetes server", filepath.Dir(path))
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
