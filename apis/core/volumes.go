package core

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

var (
	accessModes    = sets.New(corev1.ReadWriteOnce, corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOncePod)
	reclaimPolices = sets.New(corev1.PersistentVolumeReclaimRetain, corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRecycle)
	volumeModes    = sets.New(corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem)
)

// SetDefaultsPersistentVolume gives a volume the Retain policy and the
// Filesystem mode.
func SetDefaultsPersistentVolume(pv *corev1.PersistentVolume) {
	if pv.Spec.PersistentVolumeReclaimPolicy == "" {
		pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	}
	if pv.Spec.VolumeMode == nil {
		pv.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
}

// SetDefaultsPersistentVolumeClaim gives a claim the Filesystem mode.
func SetDefaultsPersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) {
	if pvc.Spec.VolumeMode == nil {
		pvc.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
}

func validateAccessModes(modes []corev1.PersistentVolumeAccessMode, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(modes) == 0 {
		allErrs = append(allErrs, field.Required(fldPath, ""))
	}
	for _, m := range modes {
		if !accessModes.Has(m) {
			allErrs = append(allErrs, field.NotSupported(fldPath, m, sets.List(accessModes)))
		}
	}
	if len(modes) > 1 && sets.New(modes...).Has(corev1.ReadWriteOncePod) {
		allErrs = append(allErrs, field.Forbidden(fldPath, "may not use ReadWriteOncePod with other access modes"))
	}
	return allErrs
}

func validateVolumeMode(mode *corev1.PersistentVolumeMode, fldPath *field.Path) field.ErrorList {
	if mode != nil && !volumeModes.Has(*mode) {
		return field.ErrorList{field.NotSupported(fldPath, *mode, sets.List(volumeModes))}
	}
	return nil
}

// ValidatePersistentVolume checks capacity, access modes, exactly one
// volume source and the reclaim policy.
func ValidatePersistentVolume(pv *corev1.PersistentVolume) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&pv.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validatePersistentVolumeSpec(&pv.Spec)...)
}

func validatePersistentVolumeSpec(spec *corev1.PersistentVolumeSpec) field.ErrorList {
	allErrs := validateAccessModes(spec.AccessModes, specPath.Child("accessModes"))
	capacity, ok := spec.Capacity[corev1.ResourceStorage]
	switch {
	case !ok:
		allErrs = append(allErrs, field.Required(specPath.Child("capacity"), "must specify storage"))
	case capacity.Sign() <= 0:
		allErrs = append(allErrs, field.Invalid(specPath.Child("capacity").Key(string(corev1.ResourceStorage)), capacity.String(), "must be greater than zero"))
	}
	for name := range spec.Capacity {
		if name != corev1.ResourceStorage {
			allErrs = append(allErrs, field.NotSupported(specPath.Child("capacity"), name, []corev1.ResourceName{corev1.ResourceStorage}))
		}
	}
	switch n := countPersistentVolumeSources(spec.PersistentVolumeSource); {
	case n == 0:
		allErrs = append(allErrs, field.Required(specPath, "must specify a volume type"))
	case n > 1:
		allErrs = append(allErrs, field.Forbidden(specPath, "may not specify more than 1 volume type"))
	}
	if !reclaimPolices.Has(spec.PersistentVolumeReclaimPolicy) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("persistentVolumeReclaimPolicy"), spec.PersistentVolumeReclaimPolicy, sets.List(reclaimPolices)))
	}
	if spec.HostPath != nil && spec.HostPath.Path == "" {
		allErrs = append(allErrs, field.Required(specPath.Child("hostPath", "path"), ""))
	}
	return append(allErrs, validateVolumeMode(spec.VolumeMode, specPath.Child("volumeMode"))...)
}

func countPersistentVolumeSources(src corev1.PersistentVolumeSource) int {
	n := 0
	for _, set := range []bool{
		src.GCEPersistentDisk != nil, src.AWSElasticBlockStore != nil, src.HostPath != nil, src.Glusterfs != nil,
		src.NFS != nil, src.RBD != nil, src.ISCSI != nil, src.Cinder != nil, src.CephFS != nil, src.FC != nil,
		src.Flocker != nil, src.FlexVolume != nil, src.AzureFile != nil, src.VsphereVolume != nil, src.Quobyte != nil,
		src.AzureDisk != nil, src.PhotonPersistentDisk != nil, src.PortworxVolume != nil, src.ScaleIO != nil,
		src.Local != nil, src.StorageOS != nil, src.CSI != nil,
	} {
		if set {
			n++
		}
	}
	return n
}

// ValidatePersistentVolumeUpdate keeps the volume source and mode.
func ValidatePersistentVolumeUpdate(pv, old *corev1.PersistentVolume) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&pv.ObjectMeta, &old.ObjectMeta, metadataPath)
	if !apiequality.Semantic.DeepEqual(pv.Spec.PersistentVolumeSource, old.Spec.PersistentVolumeSource) {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("persistentvolumesource"), "spec.persistentvolumesource is forbidden once it is set"))
	}
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(pv.Spec.VolumeMode, old.Spec.VolumeMode, specPath.Child("volumeMode"))...)
	return append(allErrs, validatePersistentVolumeSpec(&pv.Spec)...)
}

// ValidatePersistentVolumeClaim checks access modes and the storage request.
func ValidatePersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&pvc.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validatePersistentVolumeClaimSpec(&pvc.Spec)...)
}

func validatePersistentVolumeClaimSpec(spec *corev1.PersistentVolumeClaimSpec) field.ErrorList {
	allErrs := validateAccessModes(spec.AccessModes, specPath.Child("accessModes"))
	requestPath := specPath.Child("resources", "requests").Key(string(corev1.ResourceStorage))
	request, ok := spec.Resources.Requests[corev1.ResourceStorage]
	switch {
	case !ok:
		allErrs = append(allErrs, field.Required(requestPath, ""))
	case request.Sign() <= 0:
		allErrs = append(allErrs, field.Invalid(requestPath, request.String(), "must be greater than zero"))
	}
	allErrs = append(allErrs, validateClaimResources(spec.Resources, specPath.Child("resources"))...)
	return append(allErrs, validateVolumeMode(spec.VolumeMode, specPath.Child("volumeMode"))...)
}

// ValidatePersistentVolumeClaimUpdate allows only a larger storage request
// and binding to a volume, as upstream.
func ValidatePersistentVolumeClaimUpdate(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&pvc.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, validatePersistentVolumeClaimSpec(&pvc.Spec)...)
	mutable := old.Spec.DeepCopy()
	mutable.Resources = pvc.Spec.Resources
	if old.Spec.VolumeName == "" {
		mutable.VolumeName = pvc.Spec.VolumeName
	}
	if !apiequality.Semantic.DeepEqual(*mutable, pvc.Spec) {
		allErrs = append(allErrs, field.Forbidden(specPath, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
	}
	newSize, oldSize := pvc.Spec.Resources.Requests[corev1.ResourceStorage], old.Spec.Resources.Requests[corev1.ResourceStorage]
	if newSize.Cmp(oldSize) < 0 && old.Status.Phase == corev1.ClaimBound {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("resources", "requests", "storage"), "field can not be less than status.capacity"))
	}
	return allErrs
}

// ValidatePersistentVolumeStatusUpdate and ValidatePersistentVolumeClaimStatusUpdate
// check only metadata: status is the binder's to write.
func ValidatePersistentVolumeStatusUpdate(pv, old *corev1.PersistentVolume) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMetaUpdate(&pv.ObjectMeta, &old.ObjectMeta, metadataPath)
}

func ValidatePersistentVolumeClaimStatusUpdate(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMetaUpdate(&pvc.ObjectMeta, &old.ObjectMeta, metadataPath)
}

// validateClaimResources: quantities not negative, requests within limits.
func validateClaimResources(r corev1.VolumeResourceRequirements, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for name, q := range r.Limits {
		if q.Sign() < 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("limits").Key(string(name)), q.String(), "must be greater than or equal to 0"))
		}
	}
	for name, q := range r.Requests {
		path := fldPath.Child("requests").Key(string(name))
		if q.Sign() < 0 {
			allErrs = append(allErrs, field.Invalid(path, q.String(), "must be greater than or equal to 0"))
		}
		if limit, ok := r.Limits[name]; ok && q.Cmp(limit) > 0 {
			allErrs = append(allErrs, field.Invalid(path, q.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
		}
	}
	return allErrs
}
