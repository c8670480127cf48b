package registry

import (
	"fmt"
	"net/url"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	apiextensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	apiextensionsoptions "k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	utilproxy "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/apiserver/pkg/util/webhook"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1beta1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1beta1"
	aggregatorapiserver "k8s.io/kube-aggregator/pkg/apiserver"
	aggregatorscheme "k8s.io/kube-aggregator/pkg/apiserver/scheme"
	apiregistrationclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/typed/apiregistration/v1"
	"k8s.io/kube-aggregator/pkg/controllers/autoregister"
)

// The server is a chain, as kube-apiserver is: the aggregator in front
// (apiregistration.k8s.io APIServices, proxying to extension API servers,
// /apis discovery and OpenAPI merged over every server), then the built-in
// APIs, which hand what they do not serve to the CRD server
// (apiextensions.k8s.io and the custom resources it defines). Each is a
// generic apiserver on a copy of one configuration: one port, one
// authentication and authorization, one admission chain, one etcd.

// chainConfig is the part of the configuration each server of the chain
// makes its own: the generic configuration without the built-in APIs'
// post-start hooks and storage, its etcd options with codec set to
// encode, and enabled the groups it serves.
func chainConfig(config *genericapiserver.RecommendedConfig, etcdOptions genericoptions.EtcdOptions, codec runtime.Codec, encodeAs runtime.GroupVersioner,
	resources *serverstorage.ResourceConfig) (genericapiserver.Config, genericoptions.EtcdOptions, error) {
	generic := config.Config
	generic.PostStartHooks = map[string]genericapiserver.PostStartHookConfigEntry{}
	generic.RESTOptionsGetter = nil
	etcd := etcdOptions
	etcd.StorageConfig.Codec = codec
	etcd.StorageConfig.EncodeVersioner = encodeAs
	// The built-in APIs' server has the etcd health checks already.
	etcd.SkipHealthEndpoints = true
	if err := etcd.ApplyTo(&generic); err != nil {
		return generic, etcd, err
	}
	generic.MergedResourceConfig = resources
	return generic, etcd, nil
}

// newExtensionsServer is the CRD server, at the end of the chain.
func newExtensionsServer(config *genericapiserver.RecommendedConfig, etcdOptions genericoptions.EtcdOptions, resolver webhook.ServiceResolver) (*apiextensionsapiserver.CustomResourceDefinitions, error) {
	generic, etcd, err := chainConfig(config, etcdOptions,
		apiextensionsapiserver.Codecs.LegacyCodec(apiextensionsv1.SchemeGroupVersion, apiextensionsv1beta1.SchemeGroupVersion),
		runtime.NewMultiGroupVersioner(apiextensionsv1.SchemeGroupVersion, schema.GroupKind{Group: apiextensionsv1.GroupName}),
		apiextensionsapiserver.DefaultAPIResourceConfigSource())
	if err != nil {
		return nil, err
	}
	extensions := &apiextensionsapiserver.Config{
		GenericConfig: &genericapiserver.RecommendedConfig{Config: generic, SharedInformerFactory: config.SharedInformerFactory},
		ExtraConfig: apiextensionsapiserver.ExtraConfig{
			CRDRESTOptionsGetter: apiextensionsoptions.NewCRDRESTOptionsGetter(etcd, generic.ResourceTransformers, generic.StorageObjectCountTracker),
			MasterCount:          1,
			ServiceResolver:      resolver,
			// Conversion webhooks authenticate to the server itself with
			// the loopback credentials, to others as a kubeconfig says
			// (none: anonymous over TLS).
			AuthResolverWrapper: webhook.NewDefaultAuthenticationInfoResolverWrapper(nil, nil, generic.LoopbackClientConfig, generic.TracerProvider),
		},
	}
	server, err := extensions.Complete().New(genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, fmt.Errorf("the CRD server: %w", err)
	}
	return server, nil
}

// aggregatorConfig is the aggregator's generic configuration, copied from
// the built-in APIs' before that is completed.
func aggregatorConfig(config *genericapiserver.RecommendedConfig, etcdOptions genericoptions.EtcdOptions) (genericapiserver.Config, error) {
	generic, _, err := chainConfig(config, etcdOptions,
		aggregatorscheme.Codecs.LegacyCodec(apiregistrationv1.SchemeGroupVersion, apiregistrationv1beta1.SchemeGroupVersion),
		runtime.NewMultiGroupVersioner(apiregistrationv1.SchemeGroupVersion, schema.GroupKind{Group: apiregistrationv1.GroupName}),
		aggregatorapiserver.DefaultAPIResourceConfigSource())
	return generic, err
}

// newAggregator is the front of the chain, delegating to the built-in
// APIs' server. Every group version the chain serves behind it gets a
// local APIService (kept by the autoregistration controller), so that
// discovery lists it.
func newAggregator(generic genericapiserver.Config, config *genericapiserver.RecommendedConfig, delegate genericapiserver.DelegationTarget,
	extensions *apiextensionsapiserver.CustomResourceDefinitions, resolver aggregatorapiserver.ServiceResolver, proxyClientCert, proxyClientKey string) (*aggregatorapiserver.APIAggregator, error) {
	// The aggregator serves the OpenAPI documents merged from the chain.
	generic.SkipOpenAPIInstallation = true
	aggregatorConfig := &aggregatorapiserver.Config{
		GenericConfig: &genericapiserver.RecommendedConfig{Config: generic, SharedInformerFactory: config.SharedInformerFactory},
		ExtraConfig: aggregatorapiserver.ExtraConfig{
			ProxyClientCertFile: proxyClientCert,
			ProxyClientKeyFile:  proxyClientKey,
			ServiceResolver:     resolver,
		},
	}
	aggregator, err := aggregatorConfig.Complete().NewWithDelegate(delegate)
	if err != nil {
		return nil, fmt.Errorf("the aggregator: %w", err)
	}
	for gv, p := range apiServicePriorities {
		generic.AggregatedDiscoveryGroupManager.SetGroupVersionPriority(metav1.GroupVersion(gv), int(p.group), int(p.version))
	}
	client, err := apiregistrationclient.NewForConfig(generic.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	registration := autoregister.NewAutoRegisterController(aggregator.APIRegistrationInformers.Apiregistration().V1().APIServices(), client)
	for _, gv := range listedGroupVersions(delegate.ListedPaths()) {
		service, err := localAPIService(gv)
		if err != nil {
			return nil, err
		}
		registration.AddAPIServiceToSyncOnStart(service)
	}
	crds := newCRDRegistration(extensions.Informers.Apiextensions().V1().CustomResourceDefinitions(), registration)
	err = aggregator.GenericAPIServer.AddPostStartHook("kybernetes-apiservice-autoregistration", func(ctx genericapiserver.PostStartHookContext) error {
		go func() {
			// The CRDs' APIServices are known before the autoregistration
			// controller first syncs, or it would delete those it kept.
			if !crds.syncAll(ctx) {
				return
			}
			go crds.run(ctx)
			registration.Run(5, ctx.Done())
		}()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return aggregator, nil
}

// listedGroupVersions are the group versions among a server's listed
// paths: /api/v1 and /apis/<group>/<version>.
func listedGroupVersions(paths []string) []schema.GroupVersion {
	var out []schema.GroupVersion
	for _, p := range paths {
		parts := strings.Split(p, "/")
		switch {
		case p == "/api/v1":
			out = append(out, schema.GroupVersion{Version: "v1"})
		case len(parts) == 4 && parts[1] == "apis":
			out = append(out, schema.GroupVersion{Group: parts[2], Version: parts[3]})
		}
	}
	return out
}

// localAPIService is the APIService of a group version the chain serves
// itself, with the priorities kubectl orders groups by.
func localAPIService(gv schema.GroupVersion) (*apiregistrationv1.APIService, error) {
	priority, ok := apiServicePriorities[gv]
	if !ok {
		return nil, fmt.Errorf("no APIService priority for %s: add it to apiServicePriorities", gv)
	}
	return &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: gv.Version + "." + gv.Group},
		Spec: apiregistrationv1.APIServiceSpec{Group: gv.Group, Version: gv.Version,
			GroupPriorityMinimum: priority.group, VersionPriority: priority.version},
	}, nil
}

// serviceResolver finds the endpoints of webhooks and extension API
// servers: a ready endpoint of the Service directly (the server's host
// need not run a service proxy; it reaches pods), and itself for the
// kubernetes Service.
func serviceResolver(config *genericapiserver.RecommendedConfig) (aggregatorapiserver.ServiceResolver, error) {
	informers := config.SharedInformerFactory
	slices, err := utilproxy.NewEndpointSliceListerGetter(informers.Discovery().V1().EndpointSlices().Lister())
	if err != nil {
		return nil, err
	}
	self, err := url.Parse(config.LoopbackClientConfig.Host)
	if err != nil {
		return nil, err
	}
	return aggregatorapiserver.NewLoopbackServiceResolver(aggregatorapiserver.NewEndpointServiceResolver(informers.Core().V1().Services().Lister(), slices), self), nil
}
