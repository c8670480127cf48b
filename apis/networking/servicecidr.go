package networking

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

var cidrsPath = specPath.Child("cidrs")

// ValidateServiceCIDR checks a ServiceCIDR as upstream does: one or two
// CIDRs, at most one per IP family.
func ValidateServiceCIDR(sc *networkingv1.ServiceCIDR) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&sc.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateServiceCIDRs(sc.Spec.CIDRs)...)
}

func validateServiceCIDRs(cidrs []string) field.ErrorList {
	switch {
	case len(cidrs) == 0:
		return field.ErrorList{field.Required(cidrsPath, "at least one CIDR required")}
	case len(cidrs) > 2:
		return field.ErrorList{field.Invalid(cidrsPath, cidrs, "may only hold up to 2 values")}
	}
	var allErrs field.ErrorList
	for i, c := range cidrs {
		allErrs = append(allErrs, validation.IsValidCIDR(cidrsPath.Index(i), c)...)
	}
	if len(cidrs) == 2 {
		first, second := netutils.IPFamilyOfCIDRString(cidrs[0]), netutils.IPFamilyOfCIDRString(cidrs[1])
		if first == second && first != netutils.IPFamilyUnknown {
			allErrs = append(allErrs, field.Invalid(cidrsPath, cidrs, "may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64"))
		}
	}
	return allErrs
}

// ValidateServiceCIDRUpdate keeps the CIDRs as they are, except that a
// single-stack ServiceCIDR may gain the other family.
func ValidateServiceCIDRUpdate(sc, old *networkingv1.ServiceCIDR) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta, metadataPath)
	now, was := sc.Spec.CIDRs, old.Spec.CIDRs
	switch {
	case len(now) == len(was):
		for i := range was {
			if now[i] != was[i] {
				allErrs = append(allErrs, field.Invalid(cidrsPath.Index(i), now[i], apimachineryvalidation.FieldImmutableErrorMsg))
			}
		}
	case len(was) == 1 && len(now) == 2:
		if now[0] != was[0] {
			allErrs = append(allErrs, field.Invalid(cidrsPath.Index(0), now[0], apimachineryvalidation.FieldImmutableErrorMsg))
		}
		allErrs = append(allErrs, validateServiceCIDRs(now)...)
	default:
		allErrs = append(allErrs, field.Invalid(cidrsPath, now, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}

// ValidateServiceCIDRStatusUpdate checks only the metadata: the status is
// the allocator's to write.
func ValidateServiceCIDRStatusUpdate(sc, old *networkingv1.ServiceCIDR) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta, metadataPath)
}

// ValidateIPAddress checks that the name is an IP address in canonical form
// and that the parent reference names its owner.
func ValidateIPAddress(ip *networkingv1.IPAddress) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&ip.ObjectMeta, false, ipAddressName, metadataPath)
	ref, refPath := ip.Spec.ParentRef, specPath.Child("parentRef")
	if ref == nil {
		return append(allErrs, field.Required(refPath, ""))
	}
	if ref.Group != "" {
		for _, msg := range validation.IsDNS1123Subdomain(ref.Group) {
			allErrs = append(allErrs, field.Invalid(refPath.Child("group"), ref.Group, msg))
		}
	}
	for _, part := range []struct {
		name, value string
		required    bool
	}{{"resource", ref.Resource, true}, {"name", ref.Name, true}, {"namespace", ref.Namespace, false}} {
		switch {
		case part.value == "" && part.required:
			allErrs = append(allErrs, field.Required(refPath.Child(part.name), ""))
		case part.value != "":
			for _, msg := range content.IsPathSegmentName(part.value) {
				allErrs = append(allErrs, field.Invalid(refPath.Child(part.name), part.value, msg))
			}
		}
	}
	return allErrs
}

// ValidateIPAddressUpdate keeps the parent reference.
func ValidateIPAddressUpdate(ip, old *networkingv1.IPAddress) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ip.ObjectMeta, &old.ObjectMeta, metadataPath)
	if !sameParent(ip.Spec.ParentRef, old.Spec.ParentRef) {
		allErrs = append(allErrs, field.Invalid(specPath.Child("parentRef"), ip.Spec.ParentRef, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}

func sameParent(a, b *networkingv1.ParentReference) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// ipAddressName accepts an IP address written canonically, as the
// allocator names these objects.
func ipAddressName(name string, _ bool) []string {
	var msgs []string
	for _, err := range validation.IsValidIP(&field.Path{}, name) {
		msgs = append(msgs, err.Detail)
	}
	return msgs
}
