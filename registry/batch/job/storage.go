// Package job serves batch/v1 jobs with their status subresource. Unless a
// job asks for a manual selector, the registry gives it one on the job's
// uid, and labels its template to match, as upstream does.
package job

import (
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/batch"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the jobs resource.
type REST struct{ *genericregistry.Store }

// Categories puts jobs in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// NewREST returns the jobs storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*batchv1.Job](scheme.Scheme, true)
	s.ValidateObject = batch.ValidateJob
	s.ValidateObjectUpdate = batch.ValidateJobUpdate
	s.Fields = batch.JobFields
	status := s.SplitStatus("batch/v1", true)
	status.ValidateObjectUpdate = batch.ValidateJobStatusUpdate
	s.PrepareCreate = generateSelector
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   batchv1.Resource("jobs"),
		Singular: batchv1.Resource("job"),
		New:      func() runtime.Object { return &batchv1.Job{} },
		NewList:  func() runtime.Object { return &batchv1.JobList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

// The labels upstream set on job pods before the batch.kubernetes.io ones.
const (
	legacyControllerUIDLabel = "controller-uid"
	legacyJobNameLabel       = "job-name"
)

// generateSelector labels the template with the job's uid and name and
// selects on the uid, unless spec.manualSelector is true.
func generateSelector(job *batchv1.Job) {
	if ptr.Deref(job.Spec.ManualSelector, false) {
		return
	}
	uid := string(job.UID)
	labels := job.Spec.Template.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	for _, key := range []string{batchv1.ControllerUidLabel, legacyControllerUIDLabel} {
		if _, ok := labels[key]; !ok {
			labels[key] = uid
		}
	}
	for _, key := range []string{batchv1.JobNameLabel, legacyJobNameLabel} {
		if _, ok := labels[key]; !ok {
			labels[key] = job.Name
		}
	}
	job.Spec.Template.Labels = labels
	if job.Spec.Selector == nil {
		job.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: uid}}
	}
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Status", Type: "string", Description: "Status of the job."},
	{Name: "Completions", Type: "string", Description: batchv1.JobStatus{}.SwaggerDoc()["succeeded"]},
	{Name: "Duration", Type: "string", Description: "Time required to complete the job."},
	tables.Age,
	{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template."},
	{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template."},
	{Name: "Selector", Type: "string", Priority: 1, Description: batchv1.JobSpec{}.SwaggerDoc()["selector"]},
}, func(job *batchv1.Job) []interface{} {
	names, images := tables.Containers(&job.Spec.Template.Spec)
	return []interface{}{job.Name, jobStatus(job), completions(job), jobDuration(job), tables.Since(job.CreationTimestamp),
		names, images, tables.Selector(job.Spec.Selector)}
})

// jobStatus names the job's state from its conditions.
func jobStatus(job *batchv1.Job) string {
	has := func(t batchv1.JobConditionType) bool {
		for _, c := range job.Status.Conditions {
			if c.Type == t && c.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	}
	switch {
	case has(batchv1.JobComplete):
		return "Complete"
	case has(batchv1.JobFailed):
		return "Failed"
	case job.DeletionTimestamp != nil:
		return "Terminating"
	case has(batchv1.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	case has(batchv1.JobFailureTarget):
		return "FailureTarget"
	case has(batchv1.JobSuspended):
		return "Suspended"
	}
	return "Running"
}

func completions(job *batchv1.Job) string {
	if job.Spec.Completions != nil {
		return fmt.Sprintf("%d/%d", job.Status.Succeeded, *job.Spec.Completions)
	}
	parallelism := ptr.Deref(job.Spec.Parallelism, 0)
	if parallelism > 1 {
		return fmt.Sprintf("%d/1 of %d", job.Status.Succeeded, parallelism)
	}
	return fmt.Sprintf("%d/1", job.Status.Succeeded)
}

func jobDuration(job *batchv1.Job) string {
	start := job.Status.StartTime
	switch {
	case start == nil:
		return ""
	case job.Status.CompletionTime == nil:
		return duration.HumanDuration(time.Since(start.Time))
	}
	return strings.TrimSpace(duration.HumanDuration(job.Status.CompletionTime.Sub(start.Time)))
}
