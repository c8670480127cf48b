// Package batch holds the scheme registration, defaulting and validation of
// batch/v1: jobs and cron jobs.
package batch

import (
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/core"
	"github.com/kybernetes/kybernetes/apis/fieldlabels"
	"github.com/kybernetes/kybernetes/apis/hub"
)

// Install registers batch/v1 as external and hub version, with defaults.
func Install(scheme *runtime.Scheme) error {
	if err := hub.Register(scheme, batchv1.SchemeGroupVersion, batchv1.AddToScheme, &batchv1.Job{}); err != nil {
		return err
	}
	scheme.AddTypeDefaultingFunc(&batchv1.Job{}, func(obj interface{}) { SetDefaultsJobSpec(&obj.(*batchv1.Job).Spec) })
	scheme.AddTypeDefaultingFunc(&batchv1.CronJob{}, func(obj interface{}) { SetDefaultsCronJob(obj.(*batchv1.CronJob)) })
	return fieldlabels.Register(scheme, batchv1.SchemeGroupVersion.WithKind("Job"), JobFields)
}

// JobFields are a job's selectable fields beyond its name and namespace.
func JobFields(job *batchv1.Job) fields.Set {
	return fields.Set{"status.successful": strconv.Itoa(int(job.Status.Succeeded))}
}

// SetDefaultsJobSpec gives a job upstream's defaults: one pod to completion
// when neither count is set, six retries, non-indexed completion.
func SetDefaultsJobSpec(spec *batchv1.JobSpec) {
	if spec.Completions == nil && spec.Parallelism == nil {
		spec.Completions, spec.Parallelism = ptr.To[int32](1), ptr.To[int32](1)
	}
	if spec.Parallelism == nil {
		spec.Parallelism = ptr.To[int32](1)
	}
	if spec.BackoffLimit == nil {
		if spec.BackoffLimitPerIndex != nil {
			spec.BackoffLimit = ptr.To[int32](2147483647)
		} else {
			spec.BackoffLimit = ptr.To[int32](6)
		}
	}
	if spec.CompletionMode == nil {
		spec.CompletionMode = ptr.To(batchv1.NonIndexedCompletion)
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	if spec.PodReplacementPolicy == nil && spec.PodFailurePolicy == nil {
		spec.PodReplacementPolicy = ptr.To(batchv1.TerminatingOrFailed)
	}
	core.SetDefaultsPodSpec(&spec.Template.Spec)
}

// SetDefaultsCronJob gives a cron job upstream's defaults.
func SetDefaultsCronJob(cj *batchv1.CronJob) {
	if cj.Spec.ConcurrencyPolicy == "" {
		cj.Spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if cj.Spec.Suspend == nil {
		cj.Spec.Suspend = ptr.To(false)
	}
	if cj.Spec.SuccessfulJobsHistoryLimit == nil {
		cj.Spec.SuccessfulJobsHistoryLimit = ptr.To[int32](3)
	}
	if cj.Spec.FailedJobsHistoryLimit == nil {
		cj.Spec.FailedJobsHistoryLimit = ptr.To[int32](1)
	}
	SetDefaultsJobSpec(&cj.Spec.JobTemplate.Spec)
}
