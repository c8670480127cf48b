// Package scheme is the one runtime.Scheme of the kybernetes API server: every
// served group installed, plus the meta types the apiserver library needs.
package scheme

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	resourcev1 "k8s.io/api/resource/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/kybernetes/kybernetes/apis/admissionregistration"
	"github.com/kybernetes/kybernetes/apis/apps"
	"github.com/kybernetes/kybernetes/apis/authentication"
	"github.com/kybernetes/kybernetes/apis/authorization"
	"github.com/kybernetes/kybernetes/apis/autoscaling"
	"github.com/kybernetes/kybernetes/apis/batch"
	"github.com/kybernetes/kybernetes/apis/certificates"
	"github.com/kybernetes/kybernetes/apis/coordination"
	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/discovery"
	"github.com/kybernetes/kybernetes/apis/events"
	"github.com/kybernetes/kybernetes/apis/flowcontrol"
	"github.com/kybernetes/kybernetes/apis/metrics"
	"github.com/kybernetes/kybernetes/apis/networking"
	"github.com/kybernetes/kybernetes/apis/node"
	"github.com/kybernetes/kybernetes/apis/policy"
	"github.com/kybernetes/kybernetes/apis/rbac"
	"github.com/kybernetes/kybernetes/apis/resource"
	"github.com/kybernetes/kybernetes/apis/scheduling"
	"github.com/kybernetes/kybernetes/apis/storage"
	"github.com/kybernetes/kybernetes/apis/storagemigration"
)

var (
	// Scheme knows every served kind under its external and hub version.
	Scheme = runtime.NewScheme()
	// Codecs serializes to JSON, YAML, protobuf and CBOR.
	Codecs = serializer.NewCodecFactory(Scheme)
	// ParameterCodec decodes query parameters (ListOptions, ...).
	ParameterCodec = runtime.NewParameterCodec(Scheme)
)

// installers lists every API group the server serves.
var installers = []func(*runtime.Scheme) error{
	core.Install,
	events.Install,
	coordination.Install,
	authentication.Install,
	policy.Install,
	autoscaling.Install,
	apps.Install,
	batch.Install,
	networking.Install,
	discovery.Install,
	metrics.Install,
	scheduling.Install,
	resource.Install,
	node.Install,
	storagemigration.Install,
	storage.Install,
	rbac.Install,
	authorization.Install,
	admissionregistration.Install,
	certificates.Install,
	flowcontrol.Install,
}

// externals lists the external versions alone, for NewExternalScheme.
var externals = []func(*runtime.Scheme) error{
	corev1.AddToScheme,
	eventsv1.AddToScheme,
	coordinationv1.AddToScheme,
	authenticationv1.AddToScheme,
	policyv1.AddToScheme,
	autoscalingv1.AddToScheme,
	autoscalingv2.AddToScheme,
	appsv1.AddToScheme,
	batchv1.AddToScheme,
	networkingv1.AddToScheme,
	discoveryv1.AddToScheme,
	metricsv1beta1.AddToScheme,
	schedulingv1.AddToScheme,
	resourcev1.AddToScheme,
	nodev1.AddToScheme,
	storagemigrationv1.AddToScheme,
	storagev1.AddToScheme,
	rbacv1.AddToScheme,
	authorizationv1.AddToScheme,
	admissionregistrationv1.AddToScheme,
	certificatesv1.AddToScheme,
	flowcontrolv1.AddToScheme,
}

// NewExternalScheme returns a scheme holding only the external versions of
// the served types. The OpenAPI definition namer is built from it: built from
// Scheme, every definition would also advertise an "__internal" GVK.
func NewExternalScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range externals {
		utilruntime.Must(add(s))
	}
	return s
}

func init() {
	for _, install := range installers {
		utilruntime.Must(install(Scheme))
	}
	utilruntime.Must(metainternalversion.AddToScheme(Scheme))
	// The apiserver library encodes Status, APIVersions, ... as unversioned v1.
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	metav1.AddToGroupVersion(Scheme, unversioned)
	Scheme.AddUnversionedTypes(unversioned,
		&metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{},
		&metav1.APIGroup{}, &metav1.APIResourceList{})
}
