package registry

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	webhookinit "k8s.io/apiserver/pkg/admission/plugin/webhook/initializer"
	"k8s.io/apiserver/pkg/util/webhook"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apiextensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	apiextensionsopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	discoveryendpoint "k8s.io/apiserver/pkg/endpoints/discovery/aggregated"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	utilflowcontrol "k8s.io/apiserver/pkg/util/flowcontrol"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/component-base/compatibility"
	"k8s.io/klog/v2"
	aggregatorscheme "k8s.io/kube-aggregator/pkg/apiserver/scheme"
	aggregatoropenapi "k8s.io/kube-aggregator/pkg/generated/openapi"
	openapicommon "k8s.io/kube-openapi/pkg/common"

	"github.com/kybernetes/kybernetes/apis/openapi"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/apis/version"
	"github.com/kybernetes/kybernetes/registry/etcd"
	"github.com/kybernetes/kybernetes/registry/flowcontrol/ensurer"
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
	opts  *CompletedOptions
	ready chan struct{}
	// URL is where the server listens and EtcdEndpoints where it stores
	// its objects, with EtcdTLS the client certificate it uses there; all
	// are known once the server is ready.
	URL           string
	EtcdEndpoints []string
	EtcdTLS       transport.TLSInfo
}

// New completes and checks the options and returns a server that Run
// starts. It has no side effects: nothing is locked, written or started.
func New(opts *Options) (*Server, error) {
	completed, err := opts.Complete()
	if err != nil {
		return nil, err
	}
	return NewServer(completed), nil
}

// NewServer returns a server for completed options.
func NewServer(opts *CompletedOptions) *Server {
	return &Server{opts: opts, ready: make(chan struct{})}
}

// Ready is closed once the server answers /readyz and its admin kubeconfig
// is written.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run serves until ctx is done, then drains requests and closes etcd. Its
// steps, in order: lock the data directory, ensure the PKI, start the
// embedded etcd member (unless --etcd-servers), build the generic apiserver
// with the served APIs, write the admin kubeconfig, serve.
func (s *Server) Run(ctx context.Context) error {
	o := s.opts
	unlock, err := lockDataDir(o)
	if err != nil {
		return err
	}
	defer unlock()
	serviceIP, err := o.firstServiceIP()
	if err != nil {
		return err
	}
	if err := ensurePKI(o, serviceIP); err != nil {
		return err
	}
	// The etcd the server stores in: --etcd-servers with their TLS flags,
	// or the embedded member, on loopback with its own CA.
	etcdTransport := o.Etcd.StorageConfig.Transport
	if len(etcdTransport.ServerList) == 0 {
		files, err := pki.EnsureEtcd(o.pkiDir())
		if err != nil {
			return err
		}
		member, err := etcd.Start(o.etcdDir(), files)
		if err != nil {
			return err
		}
		defer member.Close()
		etcdTransport.ServerList = []string{member.Endpoint}
		etcdTransport.CertFile, etcdTransport.KeyFile, etcdTransport.TrustedCAFile = files.ClientCert, files.ClientKey, files.CA
	}
	s.EtcdEndpoints = etcdTransport.ServerList
	s.EtcdTLS = transport.TLSInfo{TrustedCAFile: etcdTransport.TrustedCAFile, CertFile: etcdTransport.CertFile, KeyFile: etcdTransport.KeyFile}

	config, sec, err := newGenericConfig(ctx, o, etcdTransport)
	if err != nil {
		return err
	}
	// The chain (chain.go): the aggregator, then the built-in APIs, then
	// the CRD server.
	etcdOptions, err := storageOptions(&config.Config, etcdTransport, o)
	if err != nil {
		return err
	}
	resolver, err := serviceResolver(config)
	if err != nil {
		return err
	}
	frontConfig, err := aggregatorConfig(config, etcdOptions)
	if err != nil {
		return err
	}
	extensions, err := newExtensionsServer(config, etcdOptions, resolver)
	if err != nil {
		return err
	}
	server, err := config.Complete().New("kybernetes-apiserver", extensions.GenericAPIServer)
	if err != nil {
		return err
	}
	if err := installAPIs(server, config.RESTOptionsGetter, o.Options, etcdTransport, sec); err != nil {
		return err
	}
	_, port, err := config.SecureServing.HostPort()
	if err != nil {
		return err
	}
	advertise := o.advertiseIP()
	frontProxy, err := pki.EnsureFrontProxy(o.pkiDir())
	if err != nil {
		return err
	}
	authInfo, err := extensionAuthentication(o.pkiDir(), frontProxy)
	if err != nil {
		return err
	}
	boot := &bootstrap{serviceCIDR: o.serviceCIDR(), serviceIP: serviceIP, advertiseIP: advertise, port: port, authentication: authInfo}
	if err := server.AddPostStartHook("kybernetes-bootstrap", boot.hook); err != nil {
		return err
	}
	if o.EnablePriorityAndFairness {
		err := server.AddPostStartHook("priority-and-fairness-config-producer", func(ctx genericapiserver.PostStartHookContext) error {
			client, err := kubernetes.NewForConfig(ctx.LoopbackClientConfig)
			if err != nil {
				return err
			}
			return ensurer.Run(ctx, client.FlowcontrolV1())
		})
		if err != nil {
			return err
		}
	}
	if slices.Contains(o.AuthorizationModes, ModeRBAC) {
		if err := server.AddPostStartHook("rbac/bootstrap-roles", reconcileRBACPolicy); err != nil {
			return err
		}
	}
	// Last: the aggregator takes the post-start hooks and health checks
	// its delegates have when it is made.
	aggregator, err := newAggregator(frontConfig, config, server, extensions, resolver, frontProxy.ClientCert, frontProxy.ClientKey)
	if err != nil {
		return err
	}
	s.URL = fmt.Sprintf("https://%s", net.JoinHostPort(advertise.String(), fmt.Sprint(port)))
	// Written before serving, so that a failure stops the start with its
	// reason instead of leaving a server that never says it is ready.
	if err := writeAdminKubeconfig(o.Options, s.URL); err != nil {
		return fmt.Errorf("writing the admin kubeconfig: %w", err)
	}
	if err := writeKubeletKubeconfig(o.Options, s.URL); err != nil {
		return fmt.Errorf("writing the kubelet kubeconfig: %w", err)
	}
	if err := writeProxyKubeconfig(o.Options, s.URL); err != nil {
		return fmt.Errorf("writing the proxy kubeconfig: %w", err)
	}
	if err := writeComponentKubeconfigs(o.Options, s.URL); err != nil {
		return fmt.Errorf("writing the controller manager's and scheduler's kubeconfigs: %w", err)
	}

	go s.announceWhenReady(ctx, config.LoopbackClientConfig)
	prepared, err := aggregator.PrepareRun()
	if err != nil {
		return err
	}
	return prepared.Run(ctx)
}

// ensurePKI makes the cluster CA and the certificates signed by it, once:
// the serving certificate names every address clients use.
func ensurePKI(o *CompletedOptions, serviceIP net.IP) error {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), o.advertiseIP(), serviceIP}
	if b := o.SecureServing.BindAddress; b != nil && !b.IsUnspecified() {
		ips = append(ips, b)
	}
	return pki.Ensure(pki.Request{
		Dir: o.pkiDir(),
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
		IPs:      ips,
		NodeName: NodeName(),
	})
}

// newGenericConfig builds the generic apiserver configuration from the
// options: run options, TLS serving, authentication, authorization,
// OpenAPI, etcd storage and admission.
func newGenericConfig(ctx context.Context, o *CompletedOptions, etcdTransport storagebackend.TransportConfig) (*genericapiserver.RecommendedConfig, *security, error) {
	config := genericapiserver.NewRecommendedConfig(scheme.Codecs)
	if err := o.ServerRun.ApplyTo(&config.Config); err != nil {
		return nil, nil, err
	}
	// Audit events are written by the outermost server of the chain, which
	// every request passes (see chain.go); the others share the backend.
	if err := o.Audit.ApplyTo(&config.Config); err != nil {
		return nil, nil, fmt.Errorf("audit: %w", err)
	}
	// /version is kybernetes' own; the library's feature defaults follow
	// the Kubernetes release it serves.
	config.EffectiveVersion = effectiveVersion{o.effectiveVersion}

	serving := *o.SecureServing
	if serving.BindPort == 0 {
		// Port 0 disables serving in the apiserver library; here it means
		// "any free port", so open the listener ourselves.
		addr := net.JoinHostPort(serving.BindAddress.String(), "0")
		var err error
		if serving.Listener, serving.BindPort, err = genericoptions.CreateListener("tcp", addr, net.ListenConfig{}); err != nil {
			return nil, nil, err
		}
	}
	if err := serving.ApplyTo(&config.SecureServing, &config.LoopbackClientConfig); err != nil {
		return nil, nil, fmt.Errorf("serving on %s:%d: %w", serving.BindAddress, serving.BindPort, err)
	}

	clientCA, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", filepath.Join(o.pkiDir(), pki.CACert))
	if err != nil {
		return nil, nil, err
	}
	if err := config.Authentication.ApplyClientCert(clientCA, config.SecureServing); err != nil {
		return nil, nil, err
	}
	authn, err := newAuthentication(ctx, clientCA, o.TokenAuthFile, o.EnableBootstrapTokenAuth, o.OIDC, o.AnonymousAuth, serviceAccountTokens{
		defaultKeyFile: filepath.Join(o.pkiDir(), "sa.key"), signingKeyFile: o.ServiceAccountSigningKeyFile,
		keyFiles: o.ServiceAccountKeyFiles, issuer: o.ServiceAccountIssuer, audiences: o.apiAudiences(),
	})
	if err != nil {
		return nil, nil, err
	}
	config.Authentication.Authenticator = authn.request
	// One informer factory over the loopback client for the authorizers
	// and admission; the server starts it.
	client, err := kubernetes.NewForConfig(config.LoopbackClientConfig)
	if err != nil {
		return nil, nil, err
	}
	config.SharedInformerFactory = informers.NewSharedInformerFactory(client, 10*time.Minute)
	// API Priority and Fairness replaces the plain in-flight limits: the
	// same total of seats, shared among priority levels by the
	// FlowSchemas the server keeps (registry/flowcontrol/ensurer). Every
	// server of the chain gets the one controller; the outermost filters.
	if o.EnablePriorityAndFairness {
		if config.MaxRequestsInFlight+config.MaxMutatingRequestsInFlight <= 0 {
			return nil, nil, fmt.Errorf("--enable-priority-and-fairness needs --max-requests-inflight and --max-mutating-requests-inflight adding up to something positive")
		}
		config.FlowControl = utilflowcontrol.New(config.SharedInformerFactory, client.FlowcontrolV1(), config.MaxRequestsInFlight+config.MaxMutatingRequestsInFlight)
	}
	authz, err := newAuthorization(o.AuthorizationModes, config.SharedInformerFactory)
	if err != nil {
		return nil, nil, err
	}
	config.Authorization.Authorizer = authz.authorizer
	config.RuleResolver = authz.rules
	genericapiserver.AuthorizeClientBearerToken(config.LoopbackClientConfig, &config.Authentication, &config.Authorization)

	// One aggregated discovery document for the chain, which each of its
	// servers adds its groups to and the aggregator serves.
	config.AggregatedDiscoveryGroupManager = discoveryendpoint.NewResourceManager("apis")

	// One set of definitions for the chain: the built-in APIs', the CRD
	// server's and the aggregator's types.
	namer := openapinamer.NewDefinitionNamer(scheme.NewExternalScheme(), apiextensionsapiserver.Scheme, aggregatorscheme.Scheme)
	definitions := func(ref openapicommon.ReferenceCallback) map[string]openapicommon.OpenAPIDefinition {
		out := openapi.GetOpenAPIDefinitions(ref)
		maps.Copy(out, apiextensionsopenapi.GetOpenAPIDefinitions(ref))
		maps.Copy(out, aggregatoropenapi.GetOpenAPIDefinitions(ref))
		return out
	}
	config.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(definitions, namer)
	config.OpenAPIConfig.Info.Title = "Kubernetes"
	config.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(definitions, namer)
	config.OpenAPIV3Config.Info.Title = "Kubernetes"

	if err := applyStorage(&config.Config, etcdTransport, o); err != nil {
		return nil, nil, err
	}
	if err := applyAdmission(config, o); err != nil {
		return nil, nil, err
	}
	return config, &security{authn, authz}, nil
}

// security is who asks and what they may do, for the APIs that answer
// such questions (reviews) or guard grants (RBAC).
type security struct {
	authentication *authentication
	authorization  *authorization
}

// applyStorage stores every resource in etcd (protobuf by default) under
// --etcd-prefix, /registry, the way kube-apiserver lays out its keys;
// Secrets encrypted as --encryption-provider-config says, by default with
// the data directory's own key.
func applyStorage(config *genericapiserver.Config, etcdTransport storagebackend.TransportConfig, o *CompletedOptions) error {
	etcdOptions, err := storageOptions(config, etcdTransport, o)
	if err != nil {
		return err
	}
	enabled := serverstorage.NewResourceConfig()
	enabled.EnableVersions(servedGroupVersions...)
	factory := serverstorage.NewDefaultStorageFactory(
		etcdOptions.StorageConfig,
		etcdOptions.DefaultStorageMediaType,
		scheme.Codecs,
		serverstorage.NewDefaultResourceEncodingConfig(scheme.Scheme),
		enabled,
		nil,
	)
	// events.k8s.io events are core/v1 events, stored once, as upstream.
	factory.AddCohabitatingResources(corev1.Resource("events"), eventsv1.Resource("events"))
	return etcdOptions.ApplyWithStorageFactoryTo(factory, config)
}

// storageOptions are the etcd options every server of the chain stores
// with: the etcd the server reaches, and the encryption configuration.
func storageOptions(config *genericapiserver.Config, etcdTransport storagebackend.TransportConfig, o *CompletedOptions) (genericoptions.EtcdOptions, error) {
	etcdOptions := *o.Etcd
	encryption, err := o.encryptionConfigPath()
	if err != nil {
		return etcdOptions, fmt.Errorf("the encryption configuration: %w", err)
	}
	etcdOptions.EncryptionProviderConfigFilepath = encryption
	storageConfig := etcdOptions.StorageConfig
	storageConfig.Transport = etcdTransport
	storageConfig.StorageObjectCountTracker = config.StorageObjectCountTracker
	etcdOptions.StorageConfig = storageConfig
	return etcdOptions, nil
}

// applyAdmission builds the admission chain from --enable-admission-plugins
// and --disable-admission-plugins over the registered plugins (see
// admissionOrder), through the library's loopback clients and informers.
func applyAdmission(config *genericapiserver.RecommendedConfig, o *CompletedOptions) error {
	loopback := config.LoopbackClientConfig
	client, err := kubernetes.NewForConfig(loopback)
	if err != nil {
		return err
	}
	dynamicClient, err := dynamic.NewForConfig(loopback)
	if err != nil {
		return err
	}
	// Webhooks behind a Service are reached at a ready endpoint, as
	// extension API servers are; their kubeconfig credentials come from
	// the admission configuration's kubeConfigFile.
	resolver, err := serviceResolver(config)
	if err != nil {
		return err
	}
	webhooks := webhookinit.NewPluginInitializer(
		webhook.NewDefaultAuthenticationInfoResolverWrapper(nil, nil, loopback, config.TracerProvider), resolver)
	return o.Admission.ApplyTo(&config.Config, config.SharedInformerFactory, client, dynamicClient,
		config.FeatureGate, config.EffectiveVersion, newQuotaInitializer(), webhooks, excludedFromPolicies)
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
func lockDataDir(o *CompletedOptions) (func(), error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, err
	}
	path := o.lockFile()
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
