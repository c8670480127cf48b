package registry

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	mutatingadmissionpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/mutating"
	validatingadmissionpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/resourcequota"
	mutatingwebhook "k8s.io/apiserver/pkg/admission/plugin/webhook/mutating"
	validatingwebhook "k8s.io/apiserver/pkg/admission/plugin/webhook/validating"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kybernetes/kybernetes/apis/core/quota"
	"github.com/kybernetes/kybernetes/registry/admission/certificates"
	"github.com/kybernetes/kybernetes/registry/admission/defaultingressclass"
	"github.com/kybernetes/kybernetes/registry/admission/defaultstorageclass"
	"github.com/kybernetes/kybernetes/registry/admission/defaulttolerationseconds"
	"github.com/kybernetes/kybernetes/registry/admission/limitranger"
	"github.com/kybernetes/kybernetes/registry/admission/noderestriction"
	"github.com/kybernetes/kybernetes/registry/admission/podsecurity"
	"github.com/kybernetes/kybernetes/registry/admission/priority"
	"github.com/kybernetes/kybernetes/registry/admission/runtimeclass"
	"github.com/kybernetes/kybernetes/registry/admission/serviceaccount"
)

// admissionOrder is the order the plugins run in, upstream's:
// NamespaceLifecycle (no object in a missing or terminating namespace;
// default, kube-system and kube-public cannot be deleted), LimitRanger,
// ServiceAccount (a pod's service account, pull secrets and projected
// token volume), NodeRestriction (a kubelet writes only its own Node,
// lease, mirror pods, pod statuses and pod-bound tokens), PodSecurity (the Pod Security Standards level a namespace's labels
// enforce, warn about or audit), Priority (a new pod's priority from its PriorityClass), DefaultTolerationSeconds,
// DefaultStorageClass (a new claim without a class gets the default StorageClass),
// RuntimeClass (a pod gets its RuntimeClass's overhead and scheduling),
// CertificateApproval, CertificateSigning, CertificateSubjectRestriction and
// ClusterTrustBundleAttest (who may approve, sign and attest for a signer; no
// client certificate for system:masters), DefaultIngressClass (a new Ingress without a
// class gets the default IngressClass), then the API's own rules in the
// order mutations before checks: MutatingAdmissionPolicy (CEL patches),
// MutatingAdmissionWebhook, ValidatingAdmissionPolicy (CEL rules),
// ValidatingAdmissionWebhook; last ResourceQuota (a create beyond a quota is
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
	runtimeclass.PluginName,
	certificates.ApprovalPluginName,
	certificates.SigningPluginName,
	certificates.AttestPluginName,
	certificates.SubjectRestrictionPluginName,
	defaultingressclass.PluginName,
	mutatingadmissionpolicy.PluginName,
	mutatingwebhook.PluginName,
	validatingadmissionpolicy.PluginName,
	validatingwebhook.PluginName,
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
	runtimeclass.Register(plugins)
	certificates.Register(plugins)
	mutatingadmissionpolicy.Register(plugins)
	mutatingwebhook.Register(plugins)
	validatingadmissionpolicy.Register(plugins)
	validatingwebhook.Register(plugins)
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

// excludedFromPolicies are the requests that webhooks and CEL policies
// never see, as upstream: the reviews that authentication and
// authorization answer without storing anything, which a broken webhook
// could otherwise use to lock everyone out.
var excludedFromPolicies = excludedResources{
	{Group: "authentication.k8s.io", Resource: "selfsubjectreviews"},
	{Group: "authentication.k8s.io", Resource: "tokenreviews"},
	{Group: "authorization.k8s.io", Resource: "localsubjectaccessreviews"},
	{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"},
	{Group: "authorization.k8s.io", Resource: "selfsubjectrulesreviews"},
	{Group: "authorization.k8s.io", Resource: "subjectaccessreviews"},
}

// excludedResources hands the webhook and policy plugins the resources
// they must leave alone.
type excludedResources []schema.GroupResource

func (e excludedResources) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(initializer.WantsExcludedAdmissionResources); ok {
		wants.SetExcludedAdmissionResources(e)
	}
}
