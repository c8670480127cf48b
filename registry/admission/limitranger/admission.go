// Package limitranger is upstream's LimitRanger admission: the LimitRanges
// of a namespace fill default requests and limits into new pods' containers
// and refuse pods, containers and claims outside their min, max and
// limit/request ratio, with upstream's messages.
package limitranger

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/admission"
	genericadmissioninitializer "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// PluginName is the upstream name of the plugin.
const PluginName = "LimitRanger"

// annotation records on a pod which defaults the plugin set.
const annotation = "kubernetes.io/limit-ranger"

// liveLookupTTL is how long a live list of a namespace's limit ranges is
// trusted while the informer has none (the informer may lag a LimitRange
// created a moment ago), as upstream.
const liveLookupTTL = 30 * time.Second

// Plugin is the LimitRanger admission.
type Plugin struct {
	*admission.Handler
	client kubernetes.Interface
	lister corelisters.LimitRangeLister

	mu   sync.Mutex
	live map[string]liveLookup
}

type liveLookup struct {
	expiry time.Time
	items  []*corev1.LimitRange
}

var (
	_ admission.MutationInterface                                  = &Plugin{}
	_ admission.ValidationInterface                                = &Plugin{}
	_ admission.InitializationValidator                            = &Plugin{}
	_ genericadmissioninitializer.WantsExternalKubeClientSet       = &Plugin{}
	_ genericadmissioninitializer.WantsExternalKubeInformerFactory = &Plugin{}
)

// New returns the plugin; the admission initializer gives it its client and
// informers.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create, admission.Update), live: map[string]liveLookup{}}
}

func (p *Plugin) SetExternalKubeClientSet(client kubernetes.Interface) { p.client = client }

func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	informer := f.Core().V1().LimitRanges()
	p.lister = informer.Lister()
	p.SetReadyFunc(informer.Informer().HasSynced)
}

func (p *Plugin) ValidateInitialization() error {
	if p.client == nil || p.lister == nil {
		return fmt.Errorf("%s needs a client and a LimitRange lister", PluginName)
	}
	return nil
}

// applies says whether a request is one the plugin looks at: creates of
// pods (a pod's containers cannot change after), creates and updates of
// claims (a resize is checked too), never subresources.
func applies(a admission.Attributes) bool {
	if a.GetSubresource() != "" {
		return false
	}
	switch a.GetResource().GroupResource() {
	case corev1.Resource("pods"):
		return a.GetOperation() == admission.Create
	case corev1.Resource("persistentvolumeclaims"):
		return true
	}
	return false
}

// Admit fills container defaults into a new pod.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if !applies(a) {
		return nil
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return nil
	}
	ranges, err := p.limitRanges(ctx, a)
	if err != nil {
		return err
	}
	for _, lr := range ranges {
		applyDefaults(lr, pod)
	}
	return nil
}

// Validate refuses a pod or claim outside a LimitRange of its namespace;
// every violation is reported, not only the first.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if !applies(a) {
		return nil
	}
	ranges, err := p.limitRanges(ctx, a)
	if err != nil || len(ranges) == 0 {
		return err
	}
	var errs []error
	for _, lr := range ranges {
		switch obj := a.GetObject().(type) {
		case *corev1.Pod:
			errs = append(errs, validatePod(lr, obj)...)
		case *corev1.PersistentVolumeClaim:
			errs = append(errs, validateClaim(lr, obj)...)
		}
	}
	if len(errs) > 0 {
		return admission.NewForbidden(a, utilerrors.NewAggregate(errs))
	}
	return nil
}

// limitRanges returns the namespace's LimitRanges: from the informer, or
// (while it has none) from a live list cached for liveLookupTTL.
func (p *Plugin) limitRanges(ctx context.Context, a admission.Attributes) ([]*corev1.LimitRange, error) {
	if !p.WaitForReady() {
		return nil, admission.NewForbidden(a, fmt.Errorf("not yet ready to handle request"))
	}
	namespace := a.GetNamespace()
	items, err := p.lister.LimitRanges(namespace).List(labels.Everything())
	if err != nil {
		return nil, admission.NewForbidden(a, fmt.Errorf("unable to %s %v at this time because there was an error enforcing limit ranges", a.GetOperation(), a.GetResource()))
	}
	if len(items) > 0 {
		return items, nil
	}
	p.mu.Lock()
	cached, ok := p.live[namespace]
	p.mu.Unlock()
	if ok && time.Now().Before(cached.expiry) {
		return cached.items, nil
	}
	list, err := p.client.CoreV1().LimitRanges(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, admission.NewForbidden(a, err)
	}
	entry := liveLookup{expiry: time.Now().Add(liveLookupTTL)}
	for i := range list.Items {
		entry.items = append(entry.items, &list.Items[i])
	}
	p.mu.Lock()
	p.live[namespace] = entry
	p.mu.Unlock()
	return entry.items, nil
}

// applyDefaults sets each container's missing requests and limits from the
// Container limits of lr and notes what it set in the pod's annotation.
func applyDefaults(lr *corev1.LimitRange, pod *corev1.Pod) {
	limits, requests := corev1.ResourceList{}, corev1.ResourceList{}
	for _, item := range lr.Spec.Limits {
		if item.Type != corev1.LimitTypeContainer {
			continue
		}
		for name, q := range item.Default {
			limits[name] = q.DeepCopy()
		}
		for name, q := range item.DefaultRequest {
			requests[name] = q.DeepCopy()
		}
	}
	if len(limits) == 0 && len(requests) == 0 {
		return
	}
	var notes []string
	for i := range pod.Spec.Containers {
		notes = append(notes, fillContainer(&pod.Spec.Containers[i], "container", limits, requests)...)
	}
	for i := range pod.Spec.InitContainers {
		notes = append(notes, fillContainer(&pod.Spec.InitContainers[i], "init container", limits, requests)...)
	}
	if len(notes) == 0 {
		return
	}
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[annotation] = "LimitRanger plugin set: " + strings.Join(notes, "; ")
}

// fillContainer adds the defaults a container lacks; it returns upstream's
// notes ("cpu, memory request for container web").
func fillContainer(c *corev1.Container, kind string, limits, requests corev1.ResourceList) []string {
	var notes []string
	fill := func(target *corev1.ResourceList, defaults corev1.ResourceList, what string) {
		var set []string
		for name, q := range defaults {
			if _, ok := (*target)[name]; ok {
				continue
			}
			if *target == nil {
				*target = corev1.ResourceList{}
			}
			(*target)[name] = q.DeepCopy()
			set = append(set, string(name))
		}
		if len(set) > 0 {
			sort.Strings(set)
			notes = append(notes, fmt.Sprintf("%s %s for %s %s", strings.Join(set, ", "), what, kind, c.Name))
		}
	}
	fill(&c.Resources.Requests, requests, "request")
	fill(&c.Resources.Limits, limits, "limit")
	return notes
}
