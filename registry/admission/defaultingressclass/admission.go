// Package defaultingressclass is upstream's DefaultIngressClass admission:
// a new Ingress that names no class (neither spec.ingressClassName nor the
// legacy kubernetes.io/ingress.class annotation) gets the default
// IngressClass, the one annotated ingressclass.kubernetes.io/is-default-class
// "true" (the newest, when several are).
package defaultingressclass

import (
	"context"
	"errors"
	"io"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/admission"
	genericadmissioninit "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/informers"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
)

// legacyClassAnnotation named an Ingress's class before spec.ingressClassName.
const legacyClassAnnotation = "kubernetes.io/ingress.class"

// PluginName is the upstream name of the plugin.
const PluginName = "DefaultIngressClass"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(), nil })
}

// Plugin sets the default class.
type Plugin struct {
	*admission.Handler
	classes networkinglisters.IngressClassLister
}

var (
	_ admission.MutationInterface                           = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeInformerFactory = &Plugin{}
)

// New returns the plugin; the informer factory comes from the chain's initializer.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create)}
}

// SetExternalKubeInformerFactory takes the IngressClass lister; the
// plugin answers once its cache has synced.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	classes := f.Networking().V1().IngressClasses()
	p.classes = classes.Lister()
	p.SetReadyFunc(classes.Informer().HasSynced)
}

// ValidateInitialization says whether the lister was given.
func (p *Plugin) ValidateInitialization() error {
	if p.classes == nil {
		return errors.New("DefaultIngressClass has no IngressClass lister")
	}
	return nil
}

// Admit gives a new Ingress without a class the default one.
func (p *Plugin) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != networkingv1.Resource("ingresses") || a.GetSubresource() != "" {
		return nil
	}
	ing, ok := a.GetObject().(*networkingv1.Ingress)
	if !ok || ing.Spec.IngressClassName != nil {
		return nil
	}
	if _, legacy := ing.Annotations[legacyClassAnnotation]; legacy {
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, errors.New("not yet ready to handle request"))
	}
	classes, err := p.classes.List(labels.Everything())
	if err != nil {
		return admission.NewForbidden(a, err)
	}
	var chosen *networkingv1.IngressClass
	for _, c := range classes {
		if c.Annotations[networkingv1.AnnotationIsDefaultIngressClass] != "true" {
			continue
		}
		if chosen == nil || c.CreationTimestamp.After(chosen.CreationTimestamp.Time) ||
			c.CreationTimestamp.Equal(&chosen.CreationTimestamp) && c.Name < chosen.Name {
			chosen = c
		}
	}
	if chosen != nil {
		name := chosen.Name
		ing.Spec.IngressClassName = &name
	}
	return nil
}
