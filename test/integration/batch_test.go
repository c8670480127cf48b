package integration

import (
	"context"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

func jobTemplate() corev1.PodTemplateSpec {
	t := podTemplate(nil)
	t.Spec.RestartPolicy = corev1.RestartPolicyNever
	return *t
}

func TestJobSelectorAndDefaults(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	jobs := shared.Client.BatchV1().Jobs(ns)
	job, err := jobs.Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi"},
		Spec: batchv1.JobSpec{Template: jobTemplate()}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	uid := string(job.UID)
	if job.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel] != uid ||
		job.Spec.Template.Labels[batchv1.JobNameLabel] != "pi" || job.Spec.Template.Labels["controller-uid"] != uid {
		t.Fatalf("generated selector %v, template labels %v", job.Spec.Selector, job.Spec.Template.Labels)
	}
	if *job.Spec.Completions != 1 || *job.Spec.Parallelism != 1 || *job.Spec.BackoffLimit != 6 ||
		*job.Spec.CompletionMode != batchv1.NonIndexedCompletion || *job.Spec.Suspend {
		t.Fatalf("job defaults: %+v", job.Spec)
	}
	list, err := jobs.List(ctx, metav1.ListOptions{FieldSelector: "status.successful=0"})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("field selector status.successful=0: %v, %d jobs", err, len(list.Items))
	}

	// The job controller writes status meanwhile: retry conflicts.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		latest, err := jobs.Get(ctx, "pi", metav1.GetOptions{})
		if err != nil {
			return err
		}
		latest.Spec.Template.Spec.Containers[0].Image = "busybox:1.37"
		_, err = jobs.Update(ctx, latest, metav1.UpdateOptions{})
		return err
	})
	assertInvalid(t, err, "spec.template")

	bad := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "always"}, Spec: batchv1.JobSpec{Template: *podTemplate(nil)}}
	_, err = jobs.Create(ctx, bad, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.template.spec.restartPolicy")
}

func TestCronJobValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cronJobs := shared.Client.BatchV1().CronJobs(ns)
	cj, err := cronJobs.Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly"},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", TimeZone: ptr.To("Europe/Berlin"),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: jobTemplate()}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cj.Spec.ConcurrencyPolicy != batchv1.AllowConcurrent || *cj.Spec.SuccessfulJobsHistoryLimit != 3 || *cj.Spec.FailedJobsHistoryLimit != 1 {
		t.Fatalf("cronjob defaults: %+v", cj.Spec)
	}
	_, err = cronJobs.Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		Spec: batchv1.CronJobSpec{Schedule: "61 * * * *", TimeZone: ptr.To("Mars/Olympus"),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: jobTemplate()}}}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.schedule")
	assertInvalid(t, err, "spec.timeZone")
}
