package batch

import (
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/core"
)

var metadataPath = field.NewPath("metadata")

// ValidateJob checks a job.
func ValidateJob(job *batchv1.Job) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&job.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	return append(allErrs, validateJobSpec(&job.Spec, field.NewPath("spec"), true)...)
}

func nonNegative(v *int32, fldPath *field.Path) field.ErrorList {
	if v != nil && *v < 0 {
		return field.ErrorList{field.Invalid(fldPath, *v, "must be greater than or equal to 0")}
	}
	return nil
}

// validateJobSpec checks counts, deadlines, the selector and the template.
// A cron job's template has no selector yet (withSelector false).
func validateJobSpec(spec *batchv1.JobSpec, fldPath *field.Path, withSelector bool) field.ErrorList {
	var allErrs field.ErrorList
	allErrs = append(allErrs, nonNegative(spec.Parallelism, fldPath.Child("parallelism"))...)
	allErrs = append(allErrs, nonNegative(spec.Completions, fldPath.Child("completions"))...)
	allErrs = append(allErrs, nonNegative(spec.BackoffLimit, fldPath.Child("backoffLimit"))...)
	allErrs = append(allErrs, nonNegative(spec.TTLSecondsAfterFinished, fldPath.Child("ttlSecondsAfterFinished"))...)
	if d := spec.ActiveDeadlineSeconds; d != nil && *d <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("activeDeadlineSeconds"), *d, "must be greater than 0"))
	}
	if m := spec.CompletionMode; m != nil && *m != batchv1.NonIndexedCompletion && *m != batchv1.IndexedCompletion {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("completionMode"), *m, []batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion}))
	}
	if ptr.Deref(spec.CompletionMode, batchv1.NonIndexedCompletion) == batchv1.IndexedCompletion && spec.Completions == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("completions"), "when completion mode is Indexed"))
	}
	templatePath := fldPath.Child("template")
	if withSelector {
		selectorPath := fldPath.Child("selector")
		if spec.Selector == nil {
			allErrs = append(allErrs, field.Required(selectorPath, ""))
		} else {
			allErrs = append(allErrs, unversionedvalidation.ValidateLabelSelector(spec.Selector, unversionedvalidation.LabelSelectorValidationOptions{}, selectorPath)...)
			if s, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !s.Matches(labels.Set(spec.Template.Labels)) {
				allErrs = append(allErrs, field.Invalid(templatePath.Child("metadata", "labels"), spec.Template.Labels, "`selector` does not match template `labels`"))
			}
		}
	}
	allErrs = append(allErrs, core.ValidatePodTemplateSpec(&spec.Template, templatePath)...)
	policy := spec.Template.Spec.RestartPolicy
	if policy != corev1.RestartPolicyOnFailure && policy != corev1.RestartPolicyNever {
		allErrs = append(allErrs, field.NotSupported(templatePath.Child("spec", "restartPolicy"), policy, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}))
	}
	return allErrs
}

// ValidateJobUpdate keeps what upstream keeps: the selector, the template
// of a job that is not suspended, and the completions of a non-indexed job.
func ValidateJobUpdate(job, old *batchv1.Job) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&job.ObjectMeta, &old.ObjectMeta, metadataPath)
	spec := field.NewPath("spec")
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(job.Spec.Selector, old.Spec.Selector, spec.Child("selector"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(job.Spec.CompletionMode, old.Spec.CompletionMode, spec.Child("completionMode"))...)
	if ptr.Deref(old.Spec.CompletionMode, batchv1.NonIndexedCompletion) == batchv1.NonIndexedCompletion {
		allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(job.Spec.Completions, old.Spec.Completions, spec.Child("completions"))...)
	}
	suspended := ptr.Deref(old.Spec.Suspend, false) && old.Status.StartTime == nil
	if !suspended && !apiequality.Semantic.DeepEqual(job.Spec.Template, old.Spec.Template) {
		allErrs = append(allErrs, field.Invalid(spec.Child("template"), job.Spec.Template, "field is immutable"))
	}
	return append(allErrs, validateJobSpec(&job.Spec, spec, true)...)
}

// ValidateJobStatusUpdate checks the counters of a job's status.
func ValidateJobStatusUpdate(job, old *batchv1.Job) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&job.ObjectMeta, &old.ObjectMeta, metadataPath)
	status := field.NewPath("status")
	for name, n := range map[string]int32{"active": job.Status.Active, "succeeded": job.Status.Succeeded, "failed": job.Status.Failed} {
		allErrs = append(allErrs, nonNegative(&n, status.Child(name))...)
	}
	return allErrs
}

var concurrencyPolicies = []batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}

// ValidateCronJob checks a cron job: its schedule parses as standard cron
// syntax, its time zone exists, its job template is a valid job.
func ValidateCronJob(cj *batchv1.CronJob) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&cj.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, metadataPath)
	if len(cj.Name) > 52 {
		allErrs = append(allErrs, field.Invalid(metadataPath.Child("name"), cj.Name, "must be no more than 52 characters"))
	}
	return append(allErrs, validateCronJobSpec(&cj.Spec)...)
}

func validateCronJobSpec(spec *batchv1.CronJobSpec) field.ErrorList {
	var allErrs field.ErrorList
	specPath := field.NewPath("spec")
	schedulePath := specPath.Child("schedule")
	switch {
	case spec.Schedule == "":
		allErrs = append(allErrs, field.Required(schedulePath, ""))
	case strings.Contains(spec.Schedule, "TZ"):
		allErrs = append(allErrs, field.Invalid(schedulePath, spec.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
	default:
		if _, err := cron.ParseStandard(spec.Schedule); err != nil {
			allErrs = append(allErrs, field.Invalid(schedulePath, spec.Schedule, err.Error()))
		}
	}
	if tz := spec.TimeZone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil || *tz == "" || strings.EqualFold(*tz, "local") {
			allErrs = append(allErrs, field.Invalid(specPath.Child("timeZone"), *tz, "unknown time zone "+*tz))
		}
	}
	found := false
	for _, p := range concurrencyPolicies {
		found = found || p == spec.ConcurrencyPolicy
	}
	if !found {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("concurrencyPolicy"), spec.ConcurrencyPolicy, concurrencyPolicies))
	}
	if d := spec.StartingDeadlineSeconds; d != nil && *d < 0 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("startingDeadlineSeconds"), *d, "must be greater than or equal to 0"))
	}
	allErrs = append(allErrs, nonNegative(spec.SuccessfulJobsHistoryLimit, specPath.Child("successfulJobsHistoryLimit"))...)
	allErrs = append(allErrs, nonNegative(spec.FailedJobsHistoryLimit, specPath.Child("failedJobsHistoryLimit"))...)
	return append(allErrs, validateJobSpec(&spec.JobTemplate.Spec, specPath.Child("jobTemplate", "spec"), false)...)
}

// ValidateCronJobUpdate checks an update of a cron job.
func ValidateCronJobUpdate(cj, old *batchv1.CronJob) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&cj.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(allErrs, validateCronJobSpec(&cj.Spec)...)
}
