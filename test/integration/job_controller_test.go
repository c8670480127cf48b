package integration

import (
	"context"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// finishingCluster is a stand-in node whose pods all end with phase, and
// the job template its scheduler places.
func finishingCluster(t *testing.T, phase corev1.PodPhase) corev1.PodTemplateSpec {
	fate := framework.Succeed
	if phase == corev1.PodFailed {
		fate = framework.Fail
	}
	cluster := newStandIn(t, func(*corev1.Pod) framework.Fate { return fate }, nil)
	template := jobTemplate()
	template.Spec.SchedulerName = cluster.Scheduler
	return template
}

func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range job.Status.Conditions {
		if job.Status.Conditions[i].Type == t && job.Status.Conditions[i].Status == corev1.ConditionTrue {
			return &job.Status.Conditions[i]
		}
	}
	return nil
}

func TestJobRunsToCompletion(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	template := finishingCluster(t, corev1.PodSucceeded)
	jobs := shared.Client.BatchV1().Jobs(ns)
	if _, err := jobs.Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "batch"},
		Spec: batchv1.JobSpec{Completions: ptr.To[int32](3), Parallelism: ptr.To[int32](2), Template: template}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 completions and the Complete condition", func(ctx context.Context) bool {
		job, err := jobs.Get(ctx, "batch", metav1.GetOptions{})
		return err == nil && job.Status.Succeeded == 3 && jobCondition(job, batchv1.JobComplete) != nil &&
			job.Status.CompletionTime != nil && job.Status.StartTime != nil && job.Status.Active == 0
	})
	// Exactly 3 pods were made (expectations keep a lagging cache from
	// making more), and the events `kubectl describe job` shows.
	waitFor(t, "3 SuccessfulCreate events and Completed", func(ctx context.Context) bool {
		list, err := shared.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=batch"})
		if err != nil {
			return false
		}
		created, completed := int32(0), false
		for _, e := range list.Items {
			switch e.Reason {
			case "SuccessfulCreate":
				created += e.Count
			case "Completed":
				completed = e.Source.Component == "job-controller"
			}
		}
		return created == 3 && completed
	})

	indexed := batchv1.IndexedCompletion
	if _, err := jobs.Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "indexed"},
		Spec: batchv1.JobSpec{Completions: ptr.To[int32](2), Parallelism: ptr.To[int32](2), CompletionMode: &indexed,
			TTLSecondsAfterFinished: ptr.To[int32](2), Template: template}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "completed indexes 0-1", func(ctx context.Context) bool {
		job, err := jobs.Get(ctx, "indexed", metav1.GetOptions{})
		return err == nil && job.Status.CompletedIndexes == "0-1" && jobCondition(job, batchv1.JobComplete) != nil
	})
	waitFor(t, "indexed pods 0 and 1", func(ctx context.Context) bool {
		pods, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=indexed"})
		if err != nil || len(pods.Items) != 2 {
			return false
		}
		seen := map[string]bool{}
		for _, p := range pods.Items {
			seen[p.Annotations[batchv1.JobCompletionIndexAnnotation]] = true
		}
		return seen["0"] && seen["1"]
	})
	// ttlSecondsAfterFinished deletes the finished job.
	waitFor(t, "the finished indexed job deleted by its TTL", func(ctx context.Context) bool {
		_, err := jobs.Get(ctx, "indexed", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}

func TestJobFailsAtItsBackoffLimit(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	template := finishingCluster(t, corev1.PodFailed)
	jobs := shared.Client.BatchV1().Jobs(ns)
	if _, err := jobs.Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "flaky"},
		Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](0), Template: template}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Failed condition", func(ctx context.Context) bool {
		job, err := jobs.Get(ctx, "flaky", metav1.GetOptions{})
		if err != nil {
			return false
		}
		failed := jobCondition(job, batchv1.JobFailed)
		return failed != nil && failed.Reason == "BackoffLimitExceeded" && job.Status.Failed == 1
	})
	// No replacement pod was made: the sync that failed the job had seen
	// every pod it created (expectations), and a failed job makes no more.
	pods, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods of a failed job: %v %d", err, len(pods.Items))
	}
}

// createdPods counts the job controller's SuccessfulCreate events for job.
func createdPods(ctx context.Context, ns, job string) int32 {
	list, err := shared.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + job})
	if err != nil {
		return -1
	}
	n := int32(0)
	for _, e := range list.Items {
		if e.Reason == "SuccessfulCreate" {
			n += e.Count
		}
	}
	return n
}

// TestJobCountsPodsDeletedWhenFinished: finished pods are deleted at once
// (as an eager pod GC or a user would); the job-tracking finalizer keeps
// each until the job has counted it, so the job completes with exactly its
// completions and no extra pods, and no pod is left holding the finalizer.
func TestJobCountsPodsDeletedWhenFinished(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	template := finishingCluster(t, corev1.PodSucceeded)
	pods := shared.Client.CoreV1().Pods(ns)
	reaper, stop := context.WithCancel(ctx)
	reaped := make(chan struct{})
	go func() {
		defer close(reaped)
		for reaper.Err() == nil {
			list, err := pods.List(reaper, metav1.ListOptions{})
			if err == nil {
				for _, pod := range list.Items {
					if pod.Status.Phase == corev1.PodSucceeded && pod.DeletionTimestamp == nil {
						_ = pods.Delete(reaper, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { stop(); <-reaped })

	jobs := shared.Client.BatchV1().Jobs(ns)
	_, err := jobs.Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "counted"},
		Spec: batchv1.JobSpec{Completions: ptr.To[int32](3), Parallelism: ptr.To[int32](1), Template: template}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the job complete with 3 succeeded", func(ctx context.Context) bool {
		got, err := jobs.Get(ctx, "counted", metav1.GetOptions{})
		return err == nil && jobCondition(got, batchv1.JobComplete) != nil && got.Status.Succeeded == 3 &&
			got.Status.UncountedTerminatedPods != nil && len(got.Status.UncountedTerminatedPods.Succeeded) == 0
	})
	if n := createdPods(ctx, ns, "counted"); n != 3 {
		t.Errorf("the job created %d pods, want 3", n)
	}
	waitFor(t, "every pod released and gone", func(ctx context.Context) bool {
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=counted"})
		return err == nil && len(list.Items) == 0
	})
}

// TestJobReleasesOrphanedPods: a job deleted with its pods orphaned takes
// its tracking finalizer off them, so they are not stuck for ever.
func TestJobReleasesOrphanedPods(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	jobs := shared.Client.BatchV1().Jobs(ns)
	if _, err := jobs.Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "left"},
		Spec: batchv1.JobSpec{Template: jobTemplate()}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := shared.Client.CoreV1().Pods(ns)
	var pod corev1.Pod
	waitFor(t, "the job's pod, tracked", func(ctx context.Context) bool {
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=left"})
		if err != nil || len(list.Items) != 1 {
			return false
		}
		pod = list.Items[0]
		return len(pod.Finalizers) == 1 && pod.Finalizers[0] == batchv1.JobTrackingFinalizer
	})
	if err := jobs.Delete(ctx, "left", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationOrphan)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the orphan released", func(ctx context.Context) bool {
		got, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		return err == nil && len(got.Finalizers) == 0 && len(got.OwnerReferences) == 0
	})
}
