// Package runtimeclass is upstream's RuntimeClass admission: a new pod
// naming a RuntimeClass gets the class's pod overhead (refused when it
// gives a different one, or an overhead without a class that defines one)
// and the class's scheduling constraints: its node selector merged into
// the pod's (refused on a conflicting value) and its tolerations added.
package runtimeclass

import (
	"context"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	genericadmissioninit "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	nodelisters "k8s.io/client-go/listers/node/v1"
)

// PluginName is the upstream name of the plugin.
const PluginName = "RuntimeClass"

var podsResource = corev1.Resource("pods")

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(), nil })
}

// Plugin applies RuntimeClasses to the pods that name them.
type Plugin struct {
	*admission.Handler
	classes nodelisters.RuntimeClassLister
	client  kubernetes.Interface
}

var (
	_ admission.MutationInterface                           = &Plugin{}
	_ admission.ValidationInterface                         = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeInformerFactory = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeClientSet       = &Plugin{}
)

// New returns the plugin; it acts on pod creation only.
func New() *Plugin { return &Plugin{Handler: admission.NewHandler(admission.Create)} }

// SetExternalKubeInformerFactory takes the RuntimeClass lister.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	classes := f.Node().V1().RuntimeClasses()
	p.classes = classes.Lister()
	p.SetReadyFunc(classes.Informer().HasSynced)
}

// SetExternalKubeClientSet takes the client a class not yet in the
// lister's cache is read with.
func (p *Plugin) SetExternalKubeClientSet(client kubernetes.Interface) { p.client = client }

// ValidateInitialization says whether the lister and client were given.
func (p *Plugin) ValidateInitialization() error {
	if p.classes == nil || p.client == nil {
		return errors.New("RuntimeClass has no RuntimeClass lister or client")
	}
	return nil
}

// Admit sets the pod's overhead and scheduling from its class.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	pod, class, err := p.podAndClass(ctx, a)
	if err != nil || class == nil {
		return err
	}
	if class.Overhead != nil {
		if len(pod.Spec.Overhead) > 0 && !apiequality.Semantic.DeepEqual(class.Overhead.PodFixed, pod.Spec.Overhead) {
			return admission.NewForbidden(a, errors.New("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"))
		}
		pod.Spec.Overhead = class.Overhead.PodFixed.DeepCopy()
	}
	if s := class.Scheduling; s != nil {
		if len(s.NodeSelector) > 0 && pod.Spec.NodeSelector == nil {
			pod.Spec.NodeSelector = map[string]string{}
		}
		for key, value := range s.NodeSelector {
			if podValue, ok := pod.Spec.NodeSelector[key]; ok && podValue != value {
				return admission.NewForbidden(a, fmt.Errorf("conflict: runtimeClass.scheduling.nodeSelector[%s] = %s; pod.spec.nodeSelector[%s] = %s", key, value, key, podValue))
			}
			pod.Spec.NodeSelector[key] = value
		}
		for _, t := range s.Tolerations {
			if !hasToleration(pod.Spec.Tolerations, t) {
				pod.Spec.Tolerations = append(pod.Spec.Tolerations, t)
			}
		}
	}
	return nil
}

// Validate refuses an overhead the pod's class does not define, also
// when a later admission step set it.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	pod, class, err := p.podAndClass(ctx, a)
	if err != nil || pod == nil {
		return err
	}
	if class != nil && class.Overhead != nil {
		if !apiequality.Semantic.DeepEqual(class.Overhead.PodFixed, pod.Spec.Overhead) {
			return admission.NewForbidden(a, errors.New("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"))
		}
	} else if pod.Spec.Overhead != nil {
		return admission.NewForbidden(a, errors.New("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"))
	}
	return nil
}

// podAndClass is the pod being created and the class it names (nil
// without one); nil, nil for anything else.
func (p *Plugin) podAndClass(ctx context.Context, a admission.Attributes) (*corev1.Pod, *nodev1.RuntimeClass, error) {
	if a.GetSubresource() != "" || a.GetResource().GroupResource() != podsResource {
		return nil, nil, nil
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return nil, nil, apierrors.NewBadRequest("Resource was marked with kind Pod but was unable to be converted")
	}
	if pod.Spec.RuntimeClassName == nil {
		return pod, nil, nil
	}
	if !p.WaitForReady() {
		return nil, nil, admission.NewForbidden(a, errors.New("not yet ready to handle request"))
	}
	name := *pod.Spec.RuntimeClassName
	class, err := p.classes.Get(name)
	if apierrors.IsNotFound(err) {
		// Made a moment ago and not in the cache yet?
		class, err = p.client.NodeV1().RuntimeClasses().Get(ctx, name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return nil, nil, admission.NewForbidden(a, fmt.Errorf("pod rejected: RuntimeClass %q not found", name))
	}
	return pod, class, err
}

// hasToleration: the pod already tolerates what t does (the same
// toleration, or one for the key with Exists and the same or every effect).
func hasToleration(tolerations []corev1.Toleration, t corev1.Toleration) bool {
	for _, have := range tolerations {
		same := have.Key == t.Key && have.Operator == t.Operator && have.Value == t.Value && have.Effect == t.Effect &&
			(have.TolerationSeconds == nil) == (t.TolerationSeconds == nil) &&
			(have.TolerationSeconds == nil || *have.TolerationSeconds == *t.TolerationSeconds)
		covers := have.Operator == corev1.TolerationOpExists && have.Key == t.Key && (have.Effect == "" || have.Effect == t.Effect) &&
			have.TolerationSeconds == nil
		if same || covers {
			return true
		}
	}
	return false
}
