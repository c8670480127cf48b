package apps

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/core"
)

var (
	metadataPath = field.NewPath("metadata")
	specPath     = field.NewPath("spec")
)

// ValidateSelectorAndTemplate checks what every workload shares: a
// non-empty selector that matches the template's labels, a valid template
// whose pods restart Always.
func ValidateSelectorAndTemplate(selector *metav1.LabelSelector, template *corev1.PodTemplateSpec, kind string) field.ErrorList {
	var allErrs field.ErrorList
	selectorPath, templatePath := specPath.Child("selector"), specPath.Child("template")
	if selector == nil {
		allErrs = append(allErrs, field.Required(selectorPath, ""))
	} else {
		allErrs = append(allErrs, unversionedvalidation.ValidateLabelSelector(selector, unversionedvalidation.LabelSelectorValidationOptions{}, selectorPath)...)
		if len(selector.MatchLabels)+len(selector.MatchExpressions) == 0 {
			allErrs = append(allErrs, field.Invalid(selectorPath, selector, fmt.Sprintf("empty selector is invalid for %s", kind)))
		}
		if s, err := metav1.LabelSelectorAsSelector(selector); err == nil && !s.Empty() && !s.Matches(labels.Set(template.Labels)) {
			allErrs = append(allErrs, field.Invalid(templatePath.Child("metadata", "labels"), template.Labels, "`selector` does not match template `labels`"))
		}
	}
	allErrs = append(allErrs, core.ValidatePodTemplateSpec(template, templatePath)...)
	if template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		allErrs = append(allErrs, field.NotSupported(templatePath.Child("spec", "restartPolicy"), template.Spec.RestartPolicy, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	if template.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Forbidden(templatePath.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in "+kind+" is not Supported"))
	}
	return allErrs
}

func nonNegative(value int32, fldPath *field.Path) field.ErrorList {
	if value < 0 {
		return field.ErrorList{field.Invalid(fldPath, value, "must be greater than or equal to 0")}
	}
	return nil
}

// ValidateIntOrPercent checks a maxSurge/maxUnavailable value and returns it
// as a count of 100 (percent) or as itself.
func validateIntOrPercent(v *intstr.IntOrString, fldPath *field.Path) (int, field.ErrorList) {
	if v == nil {
		return 0, nil
	}
	if v.Type == intstr.String {
		if msgs := validation.IsValidPercent(v.StrVal); len(msgs) > 0 {
			return 0, field.ErrorList{field.Invalid(fldPath, v.StrVal, strings.Join(msgs, ", "))}
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
		if n > 100 {
			return n, field.ErrorList{field.Invalid(fldPath, v.StrVal, "must not be greater than 100%")}
		}
		return n, nil
	}
	if v.IntVal < 0 {
		return 0, field.ErrorList{field.Invalid(fldPath, v.IntVal, "must be greater than or equal to 0")}
	}
	return int(v.IntVal), nil
}

// validateRollingUpdate checks maxSurge and maxUnavailable, which may not
// both be 0 (the rollout could never make progress).
func validateRollingUpdate(maxSurge, maxUnavailable *intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	surge, allErrs := validateIntOrPercent(maxSurge, fldPath.Child("maxSurge"))
	unavailable, errs := validateIntOrPercent(maxUnavailable, fldPath.Child("maxUnavailable"))
	allErrs = append(allErrs, errs...)
	if surge == 0 && unavailable == 0 && len(errs) == 0 {
		value := ptr.Deref(maxUnavailable, intstr.FromInt32(0))
		allErrs = append(allErrs, field.Invalid(fldPath.Child("maxUnavailable"), value.String(), "may not be 0 when `maxSurge` is 0"))
	}
	return allErrs
}

// ValidateDeployment checks a deployment.
func ValidateDeployment(d *appsv1.Deployment) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&d.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateDeploymentSpec(&d.Spec)...)
}

func validateDeploymentSpec(spec *appsv1.DeploymentSpec) field.ErrorList {
	var allErrs field.ErrorList
	if spec.Replicas != nil {
		allErrs = append(allErrs, nonNegative(*spec.Replicas, specPath.Child("replicas"))...)
	}
	allErrs = append(allErrs, ValidateSelectorAndTemplate(spec.Selector, &spec.Template, "deployment")...)
	allErrs = append(allErrs, nonNegative(spec.MinReadySeconds, specPath.Child("minReadySeconds"))...)
	if spec.RevisionHistoryLimit != nil {
		allErrs = append(allErrs, nonNegative(*spec.RevisionHistoryLimit, specPath.Child("revisionHistoryLimit"))...)
	}
	if d := spec.ProgressDeadlineSeconds; d != nil {
		allErrs = append(allErrs, nonNegative(*d, specPath.Child("progressDeadlineSeconds"))...)
		if *d <= spec.MinReadySeconds {
			allErrs = append(allErrs, field.Invalid(specPath.Child("progressDeadlineSeconds"), *d, "must be greater than minReadySeconds"))
		}
	}
	strategyPath := specPath.Child("strategy")
	switch spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if spec.Strategy.RollingUpdate != nil {
			allErrs = append(allErrs, field.Forbidden(strategyPath.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		if ru := spec.Strategy.RollingUpdate; ru != nil {
			allErrs = append(allErrs, validateRollingUpdate(ru.MaxSurge, ru.MaxUnavailable, strategyPath.Child("rollingUpdate"))...)
		}
	default:
		allErrs = append(allErrs, field.NotSupported(strategyPath.Child("type"), spec.Strategy.Type,
			[]appsv1.DeploymentStrategyType{appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType}))
	}
	return allErrs
}

// ValidateDeploymentUpdate adds the immutable selector of apps/v1.
func ValidateDeploymentUpdate(d, old *appsv1.Deployment) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, immutableSelector(d.Spec.Selector, old.Spec.Selector)...)
	return append(allErrs, validateDeploymentSpec(&d.Spec)...)
}

func immutableSelector(selector, old *metav1.LabelSelector) field.ErrorList {
	if !apiequality.Semantic.DeepEqual(selector, old) {
		return field.ErrorList{field.Invalid(specPath.Child("selector"), selector, "field is immutable")}
	}
	return nil
}

// ValidateReplicaSet checks a replica set.
func ValidateReplicaSet(rs *appsv1.ReplicaSet) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&rs.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateReplicaSetSpec(&rs.Spec)...)
}

func validateReplicaSetSpec(spec *appsv1.ReplicaSetSpec) field.ErrorList {
	var allErrs field.ErrorList
	if spec.Replicas != nil {
		allErrs = append(allErrs, nonNegative(*spec.Replicas, specPath.Child("replicas"))...)
	}
	allErrs = append(allErrs, nonNegative(spec.MinReadySeconds, specPath.Child("minReadySeconds"))...)
	return append(allErrs, ValidateSelectorAndTemplate(spec.Selector, &spec.Template, "replicaset")...)
}

// ValidateReplicaSetUpdate adds the immutable selector of apps/v1.
func ValidateReplicaSetUpdate(rs, old *appsv1.ReplicaSet) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&rs.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, immutableSelector(rs.Spec.Selector, old.Spec.Selector)...)
	return append(allErrs, validateReplicaSetSpec(&rs.Spec)...)
}

// ValidateDaemonSet checks a daemon set.
func ValidateDaemonSet(ds *appsv1.DaemonSet) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&ds.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateDaemonSetSpec(&ds.Spec)...)
}

func validateDaemonSetSpec(spec *appsv1.DaemonSetSpec) field.ErrorList {
	allErrs := ValidateSelectorAndTemplate(spec.Selector, &spec.Template, "daemonset")
	allErrs = append(allErrs, nonNegative(spec.MinReadySeconds, specPath.Child("minReadySeconds"))...)
	strategyPath := specPath.Child("updateStrategy")
	switch spec.UpdateStrategy.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
	case appsv1.RollingUpdateDaemonSetStrategyType:
		if ru := spec.UpdateStrategy.RollingUpdate; ru != nil {
			allErrs = append(allErrs, validateRollingUpdate(ru.MaxSurge, ru.MaxUnavailable, strategyPath.Child("rollingUpdate"))...)
		}
	default:
		allErrs = append(allErrs, field.NotSupported(strategyPath.Child("type"), spec.UpdateStrategy.Type,
			[]appsv1.DaemonSetUpdateStrategyType{appsv1.OnDeleteDaemonSetStrategyType, appsv1.RollingUpdateDaemonSetStrategyType}))
	}
	return allErrs
}

// ValidateDaemonSetUpdate adds the immutable selector of apps/v1.
func ValidateDaemonSetUpdate(ds, old *appsv1.DaemonSet) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ds.ObjectMeta, &old.ObjectMeta, metadataPath)
	allErrs = append(allErrs, immutableSelector(ds.Spec.Selector, old.Spec.Selector)...)
	return append(allErrs, validateDaemonSetSpec(&ds.Spec)...)
}

// ValidateControllerRevision checks a revision: data is required and the
// revision number is not negative.
func ValidateControllerRevision(r *appsv1.ControllerRevision) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&r.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	if r.Data.Raw == nil && r.Data.Object == nil {
		allErrs = append(allErrs, field.Required(field.NewPath("data"), "data is mandatory"))
	}
	if r.Revision < 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("revision"), r.Revision, "must be greater than or equal to 0"))
	}
	return allErrs
}

// ValidateControllerRevisionUpdate keeps data immutable.
func ValidateControllerRevisionUpdate(r, old *appsv1.ControllerRevision) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta, metadataPath)
	if !apiequality.Semantic.DeepEqual(r.Data, old.Data) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("data"), "", "field is immutable"))
	}
	return append(allErrs, ValidateControllerRevision(r)...)
}

// ValidateWorkloadStatus checks the replica counts that every workload
// status shares.
func ValidateWorkloadStatus(counts map[string]int32) field.ErrorList {
	var allErrs field.ErrorList
	for name, n := range counts {
		allErrs = append(allErrs, nonNegative(n, field.NewPath("status", name))...)
	}
	return allErrs
}

var (
	podManagementPolicies = []appsv1.PodManagementPolicyType{appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement}
	retentionPolicies     = []appsv1.PersistentVolumeClaimRetentionPolicyType{appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.DeletePersistentVolumeClaimRetentionPolicyType}
)

// statefulSetPodTemplate is the template as the controller makes pods of
// it, which is what upstream validates: a volume for each claim template
// (replacing a template volume of that name), hostname and subdomain left
// to the controller.
func statefulSetPodTemplate(spec *appsv1.StatefulSetSpec) *corev1.PodTemplateSpec {
	if spec.Template.Spec.Hostname == "" && spec.Template.Spec.Subdomain == "" && len(spec.VolumeClaimTemplates) == 0 {
		return &spec.Template
	}
	template := spec.Template.DeepCopy()
	template.Spec.Hostname, template.Spec.Subdomain = "", ""
	claims := map[string]bool{}
	var volumes []corev1.Volume
	for _, c := range spec.VolumeClaimTemplates {
		claims[c.Name] = true
		volumes = append(volumes, corev1.Volume{Name: c.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.Name}}})
	}
	for _, v := range template.Spec.Volumes {
		if !claims[v.Name] {
			volumes = append(volumes, v)
		}
	}
	template.Spec.Volumes = volumes
	return template
}

// ValidateStatefulSet checks a stateful set.
func ValidateStatefulSet(ss *appsv1.StatefulSet) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&ss.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateStatefulSetSpec(&ss.Spec)...)
}

func validateStatefulSetSpec(spec *appsv1.StatefulSetSpec) field.ErrorList {
	allErrs := ValidateSelectorAndTemplate(spec.Selector, statefulSetPodTemplate(spec), "statefulset")
	if spec.Replicas != nil {
		allErrs = append(allErrs, nonNegative(*spec.Replicas, specPath.Child("replicas"))...)
	}
	allErrs = append(allErrs, nonNegative(spec.MinReadySeconds, specPath.Child("minReadySeconds"))...)
	if !slices.Contains(podManagementPolicies, spec.PodManagementPolicy) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("podManagementPolicy"), spec.PodManagementPolicy, podManagementPolicies))
	}
	strategyPath := specPath.Child("updateStrategy")
	switch spec.UpdateStrategy.Type {
	case appsv1.OnDeleteStatefulSetStrategyType:
		if spec.UpdateStrategy.RollingUpdate != nil {
			allErrs = append(allErrs, field.Invalid(strategyPath.Child("rollingUpdate"), spec.UpdateStrategy.RollingUpdate,
				fmt.Sprintf("only allowed for updateStrategy '%s'", appsv1.RollingUpdateStatefulSetStrategyType)))
		}
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if ru := spec.UpdateStrategy.RollingUpdate; ru != nil {
			allErrs = append(allErrs, nonNegative(ptr.Deref(ru.Partition, 0), strategyPath.Child("rollingUpdate", "partition"))...)
			if ru.MaxUnavailable != nil {
				n, errs := validateIntOrPercent(ru.MaxUnavailable, strategyPath.Child("rollingUpdate", "maxUnavailable"))
				allErrs = append(allErrs, errs...)
				if len(errs) == 0 && n == 0 && ru.MaxUnavailable.Type == intstr.Int {
					allErrs = append(allErrs, field.Invalid(strategyPath.Child("rollingUpdate", "maxUnavailable"), ru.MaxUnavailable, "must be greater than 0"))
				}
			}
		}
	default:
		allErrs = append(allErrs, field.NotSupported(strategyPath.Child("type"), spec.UpdateStrategy.Type,
			[]appsv1.StatefulSetUpdateStrategyType{appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType}))
	}
	if p := spec.PersistentVolumeClaimRetentionPolicy; p != nil {
		policyPath := specPath.Child("persistentVolumeClaimRetentionPolicy")
		if !slices.Contains(retentionPolicies, p.WhenDeleted) {
			allErrs = append(allErrs, field.NotSupported(policyPath.Child("whenDeleted"), p.WhenDeleted, retentionPolicies))
		}
		if !slices.Contains(retentionPolicies, p.WhenScaled) {
			allErrs = append(allErrs, field.NotSupported(policyPath.Child("whenScaled"), p.WhenScaled, retentionPolicies))
		}
	}
	if o := spec.Ordinals; o != nil {
		allErrs = append(allErrs, nonNegative(o.Start, specPath.Child("ordinals", "start"))...)
	}
	for i := range spec.VolumeClaimTemplates {
		tmpl := &spec.VolumeClaimTemplates[i]
		path := specPath.Child("volumeClaimTemplates").Index(i)
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(tmpl.Name, false) {
			allErrs = append(allErrs, field.Invalid(path.Child("metadata", "name"), tmpl.Name, msg))
		}
		if len(tmpl.Spec.AccessModes) == 0 {
			allErrs = append(allErrs, field.Required(path.Child("spec", "accessModes"), "at least 1 access mode is required"))
		}
		if _, ok := tmpl.Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
			allErrs = append(allErrs, field.Required(path.Child("spec", "resources", "requests", "storage"), ""))
		}
	}
	return allErrs
}

// ValidateStatefulSetUpdate allows only upstream's mutable fields to change.
func ValidateStatefulSetUpdate(ss, old *appsv1.StatefulSet) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ss.ObjectMeta, &old.ObjectMeta, metadataPath)
	mutable := old.Spec.DeepCopy()
	mutable.Replicas, mutable.Ordinals, mutable.Template, mutable.UpdateStrategy = ss.Spec.Replicas, ss.Spec.Ordinals, ss.Spec.Template, ss.Spec.UpdateStrategy
	mutable.RevisionHistoryLimit, mutable.PersistentVolumeClaimRetentionPolicy, mutable.MinReadySeconds = ss.Spec.RevisionHistoryLimit, ss.Spec.PersistentVolumeClaimRetentionPolicy, ss.Spec.MinReadySeconds
	if !apiequality.Semantic.DeepEqual(*mutable, ss.Spec) {
		allErrs = append(allErrs, field.Forbidden(specPath, "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
	}
	return append(allErrs, validateStatefulSetSpec(&ss.Spec)...)
}
