// Package coordination holds the scheme registration and validation of the
// coordination.k8s.io group (leases), on the k8s.io/api types.
package coordination

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers coordination.k8s.io/v1 as external and hub version.
func Install(scheme *runtime.Scheme) error {
	return hub.Register(scheme, coordinationv1.SchemeGroupVersion, coordinationv1.AddToScheme, &coordinationv1.Lease{})
}

// ValidateLease checks a lease's name and the numbers in its spec.
func ValidateLease(lease *coordinationv1.Lease) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&lease.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	if d := lease.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		allErrs = append(allErrs, field.Invalid(spec.Child("leaseDurationSeconds"), *d, "must be greater than 0"))
	}
	if t := lease.Spec.LeaseTransitions; t != nil && *t < 0 {
		allErrs = append(allErrs, field.Invalid(spec.Child("leaseTransitions"), *t, "must be greater than or equal to 0"))
	}
	return allErrs
}

// ValidateLeaseUpdate checks an update of a lease.
func ValidateLeaseUpdate(lease, old *coordinationv1.Lease) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&lease.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateLease(lease)...)
}
