package policy

import (
	"strconv"
	"strings"

	policyv1 "k8s.io/api/policy/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var unhealthyPodEvictionPolicies = sets.New(policyv1.IfHealthyBudget, policyv1.AlwaysAllow)

// ValidatePodDisruptionBudget checks a budget: at most one of minAvailable
// and maxUnavailable, each a non-negative count or a percentage up to
// 100%, a valid selector and eviction policy.
func ValidatePodDisruptionBudget(pdb *policyv1.PodDisruptionBudget) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&pdb.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, path := pdb.Spec, field.NewPath("spec")
	if spec.MinAvailable != nil && spec.MaxUnavailable != nil {
		allErrs = append(allErrs, field.Invalid(path, spec, "minAvailable and maxUnavailable cannot be both set"))
	}
	if spec.MinAvailable != nil {
		allErrs = append(allErrs, intOrPercent(*spec.MinAvailable, path.Child("minAvailable"))...)
	}
	if spec.MaxUnavailable != nil {
		allErrs = append(allErrs, intOrPercent(*spec.MaxUnavailable, path.Child("maxUnavailable"))...)
	}
	allErrs = append(allErrs, unversionedvalidation.ValidateLabelSelector(spec.Selector, unversionedvalidation.LabelSelectorValidationOptions{}, path.Child("selector"))...)
	if p := spec.UnhealthyPodEvictionPolicy; p != nil && !unhealthyPodEvictionPolicies.Has(*p) {
		allErrs = append(allErrs, field.NotSupported(path.Child("unhealthyPodEvictionPolicy"), *p, sets.List(unhealthyPodEvictionPolicies)))
	}
	return allErrs
}

// ValidatePodDisruptionBudgetUpdate checks an update (the spec may change).
func ValidatePodDisruptionBudgetUpdate(pdb, old *policyv1.PodDisruptionBudget) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&pdb.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidatePodDisruptionBudget(pdb)...)
}

// ValidatePodDisruptionBudgetStatusUpdate checks the counts.
func ValidatePodDisruptionBudgetStatusUpdate(pdb, old *policyv1.PodDisruptionBudget) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&pdb.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	status := field.NewPath("status")
	for name, v := range map[string]int32{"disruptionsAllowed": pdb.Status.DisruptionsAllowed, "currentHealthy": pdb.Status.CurrentHealthy,
		"desiredHealthy": pdb.Status.DesiredHealthy, "expectedPods": pdb.Status.ExpectedPods} {
		if v < 0 {
			allErrs = append(allErrs, field.Invalid(status.Child(name), v, "must be greater than or equal to 0"))
		}
	}
	return allErrs
}

// intOrPercent is a count of at least 0, or a percentage of at most 100.
func intOrPercent(v intstr.IntOrString, path *field.Path) field.ErrorList {
	if v.Type == intstr.Int {
		if v.IntVal < 0 {
			return field.ErrorList{field.Invalid(path, v.IntVal, "must be greater than or equal to 0")}
		}
		return nil
	}
	for _, msg := range validation.IsValidPercent(v.StrVal) {
		return field.ErrorList{field.Invalid(path, v.StrVal, msg)}
	}
	if n, _ := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%")); n > 100 {
		return field.ErrorList{field.Invalid(path, v.StrVal, "must not be greater than 100%")}
	}
	return nil
}
