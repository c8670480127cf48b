package autoscaling

import (
	"fmt"

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
		targetPath := sourcePath.Child("target")
		if u := target.AverageUtilization; u != nil && *u <= 0 {
			allErrs = append(allErrs, field.Invalid(targetPath.Child("averageUtilization"), *u, "must be greater than 0"))
		}
		if v := target.Value; v != nil && v.Sign() != 1 {
			allErrs = append(allErrs, field.Invalid(targetPath.Child("value"), v.String(), "must be positive"))
		}
		if v := target.AverageValue; v != nil && v.Sign() != 1 {
			allErrs = append(allErrs, field.Invalid(targetPath.Child("averageValue"), v.String(), "must be positive"))
		}
		if (m.Type == autoscalingv2.ResourceMetricSourceType || m.Type == autoscalingv2.ContainerResourceMetricSourceType) &&
			target.AverageValue == nil && target.AverageUtilization == nil {
			allErrs = append(allErrs, field.Required(targetPath.Child("averageUtilization"), "must set either a target raw value or a target utilization"))
		}
	}
	if b := spec.Behavior; b != nil {
		allErrs = append(allErrs, validateScalingRules(b.ScaleUp, specPath.Child("behavior", "scaleUp"))...)
		allErrs = append(allErrs, validateScalingRules(b.ScaleDown, specPath.Child("behavior", "scaleDown"))...)
	}
	return allErrs
}

// Upstream's bounds on the behavior's windows and periods.
const (
	maxStabilizationWindowSeconds = 3600
	maxPeriodSeconds              = 1800
)

var (
	selectPolicies = sets.New(autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect)
	policyTypes    = sets.New(autoscalingv2.PodsScalingPolicy, autoscalingv2.PercentScalingPolicy)
)

// validateScalingRules checks one direction of the behavior (after
// defaulting, so policies are never empty unless set so).
func validateScalingRules(rules *autoscalingv2.HPAScalingRules, path *field.Path) field.ErrorList {
	if rules == nil {
		return nil
	}
	var allErrs field.ErrorList
	if w := rules.StabilizationWindowSeconds; w != nil && (*w < 0 || *w > maxStabilizationWindowSeconds) {
		msg := "must be greater than or equal to zero"
		if *w > 0 {
			msg = fmt.Sprintf("must be less than or equal to %d", maxStabilizationWindowSeconds)
		}
		allErrs = append(allErrs, field.Invalid(path.Child("stabilizationWindowSeconds"), *w, msg))
	}
	if p := rules.SelectPolicy; p != nil && !selectPolicies.Has(*p) {
		allErrs = append(allErrs, field.NotSupported(path.Child("selectPolicy"), *p, sets.List(selectPolicies)))
	}
	if len(rules.Policies) == 0 {
		allErrs = append(allErrs, field.Required(path.Child("policies"), "must specify at least one Policy"))
	}
	for i, p := range rules.Policies {
		idx := path.Child("policies").Index(i)
		if !policyTypes.Has(p.Type) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("type"), p.Type, sets.List(policyTypes)))
		}
		if p.Value <= 0 {
			allErrs = append(allErrs, field.Invalid(idx.Child("value"), p.Value, "must be greater than zero"))
		}
		switch {
		case p.PeriodSeconds <= 0:
			allErrs = append(allErrs, field.Invalid(idx.Child("periodSeconds"), p.PeriodSeconds, "must be greater than zero"))
		case p.PeriodSeconds > maxPeriodSeconds:
			allErrs = append(allErrs, field.Invalid(idx.Child("periodSeconds"), p.PeriodSeconds, fmt.Sprintf("must be less than or equal to %d", maxPeriodSeconds)))
		}
	}
	if t := rules.Tolerance; t != nil && t.Sign() < 0 {
		allErrs = append(allErrs, field.Invalid(path.Child("tolerance"), t.String(), "must be greater than or equal to 0"))
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
