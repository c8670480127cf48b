package autoscaling

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

var (
	metadataPath = field.NewPath("metadata")
	specPath     = field.NewPath("spec")
	metricTypes  = sets.New(autoscalingv2.ObjectMetricSourceType, autoscalingv2.PodsMetricSourceType,
		autoscalingv2.ResourceMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType, autoscalingv2.ExternalMetricSourceType)
	targetTypes = sets.New(autoscalingv2.UtilizationMetricType, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType)
)

// ValidateHorizontalPodAutoscaler checks the target reference, the replica
// bounds and each metric.
func ValidateHorizontalPodAutoscaler(hpa *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&hpa.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateSpec(&hpa.Spec)...)
}

func validateSpec(spec *autoscalingv2.HorizontalPodAutoscalerSpec) field.ErrorList {
	var allErrs field.ErrorList
	ref := specPath.Child("scaleTargetRef")
	if spec.ScaleTargetRef.Kind == "" {
		allErrs = append(allErrs, field.Required(ref.Child("kind"), ""))
	}
	if spec.ScaleTargetRef.Name == "" {
		allErrs = append(allErrs, field.Required(ref.Child("name"), ""))
	}
	min := ptr.Deref(spec.MinReplicas, 1)
	if min < 1 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("minReplicas"), min, "must be greater than or equal to 1"))
	}
	if spec.MaxReplicas < 1 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("maxReplicas"), spec.MaxReplicas, "must be greater than 0"))
	}
	if spec.MaxReplicas < min {
		allErrs = append(allErrs, field.Invalid(specPath.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	for i, m := range spec.Metrics {
		idx := specPath.Child("metrics").Index(i)
		if !metricTypes.Has(m.Type) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("type"), m.Type, sets.List(metricTypes)))
			continue
		}
		var target *autoscalingv2.MetricTarget
		var sourcePath *field.Path
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			if m.Resource != nil {
				target, sourcePath = &m.Resource.Target, idx.Child("resource")
			}
		case autoscalingv2.ContainerResourceMetricSourceType:
			if m.ContainerResource != nil {
				target, sourcePath = &m.ContainerResource.Target, idx.Child("containerResource")
			}
		case autoscalingv2.PodsMetricSourceType:
			if m.Pods != nil {
				target, sourcePath = &m.Pods.Target, idx.Child("pods")
			}
		case autoscalingv2.ObjectMetricSourceType:
			if m.Object != nil {
				target, sourcePath = &m.Object.Target, idx.Child("object")
			}
		case autoscalingv2.ExternalMetricSourceType:
			if m.External != nil {
				target, sourcePath = &m.External.Target, idx.Child("external")
			}
		}
		if target == nil {
			allErrs = append(allErrs, field.Required(idx, "must populate information for the given metric source"))
			continue
		}
		if !targetTypes.Has(target.Type) {
			allErrs = append(allErrs, field.NotSupported(sourcePath.Child("target", "type"), target.Type, sets.List(targetTypes)))
		}
		if u := target.AverageUtilization; u != nil && *u <= 0 {
			allErrs = append(allErrs, field.Invalid(sourcePath.Child("target", "averageUtilization"), *u, "must be greater than 0"))
		}
	}
	return allErrs
}

// ValidateHorizontalPodAutoscalerUpdate checks an update of an autoscaler.
func ValidateHorizontalPodAutoscalerUpdate(hpa, old *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&hpa.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, validateSpec(&hpa.Spec)...)
}

// ValidateHorizontalPodAutoscalerStatusUpdate checks replica counts.
func ValidateHorizontalPodAutoscalerStatusUpdate(hpa, old *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&hpa.ObjectMeta, &old.ObjectMeta, metadataPath)
	status := field.NewPath("status")
	if hpa.Status.CurrentReplicas < 0 {
		allErrs = append(allErrs, field.Invalid(status.Child("currentReplicas"), hpa.Status.CurrentReplicas, "must be greater than or equal to 0"))
	}
	if hpa.Status.DesiredReplicas < 0 {
		allErrs = append(allErrs, field.Invalid(status.Child("desiredReplicas"), hpa.Status.DesiredReplicas, "must be greater than or equal to 0"))
	}
	return allErrs
}
