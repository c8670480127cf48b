package registry

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	"k8s.io/apiserver/pkg/admission/plugin/resourcequota"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kybernetes/kybernetes/apis/core/quota"
	"github.com/kybernetes/kybernetes/registry/admission/defaultingressclass"
	"github.com/kybernetes/kybernetes/registry/admission/defaultstorageclass"
	"github.com/kybernetes/kybernetes/registry/admission/defaulttolerationseconds"
	"github.com/kybernetes/kybernetes/registry/admission/limitranger"
	"github.com/kybernetes/kybernetes/registry/admission/noderestriction"
	"github.com/kybernetes/kybernetes/registry/admission/podsecurity"
	"github.com/kybernetes/kybernetes/registry/admission/priority"
	"github.com/kybernetes/kybernetes/registry/admission/serviceaccount"
)

// admissionOrder is the order the plugins run in, upstream's:
// NamespaceLifecycle (no object in a missing or terminating namespace;
// default, kube-system and kube-public cannot be deleted), LimitRanger,
// ServiceAccount (a pod's service account, pull secrets and projected
// token volume), NodeRestriction (a kubelet writes only its own Node,
// lease, mirror pods, pod statuses and pod-bound tokens), PodSecurity (the Pod Security Standards level a namespace's labels
// enforce, warn about or audit), Priority (a new pod's priority from its PriorityClass), DefaultTolerationSeconds,
// DefaultStorageClass (a new claim without a class gets the default StorageClass), DefaultIngressClass (a new Ingress without a
// class gets the default IngressClass), ResourceQuota (a create beyond a quota is
// refused with 403; usage is charged to quota status as objects are
// admitted and recounted by the resource quota controller). All are on by
// default; --disable-admission-plugins turns any of them off.
var admissionOrder = []string{
	lifecycle.PluginName,
	limitranger.PluginName,
	serviceaccount.PluginName,
	noderestriction.PluginName,
	podsecurity.PluginName,
	priority.PluginName,
	defaulttolerationseconds.PluginName,
	defaultstorageclass.PluginName,
	defaultingressclass.PluginName,
	resourcequota.PluginName,
}

// registerAdmissionPlugins registers the plugins kybernetes has, under
// upstream's names, so that --enable-admission-plugins and
// --admission-control-config-file mean what they mean upstream.
func registerAdmissionPlugins(plugins *admission.Plugins, o *Options) {
	lifecycle.Register(plugins)
	resourcequota.Register(plugins)
	defaultingressclass.Register(plugins)
	priority.Register(plugins)
	podsecurity.Register(plugins)
	serviceaccount.Register(plugins)
	noderestriction.Register(plugins)
	defaultstorageclass.Register(plugins)
	plugins.Register(limitranger.PluginName, func(io.Reader) (admission.Interface, error) { return limitranger.New(), nil })
	plugins.Register(defaulttolerationseconds.PluginName, func(io.Reader) (admission.Interface, error) {
		// Read when the chain is built, after the flags are parsed.
		return defaulttolerationseconds.New(o.DefaultNotReadyTolerationSeconds, o.DefaultUnreachableTolerationSeconds), nil
	})
}

// quotaInitializer hands ResourceQuota kybernetes' quota evaluators.
// Admission charges each object's own usage against quota status; it never
// lists objects (the controller sums usage), so it has no listers.
type quotaInitializer struct{ config quotav1.Configuration }

func newQuotaInitializer() quotaInitializer {
	return quotaInitializer{quota.Configuration(func(gvr schema.GroupVersionResource) (cache.GenericLister, error) {
		return nil, fmt.Errorf("the API server does not list %s for quota; the resource quota controller does", gvr.Resource)
	})}
}

func (q quotaInitializer) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(initializer.WantsQuotaConfiguration); ok {
		wants.SetQuotaConfiguration(q.config)
	}
}
