// Package node holds the scheme registration and validation of
// node.k8s.io/v1 (RuntimeClasses), on the k8s.io/api types.
package node

import (
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers node.k8s.io/v1 as external and hub version.
func Install(scheme *runtime.Scheme) error {
	return hub.Register(scheme, nodev1.SchemeGroupVersion, nodev1.AddToScheme, &nodev1.RuntimeClass{})
}

// ValidateRuntimeClass checks a class as upstream: a handler that is a DNS
// label (the name the node's runtime knows it by), an overhead of valid
// resources, a valid node selector and distinct valid tolerations.
func ValidateRuntimeClass(rc *nodev1.RuntimeClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&rc.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	if rc.Handler == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("handler"), ""))
	} else {
		for _, msg := range apimachineryvalidation.NameIsDNSLabel(rc.Handler, false) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("handler"), rc.Handler, msg))
		}
	}
	if rc.Overhead != nil {
		allErrs = append(allErrs, core.ValidateResources(&corev1.ResourceRequirements{Limits: rc.Overhead.PodFixed}, field.NewPath("overhead"))...)
	}
	if s := rc.Scheduling; s != nil {
		path := field.NewPath("scheduling")
		allErrs = append(allErrs, unversionedvalidation.ValidateLabels(s.NodeSelector, path.Child("nodeSelector"))...)
		seen := map[corev1.Toleration]bool{}
		for i, t := range s.Tolerations {
			allErrs = append(allErrs, core.ValidateToleration(t, path.Child("tolerations").Index(i))...)
			key := corev1.Toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect}
			if seen[key] {
				allErrs = append(allErrs, field.Duplicate(path.Child("tolerations").Index(i), t))
			}
			seen[key] = true
		}
	}
	return allErrs
}

// ValidateRuntimeClassUpdate keeps the handler.
func ValidateRuntimeClassUpdate(rc, old *nodev1.RuntimeClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateRuntimeClass(rc)...)
	if rc.Handler != old.Handler {
		allErrs = append(allErrs, field.Invalid(field.NewPath("handler"), rc.Handler, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}
