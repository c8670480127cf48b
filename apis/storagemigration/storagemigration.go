// Package storagemigration holds the scheme registration and validation of
// storagemigration.k8s.io/v1 StorageVersionMigrations, on the k8s.io/api
// types.
package storagemigration

import (
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers storagemigration.k8s.io/v1 as external and hub version.
func Install(scheme *runtime.Scheme) error {
	return hub.Register(scheme, storagemigrationv1.SchemeGroupVersion, storagemigrationv1.AddToScheme, &storagemigrationv1.StorageVersionMigration{})
}

// Migration conditions, as upstream's.
const (
	Running   = "Running"
	Succeeded = "Succeeded"
	Failed    = "Failed"
)

// ValidateStorageVersionMigration checks the resource to migrate.
func ValidateStorageVersionMigration(m *storagemigrationv1.StorageVersionMigration) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&m.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	resource := field.NewPath("spec", "resource")
	if m.Spec.Resource.Resource == "" {
		allErrs = append(allErrs, field.Required(resource.Child("resource"), ""))
	} else {
		for _, msg := range validation.IsDNS1035Label(m.Spec.Resource.Resource) {
			allErrs = append(allErrs, field.Invalid(resource.Child("resource"), m.Spec.Resource.Resource, msg))
		}
	}
	if g := m.Spec.Resource.Group; g != "" {
		for _, msg := range validation.IsDNS1123Subdomain(g) {
			allErrs = append(allErrs, field.Invalid(resource.Child("group"), g, msg))
		}
	}
	return allErrs
}

// ValidateStorageVersionMigrationUpdate keeps the spec.
func ValidateStorageVersionMigrationUpdate(m, old *storagemigrationv1.StorageVersionMigration) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&m.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if !apiequality.Semantic.DeepEqual(m.Spec, old.Spec) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec"), m.Spec, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}

// ValidateStorageVersionMigrationStatusUpdate checks the conditions a
// migrator writes: Succeeded and Failed exclude each other and end
// Running; the resource version, once recorded, stays.
func ValidateStorageVersionMigrationStatusUpdate(m, old *storagemigrationv1.StorageVersionMigration) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&m.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	status := field.NewPath("status")
	allErrs = append(allErrs, metav1validation.ValidateConditions(m.Status.Conditions, status.Child("conditions"))...)
	isTrue := map[string]bool{}
	for _, c := range m.Status.Conditions {
		isTrue[c.Type] = c.Status == "True"
	}
	if isTrue[Succeeded] && isTrue[Failed] {
		allErrs = append(allErrs, field.Invalid(status.Child("conditions"), "Succeeded and Failed", "both conditions cannot be true at the same time"))
	}
	if isTrue[Running] && (isTrue[Succeeded] || isTrue[Failed]) {
		allErrs = append(allErrs, field.Invalid(status.Child("conditions"), Running, "a finished migration is not running"))
	}
	if old.Status.ResourceVersion != "" && m.Status.ResourceVersion != old.Status.ResourceVersion {
		allErrs = append(allErrs, field.Invalid(status.Child("resourceVersion"), m.Status.ResourceVersion, apimachineryvalidation.FieldImmutableErrorMsg))
	}
	return allErrs
}
