package core

import (
	"net"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateNode checks a node: name, pod CIDRs, taints.
func ValidateNode(node *corev1.Node) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&node.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateNodeSpec(&node.Spec)...)
}

func validateNodeSpec(spec *corev1.NodeSpec) field.ErrorList {
	var allErrs field.ErrorList
	cidrs := spec.PodCIDRs
	if len(cidrs) == 0 && spec.PodCIDR != "" {
		cidrs = []string{spec.PodCIDR}
	}
	for i, cidr := range cidrs {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			allErrs = append(allErrs, field.Invalid(specPath.Child("podCIDRs").Index(i), cidr, "must be a valid CIDR"))
		}
	}
	if spec.PodCIDR != "" && len(spec.PodCIDRs) > 0 && spec.PodCIDRs[0] != spec.PodCIDR {
		allErrs = append(allErrs, field.Invalid(specPath.Child("podCIDRs"), spec.PodCIDRs, "first entry must match `podCIDR`"))
	}
	seen := sets.New[string]()
	for i, taint := range spec.Taints {
		idx := specPath.Child("taints").Index(i)
		allErrs = append(allErrs, unversionedvalidation.ValidateLabelName(taint.Key, idx.Child("key"))...)
		if taint.Value != "" {
			allErrs = append(allErrs, unversionedvalidation.ValidateLabels(map[string]string{taint.Key: taint.Value}, idx.Child("value"))...)
		}
		if !taintEffects.Has(taint.Effect) {
			allErrs = append(allErrs, field.NotSupported(idx.Child("effect"), taint.Effect, sets.List(taintEffects)))
		}
		key := taint.Key + "/" + string(taint.Effect)
		if seen.Has(key) {
			allErrs = append(allErrs, field.Duplicate(idx, "taints must be unique by key and effect pair"))
		}
		seen.Insert(key)
	}
	return allErrs
}

// ValidateNodeUpdate keeps pod CIDRs once set, as upstream.
func ValidateNodeUpdate(node, old *corev1.Node) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&node.ObjectMeta, &old.ObjectMeta, metadataPath)
	if len(old.Spec.PodCIDRs) > 0 && !sets.New(old.Spec.PodCIDRs...).Equal(sets.New(node.Spec.PodCIDRs...)) {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("podCIDRs"), "node updates may not change podCIDR except from \"\" to valid"))
	}
	if old.Spec.ProviderID != "" && node.Spec.ProviderID != old.Spec.ProviderID {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("providerID"), "node updates may not change providerID except from \"\" to valid"))
	}
	return append(allErrs, validateNodeSpec(&node.Spec)...)
}

// ValidateNodeStatusUpdate checks a write to nodes/status.
func ValidateNodeStatusUpdate(node, old *corev1.Node) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&node.ObjectMeta, &old.ObjectMeta, metadataPath)
	for i, addr := range node.Status.Addresses {
		if addr.Type == corev1.NodeInternalIP || addr.Type == corev1.NodeExternalIP {
			if net.ParseIP(addr.Address) == nil {
				allErrs = append(allErrs, field.Invalid(field.NewPath("status", "addresses").Index(i).Child("address"), addr.Address, "must be a valid IP address"))
			}
		}
	}
	return allErrs
}
