package core

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	limitTypes  = sets.New(corev1.LimitTypePod, corev1.LimitTypeContainer, corev1.LimitTypePersistentVolumeClaim)
	quotaScopes = sets.New(corev1.ResourceQuotaScopeTerminating, corev1.ResourceQuotaScopeNotTerminating,
		corev1.ResourceQuotaScopeBestEffort, corev1.ResourceQuotaScopeNotBestEffort,
		corev1.ResourceQuotaScopePriorityClass, corev1.ResourceQuotaScopeCrossNamespacePodAffinity,
		corev1.ResourceQuotaScopeVolumeAttributesClass)
)

// ValidateLimitRange checks each limit: a known type, and
// min <= defaultRequest <= default <= max per resource.
func ValidateLimitRange(lr *corev1.LimitRange) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&lr.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	for i, limit := range lr.Spec.Limits {
		idx := specPath.Child("limits").Index(i)
		if !limitTypes.Has(limit.Type) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("type"), limit.Type, sets.List(limitTypes)))
		}
		if limit.Type == corev1.LimitTypePod && (len(limit.Default) > 0 || len(limit.DefaultRequest) > 0) {
			allErrs = append(allErrs, field.Forbidden(idx.Child("default"), "may not be specified when `type` is 'Pod'"))
		}
		for name, max := range limit.Max {
			if min, ok := limit.Min[name]; ok && min.Cmp(max) > 0 {
				allErrs = append(allErrs, field.Invalid(idx.Child("min").Key(string(name)), min.String(), fmt.Sprintf("min value %s is greater than max value %s", min.String(), max.String())))
			}
			if def, ok := limit.Default[name]; ok && def.Cmp(max) > 0 {
				allErrs = append(allErrs, field.Invalid(idx.Child("default").Key(string(name)), def.String(), fmt.Sprintf("default value %s is greater than max value %s", def.String(), max.String())))
			}
		}
		for name, req := range limit.DefaultRequest {
			if def, ok := limit.Default[name]; ok && req.Cmp(def) > 0 {
				allErrs = append(allErrs, field.Invalid(idx.Child("defaultRequest").Key(string(name)), req.String(), fmt.Sprintf("default request value %s is greater than default limit value %s", req.String(), def.String())))
			}
			if min, ok := limit.Min[name]; ok && min.Cmp(req) > 0 {
				allErrs = append(allErrs, field.Invalid(idx.Child("defaultRequest").Key(string(name)), req.String(), fmt.Sprintf("min value %s is greater than default request value %s", min.String(), req.String())))
			}
		}
		for name, ratio := range limit.MaxLimitRequestRatio {
			if ratio.CmpInt64(1) < 0 {
				allErrs = append(allErrs, field.Invalid(idx.Child("maxLimitRequestRatio").Key(string(name)), ratio.String(), "ratio must be greater than or equal to 1"))
			}
		}
	}
	return allErrs
}

// ValidateLimitRangeUpdate checks an update of a limit range.
func ValidateLimitRangeUpdate(lr, old *corev1.LimitRange) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&lr.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, ValidateLimitRange(lr)...)
}

// ValidateResourceQuota checks that hard limits are not negative and scopes
// are known.
func ValidateResourceQuota(q *corev1.ResourceQuota) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&q.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	for name, v := range q.Spec.Hard {
		if v.Sign() < 0 {
			allErrs = append(allErrs, field.Invalid(specPath.Child("hard").Key(string(name)), v.String(), "must be greater than or equal to 0"))
		}
	}
	for i, scope := range q.Spec.Scopes {
		if !quotaScopes.Has(scope) {
			allErrs = append(allErrs, field.NotSupported(specPath.Child("scopes").Index(i), scope, sets.List(quotaScopes)))
		}
	}
	return allErrs
}

// ValidateResourceQuotaUpdate checks an update of a quota.
func ValidateResourceQuotaUpdate(q, old *corev1.ResourceQuota) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&q.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(q.Spec.Scopes, old.Spec.Scopes, specPath.Child("scopes"))...)
	return append(allErrs, ValidateResourceQuota(q)...)
}

// ValidateResourceQuotaStatusUpdate checks used and hard are not negative.
func ValidateResourceQuotaStatusUpdate(q, old *corev1.ResourceQuota) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&q.ObjectMeta, &old.ObjectMeta, metadataPath)
	for part, list := range map[string]corev1.ResourceList{"hard": q.Status.Hard, "used": q.Status.Used} {
		for name, v := range list {
			if v.Sign() < 0 {
				allErrs = append(allErrs, field.Invalid(field.NewPath("status", part).Key(string(name)), v.String(), "must be greater than or equal to 0"))
			}
		}
	}
	return allErrs
}
