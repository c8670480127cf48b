// Package storage holds the scheme registration, defaults and validation
// of storage.k8s.io/v1 (StorageClasses, CSIDrivers, CSINodes,
// VolumeAttachments, CSIStorageCapacities, VolumeAttributesClasses), on
// the k8s.io/api types.
package storage

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// IsDefaultAnnotation marks the default StorageClass (upstream's name).
const IsDefaultAnnotation = "storageclass.kubernetes.io/is-default-class"

// Install registers storage.k8s.io/v1 as external and hub version, with
// upstream's defaults.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, storagev1.SchemeGroupVersion, storagev1.AddToScheme, &storagev1.StorageClass{}); err != nil {
		return err
	}
	scheme.AddTypeDefaultingFunc(&storagev1.StorageClass{}, func(obj interface{}) {
		sc := obj.(*storagev1.StorageClass)
		if sc.ReclaimPolicy == nil {
			sc.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimDelete)
		}
		if sc.VolumeBindingMode == nil {
			sc.VolumeBindingMode = ptr.To(storagev1.VolumeBindingImmediate)
		}
	})
	scheme.AddTypeDefaultingFunc(&storagev1.CSIDriver{}, func(obj interface{}) {
		spec := &obj.(*storagev1.CSIDriver).Spec
		if spec.AttachRequired == nil {
			spec.AttachRequired = ptr.To(true)
		}
		if spec.PodInfoOnMount == nil {
			spec.PodInfoOnMount = ptr.To(false)
		}
		if spec.StorageCapacity == nil {
			spec.StorageCapacity = ptr.To(false)
		}
		if spec.FSGroupPolicy == nil {
			spec.FSGroupPolicy = ptr.To(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy)
		}
		if len(spec.VolumeLifecycleModes) == 0 {
			spec.VolumeLifecycleModes = []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent}
		}
		if spec.RequiresRepublish == nil {
			spec.RequiresRepublish = ptr.To(false)
		}
		if spec.SELinuxMount == nil {
			spec.SELinuxMount = ptr.To(false)
		}
	})
	return nil
}

var (
	reclaimPolicies = sets.New(corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRetain)
	bindingModes    = sets.New(storagev1.VolumeBindingImmediate, storagev1.VolumeBindingWaitForFirstConsumer)
	lifecycleModes  = sets.New(storagev1.VolumeLifecyclePersistent, storagev1.VolumeLifecycleEphemeral)
	fsGroupPolicies = sets.New(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy, storagev1.FileFSGroupPolicy, storagev1.NoneFSGroupPolicy)
	metadataPath    = field.NewPath("metadata")
)

// driverName checks a CSI driver name as upstream: a DNS-1123 subdomain
// of at most 63 characters.
func driverName(name string, path *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	var allErrs field.ErrorList
	if len(name) > 63 {
		allErrs = append(allErrs, field.TooLong(path, name, 63))
	}
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		allErrs = append(allErrs, field.Invalid(path, name, msg))
	}
	return allErrs
}

// ValidateStorageClass checks a class: a provisioner, a known reclaim
// policy and binding mode.
func ValidateStorageClass(sc *storagev1.StorageClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&sc.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	if sc.Provisioner == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("provisioner"), ""))
	} else {
		for _, msg := range validation.IsQualifiedName(sc.Provisioner) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("provisioner"), sc.Provisioner, msg))
		}
	}
	if p := sc.ReclaimPolicy; p != nil && !reclaimPolicies.Has(*p) {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("reclaimPolicy"), *p, sets.List(reclaimPolicies)))
	}
	if m := sc.VolumeBindingMode; m != nil && !bindingModes.Has(*m) {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("volumeBindingMode"), *m, sets.List(bindingModes)))
	}
	return allErrs
}

// ValidateStorageClassUpdate also keeps what upstream keeps: the
// provisioner, parameters, reclaim policy and binding mode.
func ValidateStorageClassUpdate(sc, old *storagev1.StorageClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, ValidateStorageClass(sc)...)
	if sc.Provisioner != old.Provisioner {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("provisioner"), "updates to provisioner are forbidden."))
	}
	if !apiequality.Semantic.DeepEqual(sc.Parameters, old.Parameters) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	if !apiequality.Semantic.DeepEqual(sc.ReclaimPolicy, old.ReclaimPolicy) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
	}
	if !apiequality.Semantic.DeepEqual(sc.VolumeBindingMode, old.VolumeBindingMode) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("volumeBindingMode"), "field is immutable"))
	}
	return allErrs
}

// ValidateCSIDriver checks a driver's name and modes.
func ValidateCSIDriver(d *storagev1.CSIDriver) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&d.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	allErrs = append(allErrs, driverName(d.Name, metadataPath.Child("name"))...)
	spec := field.NewPath("spec")
	for i, m := range d.Spec.VolumeLifecycleModes {
		if !lifecycleModes.Has(m) {
			allErrs = append(allErrs, field.NotSupported(spec.Child("volumeLifecycleModes").Index(i), m, sets.List(lifecycleModes)))
		}
	}
	if p := d.Spec.FSGroupPolicy; p != nil && !fsGroupPolicies.Has(*p) {
		allErrs = append(allErrs, field.NotSupported(spec.Child("fsGroupPolicy"), *p, sets.List(fsGroupPolicies)))
	}
	return allErrs
}

// ValidateCSIDriverUpdate keeps attachRequired, as upstream.
func ValidateCSIDriverUpdate(d, old *storagev1.CSIDriver) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, ValidateCSIDriver(d)...)
	if !apiequality.Semantic.DeepEqual(d.Spec.AttachRequired, old.Spec.AttachRequired) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "attachRequired"), d.Spec.AttachRequired, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}

// ValidateCSINode checks the drivers: named, each once, with a node ID.
func ValidateCSINode(n *storagev1.CSINode) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&n.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	seen := sets.New[string]()
	drivers := field.NewPath("spec", "drivers")
	for i, d := range n.Spec.Drivers {
		path := drivers.Index(i)
		allErrs = append(allErrs, driverName(d.Name, path.Child("name"))...)
		if seen.Has(d.Name) {
			allErrs = append(allErrs, field.Duplicate(path.Child("name"), d.Name))
		}
		seen.Insert(d.Name)
		if d.NodeID == "" {
			allErrs = append(allErrs, field.Required(path.Child("nodeID"), ""))
		}
		if c := d.Allocatable; c != nil && c.Count != nil && *c.Count < 0 {
			allErrs = append(allErrs, field.Invalid(path.Child("allocatable", "count"), *c.Count, "must be greater than or equal to 0"))
		}
	}
	return allErrs
}

// ValidateCSINodeUpdate keeps each driver's node ID and topology keys.
func ValidateCSINodeUpdate(n, old *storagev1.CSINode) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, ValidateCSINode(n)...)
	for i, d := range n.Spec.Drivers {
		for _, o := range old.Spec.Drivers {
			if o.Name == d.Name && (o.NodeID != d.NodeID || !apiequality.Semantic.DeepEqual(o.TopologyKeys, d.TopologyKeys)) {
				allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "drivers").Index(i), d.Name, "field is immutable"))
			}
		}
	}
	return allErrs
}

// ValidateVolumeAttachment checks the attacher, node and source.
func ValidateVolumeAttachment(va *storagev1.VolumeAttachment) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&va.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	spec := field.NewPath("spec")
	allErrs = append(allErrs, driverName(va.Spec.Attacher, spec.Child("attacher"))...)
	if va.Spec.NodeName == "" {
		allErrs = append(allErrs, field.Required(spec.Child("nodeName"), ""))
	}
	source := va.Spec.Source
	switch {
	case source.PersistentVolumeName == nil && source.InlineVolumeSpec == nil:
		allErrs = append(allErrs, field.Required(spec.Child("source"), "must specify exactly one of persistentVolumeName and inlineVolumeSpec"))
	case source.PersistentVolumeName != nil && source.InlineVolumeSpec != nil:
		allErrs = append(allErrs, field.Forbidden(spec.Child("source"), "must specify exactly one of persistentVolumeName and inlineVolumeSpec"))
	case source.PersistentVolumeName != nil && *source.PersistentVolumeName == "":
		allErrs = append(allErrs, field.Required(spec.Child("source", "persistentVolumeName"), "must specify non empty persistentVolumeName"))
	}
	return allErrs
}

// ValidateVolumeAttachmentUpdate keeps the spec.
func ValidateVolumeAttachmentUpdate(va, old *storagev1.VolumeAttachment) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&va.ObjectMeta, &old.ObjectMeta, metadataPath)
	if !apiequality.Semantic.DeepEqual(va.Spec, old.Spec) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec"), va.Spec, "field is immutable"))
	}
	return allErrs
}

// ValidateCSIStorageCapacity checks the class name and capacities.
func ValidateCSIStorageCapacity(c *storagev1.CSIStorageCapacity) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&c.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	if c.StorageClassName == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("storageClassName"), ""))
	}
	if c.Capacity != nil && c.Capacity.Sign() < 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("capacity"), c.Capacity.String(), "must be greater than or equal to 0"))
	}
	if c.MaximumVolumeSize != nil && c.MaximumVolumeSize.Sign() < 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("maximumVolumeSize"), c.MaximumVolumeSize.String(), "must be greater than or equal to 0"))
	}
	return allErrs
}

// ValidateCSIStorageCapacityUpdate keeps all but the capacities.
func ValidateCSIStorageCapacityUpdate(c, old *storagev1.CSIStorageCapacity) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, ValidateCSIStorageCapacity(c)...)
	if c.StorageClassName != old.StorageClassName {
		allErrs = append(allErrs, field.Invalid(field.NewPath("storageClassName"), c.StorageClassName, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}

// ValidateVolumeAttributesClass checks the driver name.
func ValidateVolumeAttributesClass(c *storagev1.VolumeAttributesClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&c.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, driverName(c.DriverName, field.NewPath("driverName"))...)
}

// ValidateVolumeAttributesClassUpdate keeps the driver and parameters.
func ValidateVolumeAttributesClassUpdate(c, old *storagev1.VolumeAttributesClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, ValidateVolumeAttributesClass(c)...)
	if c.DriverName != old.DriverName {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("driverName"), "updates to driverName are forbidden."))
	}
	if !apiequality.Semantic.DeepEqual(c.Parameters, old.Parameters) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	return allErrs
}
