// Package podsecurity is upstream's PodSecurity admission, on the
// k8s.io/pod-security-admission library: a namespace's
// pod-security.kubernetes.io/{enforce,audit,warn} labels pick a Pod
// Security Standards level (privileged, baseline, restricted) and version;
// a pod that breaks the enforced level is refused with 403, pod controllers
// (deployments, jobs, ...) whose template breaks it are admitted with a
// warning, and labelling a namespace warns about the pods already in it
// that the new level would refuse. The plugin's configuration
// (PodSecurityConfiguration: defaults and exemptions) comes from
// --admission-control-config-file.
//
// kybernetes stores the k8s.io/api types themselves, so the library gets
// the stored objects as they are; upstream's wrapper converts from its
// internal types first.
package podsecurity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	genericadmissioninit "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/component-base/compatibility"
	"k8s.io/component-base/metrics/legacyregistry"
	psa "k8s.io/pod-security-admission/admission"
	"k8s.io/pod-security-admission/admission/api/load"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/metrics"
	"k8s.io/pod-security-admission/policy"
)

// PluginName is the upstream name of the plugin.
const PluginName = "PodSecurity"

// Register registers the plugin; its reader holds the plugin's
// PodSecurityConfiguration, if --admission-control-config-file gives one.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(config io.Reader) (admission.Interface, error) { return New(config) })
}

// Plugin evaluates pods, pod templates and namespace label changes against
// the Pod Security Standards.
type Plugin struct {
	*admission.Handler

	config *psa.Admission

	client     kubernetes.Interface
	namespaces corev1listers.NamespaceLister
	// emulated is the Kubernetes version "latest" means when the server
	// emulates an older version than it is; nil otherwise.
	emulated   *psaapi.Version
	sawVersion bool
}

var (
	_ admission.ValidationInterface                         = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeInformerFactory = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeClientSet       = &Plugin{}
	_ genericadmissioninit.WantsEffectiveVersion            = &Plugin{}
)

// New reads the plugin's configuration (none: upstream's defaults, every
// namespace privileged unless labelled, no exemptions).
func New(config io.Reader) (*Plugin, error) {
	configuration, err := load.LoadFromReader(config)
	if err != nil {
		return nil, err
	}
	return &Plugin{
		Handler: admission.NewHandler(admission.Create, admission.Update),
		config: &psa.Admission{
			Configuration:    configuration,
			Metrics:          recorder(),
			PodSpecExtractor: psa.DefaultPodSpecExtractor{},
		},
	}, nil
}

var (
	sharedRecorder     *metrics.PrometheusRecorder
	sharedRecorderOnce sync.Once
)

// recorder is the one metrics recorder of the process: its metrics
// (pod_security_evaluations_total and the rest) register once in the
// legacy registry /metrics serves, however many servers a test starts.
func recorder() metrics.Recorder {
	sharedRecorderOnce.Do(func() {
		sharedRecorder = metrics.NewPrometheusRecorder(psaapi.GetAPIVersion())
		sharedRecorder.MustRegister(legacyregistry.MustRegister)
	})
	return sharedRecorder
}

// SetExternalKubeInformerFactory takes the namespace lister; the plugin
// is ready once namespaces are synced.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	namespaces := f.Core().V1().Namespaces()
	p.namespaces = namespaces.Lister()
	p.SetReadyFunc(namespaces.Informer().HasSynced)
}

// SetExternalKubeClientSet takes the client a namespace not yet in the
// lister's cache is read with.
func (p *Plugin) SetExternalKubeClientSet(client kubernetes.Interface) { p.client = client }

// InspectEffectiveVersion notes the version the server emulates: the
// "latest" policy version is that one's, as upstream.
func (p *Plugin) InspectEffectiveVersion(version compatibility.EffectiveVersion) {
	p.sawVersion = true
	binary, emulation := version.BinaryVersion(), version.EmulationVersion()
	if binary.Major() != emulation.Major() || binary.Minor() != emulation.Minor() {
		v := psaapi.MajorMinorVersion(int(emulation.Major()), int(emulation.Minor()))
		p.emulated = &v
	}
}

// ValidateInitialization completes the library's admission from what the
// initializers gave and checks its configuration.
func (p *Plugin) ValidateInitialization() error {
	if p.namespaces == nil || p.client == nil || !p.sawVersion {
		return errors.New("PodSecurity has no informers, client or server version")
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), p.emulated)
	if err != nil {
		return fmt.Errorf("PodSecurity checks: %w", err)
	}
	p.config.Evaluator = evaluator
	// The pods a namespace already has are listed from the API, not the
	// cache: a level change is rare, and its warnings should name a pod
	// created a moment before.
	p.config.PodLister = psa.PodListerFromClient(p.client)
	p.config.NamespaceGetter = psa.NamespaceGetterFromListerAndClient(p.namespaces, p.client)
	if err := p.config.CompleteConfiguration(); err != nil {
		return fmt.Errorf("PodSecurity configuration: %w", err)
	}
	if err := p.config.ValidateConfiguration(); err != nil {
		return fmt.Errorf("PodSecurity configuration is invalid: %w", err)
	}
	return nil
}

var (
	podsResource       = corev1.Resource("pods")
	namespacesResource = corev1.Resource("namespaces")
)

// Validate hands pods, namespaces and pod-template holders to the library
// and turns its answer into warnings, audit annotations and, for a refusal,
// the library's 403.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	gr := a.GetResource().GroupResource()
	if gr != podsResource && gr != namespacesResource && !p.config.PodSpecExtractor.HasPodSpec(gr) {
		return nil
	}
	response := p.config.Validate(ctx, attributes{a})
	for _, w := range response.Warnings {
		warning.AddWarning(ctx, "", w)
	}
	for key, value := range response.AuditAnnotations {
		audit.AddAuditAnnotation(ctx, psaapi.AuditAnnotationPrefix+key, value)
	}
	if response.Allowed {
		return nil
	}
	return refusal(a, response)
}

// refusal is admission's Forbidden error carrying what the library said
// (its message names the level, version and each violation).
func refusal(a admission.Attributes, response *admissionv1.AdmissionResponse) error {
	refused := admission.NewForbidden(a, errors.New("Not allowed by PodSecurity")).(*apierrors.StatusError)
	result := response.Result
	if result == nil {
		return refused
	}
	if result.Message != "" {
		refused.ErrStatus.Message = result.Message
	}
	if result.Reason != "" {
		refused.ErrStatus.Reason = result.Reason
	}
	if result.Details != nil {
		refused.ErrStatus.Details = result.Details
	}
	if result.Code != 0 {
		refused.ErrStatus.Code = result.Code
	}
	return refused
}

// attributes shows admission's request to the library, which wants
// admission/v1's operation type and the user's name.
type attributes struct{ admission.Attributes }

func (a attributes) GetOperation() admissionv1.Operation {
	return admissionv1.Operation(a.Attributes.GetOperation())
}

func (a attributes) GetUserName() string { return a.GetUserInfo().GetName() }

// GetObject is admission's object: the stored types are already core/v1,
// apps/v1 and batch/v1, which the library reads.
func (a attributes) GetObject() (runtime.Object, error) { return a.Attributes.GetObject(), nil }

func (a attributes) GetOldObject() (runtime.Object, error) { return a.Attributes.GetOldObject(), nil }

var _ psaapi.Attributes = attributes{}
