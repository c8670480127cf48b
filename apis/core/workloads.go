package core

import (
	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// SetDefaultsReplicationController takes the selector and labels from the
// pod template when they are empty, and defaults replicas to 1.
func SetDefaultsReplicationController(rc *corev1.ReplicationController) {
	if t := rc.Spec.Template; t != nil {
		if len(rc.Spec.Selector) == 0 {
			rc.Spec.Selector = t.Labels
		}
		if len(rc.Labels) == 0 {
			rc.Labels = t.Labels
		}
		SetDefaultsPodSpec(&t.Spec)
	}
	if rc.Spec.Replicas == nil {
		rc.Spec.Replicas = ptr.To[int32](1)
	}
}

// ValidateReplicationController checks replicas, selector and template.
func ValidateReplicationController(rc *corev1.ReplicationController) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&rc.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateReplicationControllerSpec(&rc.Spec)...)
}

func validateReplicationControllerSpec(spec *corev1.ReplicationControllerSpec) field.ErrorList {
	var allErrs field.ErrorList
	if spec.Replicas != nil && *spec.Replicas < 0 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("replicas"), *spec.Replicas, "must be greater than or equal to 0"))
	}
	if spec.MinReadySeconds < 0 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("minReadySeconds"), spec.MinReadySeconds, "must be greater than or equal to 0"))
	}
	if len(spec.Selector) == 0 {
		allErrs = append(allErrs, field.Required(specPath.Child("selector"), ""))
	} else {
		allErrs = append(allErrs, unversionedvalidation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	}
	templatePath := specPath.Child("template")
	if spec.Template == nil {
		return append(allErrs, field.Required(templatePath, ""))
	}
	if len(spec.Selector) > 0 && !labels.SelectorFromSet(spec.Selector).Matches(labels.Set(spec.Template.Labels)) {
		allErrs = append(allErrs, field.Invalid(templatePath.Child("metadata", "labels"), spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	allErrs = append(allErrs, ValidatePodTemplateSpec(spec.Template, templatePath)...)
	if spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		allErrs = append(allErrs, field.NotSupported(templatePath.Child("spec", "restartPolicy"), spec.Template.Spec.RestartPolicy, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	if spec.Template.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Forbidden(templatePath.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicationController is not Supported"))
	}
	return allErrs
}

// ValidateReplicationControllerUpdate checks an update of a controller.
func ValidateReplicationControllerUpdate(rc, old *corev1.ReplicationController) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, validateReplicationControllerSpec(&rc.Spec)...)
}

// ValidateReplicationControllerStatusUpdate checks the counts in status.
func ValidateReplicationControllerStatusUpdate(rc, old *corev1.ReplicationController) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta, metadataPath)
	status := field.NewPath("status")
	for name, n := range map[string]int32{
		"replicas": rc.Status.Replicas, "fullyLabeledReplicas": rc.Status.FullyLabeledReplicas,
		"readyReplicas": rc.Status.ReadyReplicas, "availableReplicas": rc.Status.AvailableReplicas,
	} {
		if n < 0 {
			allErrs = append(allErrs, field.Invalid(status.Child(name), n, "must be greater than or equal to 0"))
		}
	}
	if rc.Status.ReadyReplicas > rc.Status.Replicas {
		allErrs = append(allErrs, field.Invalid(status.Child("readyReplicas"), rc.Status.ReadyReplicas, "cannot be greater than status.replicas"))
	}
	if rc.Status.AvailableReplicas > rc.Status.ReadyReplicas {
		allErrs = append(allErrs, field.Invalid(status.Child("availableReplicas"), rc.Status.AvailableReplicas, "cannot be greater than readyReplicas"))
	}
	return allErrs
}

// ValidatePodTemplate checks a stored pod template.
func ValidatePodTemplate(t *corev1.PodTemplate) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&t.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, ValidatePodTemplateSpec(&t.Template, field.NewPath("template"))...)
}

// ValidatePodTemplateUpdate checks an update of a pod template.
func ValidatePodTemplateUpdate(t, old *corev1.PodTemplate) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&t.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, ValidatePodTemplateSpec(&t.Template, field.NewPath("template"))...)
}
