// Package defaultstorageclass is upstream's DefaultStorageClass admission:
// a new PersistentVolumeClaim that names no class (storageClassName unset)
// gets the default StorageClass, the one annotated
// storageclass.kubernetes.io/is-default-class "true" (the newest, when
// several are). Without a default class it is left as it is.
package defaultstorageclass

import (
	"context"
	"errors"
	"io"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/admission"
	genericadmissioninit "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/informers"
	storagelisters "k8s.io/client-go/listers/storage/v1"

	"github.com/kybernetes/kybernetes/apis/storage"
)

// PluginName is the upstream name of the plugin.
const PluginName = "DefaultStorageClass"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) { return New(), nil })
}

// Plugin sets the default class.
type Plugin struct {
	*admission.Handler
	classes storagelisters.StorageClassLister
}

var (
	_ admission.MutationInterface                           = &Plugin{}
	_ genericadmissioninit.WantsExternalKubeInformerFactory = &Plugin{}
)

// New returns the plugin; the informer factory comes from the chain's initializer.
func New() *Plugin { return &Plugin{Handler: admission.NewHandler(admission.Create)} }

// SetExternalKubeInformerFactory takes the StorageClass lister.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	classes := f.Storage().V1().StorageClasses()
	p.classes = classes.Lister()
	p.SetReadyFunc(classes.Informer().HasSynced)
}

// ValidateInitialization says whether the lister was given.
func (p *Plugin) ValidateInitialization() error {
	if p.classes == nil {
		return errors.New("DefaultStorageClass has no StorageClass lister")
	}
	return nil
}

// Admit gives a new claim without a class the default one.
func (p *Plugin) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != corev1.Resource("persistentvolumeclaims") || a.GetSubresource() != "" {
		return nil
	}
	claim, ok := a.GetObject().(*corev1.PersistentVolumeClaim)
	if !ok || claim.Spec.StorageClassName != nil {
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, errors.New("not yet ready to handle request"))
	}
	classes, err := p.classes.List(labels.Everything())
	if err != nil {
		return admission.NewForbidden(a, err)
	}
	var chosen *storagev1.StorageClass
	for _, c := range classes {
		if c.Annotations[storage.IsDefaultAnnotation] != "true" {
			continue
		}
		if chosen == nil || c.CreationTimestamp.After(chosen.CreationTimestamp.Time) ||
			c.CreationTimestamp.Equal(&chosen.CreationTimestamp) && c.Name < chosen.Name {
			chosen = c
		}
	}
	if chosen != nil {
		name := chosen.Name
		claim.Spec.StorageClassName = &name
	}
	return nil
}
