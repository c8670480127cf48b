// Package scheduling holds the scheme registration, defaults and
// validation of scheduling.k8s.io (PriorityClasses), on the k8s.io/api
// types, and the system priority classes every cluster has.
package scheduling

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Upstream's bounds and names.
const (
	// HighestUserDefinablePriority is the highest value a class not of
	// the system may have.
	HighestUserDefinablePriority = 1000000000
	// SystemPriorityClassPrefix is reserved for the system classes.
	SystemPriorityClassPrefix = "system-"
	SystemNodeCritical        = "system-node-critical"
	SystemClusterCritical     = "system-cluster-critical"
)

// SystemPriorityClasses are the classes the server keeps, as
// kube-apiserver does.
func SystemPriorityClasses() []*schedulingv1.PriorityClass {
	preempt := corev1.PreemptLowerPriority
	return []*schedulingv1.PriorityClass{
		{ObjectMeta: metav1.ObjectMeta{Name: SystemNodeCritical}, Value: 2*HighestUserDefinablePriority + 1000, PreemptionPolicy: &preempt,
			Description: "Used for system critical pods that must not be moved from their current node."},
		{ObjectMeta: metav1.ObjectMeta{Name: SystemClusterCritical}, Value: 2 * HighestUserDefinablePriority, PreemptionPolicy: &preempt,
			Description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."},
	}
}

// Install registers scheduling.k8s.io/v1 as external and hub version,
// with its defaults.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, schedulingv1.SchemeGroupVersion, schedulingv1.AddToScheme, &schedulingv1.PriorityClass{}); err != nil {
		return err
	}
	scheme.AddTypeDefaultingFunc(&schedulingv1.PriorityClass{}, func(obj interface{}) {
		if pc := obj.(*schedulingv1.PriorityClass); pc.PreemptionPolicy == nil {
			p := corev1.PreemptLowerPriority
			pc.PreemptionPolicy = &p
		}
	})
	return nil
}

var preemptionPolicies = sets.New(corev1.PreemptLowerPriority, corev1.PreemptNever)

// ValidatePriorityClass checks a class: the system- prefix only for the
// system classes as they are, other values at most
// HighestUserDefinablePriority, a known preemption policy.
func ValidatePriorityClass(pc *schedulingv1.PriorityClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&pc.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	if strings.HasPrefix(pc.Name, SystemPriorityClassPrefix) {
		if err := knownSystemClass(pc); err != nil {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("metadata", "name"),
				"priority class names with '"+SystemPriorityClassPrefix+"' prefix are reserved for system use only. error: "+err.Error()))
		}
	} else if pc.Value > HighestUserDefinablePriority {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("value"), fmt.Sprintf("maximum allowed value of a user defined priority is %v", HighestUserDefinablePriority)))
	}
	if p := pc.PreemptionPolicy; p != nil && !preemptionPolicies.Has(*p) {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("preemptionPolicy"), *p, sets.List(preemptionPolicies)))
	}
	return allErrs
}

// ValidatePriorityClassUpdate also keeps the value and preemption policy.
func ValidatePriorityClassUpdate(pc, old *schedulingv1.PriorityClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&pc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if pc.Value != old.Value {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("value"), "may not be changed in an update."))
	}
	if (pc.PreemptionPolicy == nil) != (old.PreemptionPolicy == nil) || pc.PreemptionPolicy != nil && *pc.PreemptionPolicy != *old.PreemptionPolicy {
		allErrs = append(allErrs, field.Invalid(field.NewPath("preemptionPolicy"), pc.PreemptionPolicy, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}

// knownSystemClass says why pc is not one of the system classes as it is.
func knownSystemClass(pc *schedulingv1.PriorityClass) error {
	for _, system := range SystemPriorityClasses() {
		if system.Name != pc.Name {
			continue
		}
		if system.Value != pc.Value {
			return fmt.Errorf("value of %v PriorityClass must be %v", system.Name, system.Value)
		}
		if pc.GlobalDefault {
			return fmt.Errorf("globalDefault of %v PriorityClass must be false", system.Name)
		}
		return nil
	}
	return fmt.Errorf("%v is not a known system priority class", pc.Name)
}
