package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/cronjob"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// A cron job's controller on a clock the test drives: jobs start at the
// schedule's times, Forbid holds a start while one runs, history is trimmed.
func TestCronJobOnADrivenClock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	server := framework.Start(t, framework.Setup{WithoutControllers: true})
	clock := clocktesting.NewFakeClock(time.Now())
	factory := informers.NewSharedInformerFactory(server.Client, 0)
	controller := cronjob.New(server.Client, factory.Batch().V1().CronJobs(), factory.Batch().V1().Jobs(), clock)
	factory.Start(ctx.Done())
	go controller.Run(ctx, 1)

	cronJobs := server.Client.BatchV1().CronJobs("default")
	cj, err := cronJobs.Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "tick"},
		Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", ConcurrencyPolicy: batchv1.ForbidConcurrent,
			SuccessfulJobsHistoryLimit: ptr.To[int32](1),
			JobTemplate:                batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: jobTemplate()}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	jobs := func(ctx context.Context) []batchv1.Job {
		list, err := server.Client.BatchV1().Jobs("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil
		}
		return list.Items
	}
	// advance moves the clock and nudges the controller (it sleeps until
	// the next schedule time by the real clock, which this test does not wait for).
	advance := func(d time.Duration) {
		clock.Step(d)
		patch := fmt.Sprintf(`{"metadata":{"labels":{"clock":"%d"}}}`, clock.Now().Unix())
		if _, err := cronJobs.Patch(ctx, "tick", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(jobs(ctx)); n != 0 {
		t.Fatalf("%d jobs before the first schedule time", n)
	}

	advance(5 * time.Minute)
	waitFor(t, "the first job", func(ctx context.Context) bool { return len(jobs(ctx)) == 1 })
	first := jobs(ctx)[0]
	if ref := metav1.GetControllerOf(&first); ref == nil || ref.UID != cj.UID || first.Annotations[cronjob.ScheduledTimestampAnnotation] == "" {
		t.Fatalf("first job: %+v", first.ObjectMeta)
	}
	waitFor(t, "status.active and lastScheduleTime", func(ctx context.Context) bool {
		got, err := cronJobs.Get(ctx, "tick", metav1.GetOptions{})
		return err == nil && len(got.Status.Active) == 1 && got.Status.LastScheduleTime != nil
	})

	// Forbid: the next time comes while the first job still runs.
	advance(5 * time.Minute)
	time.Sleep(300 * time.Millisecond)
	if n := len(jobs(ctx)); n != 1 {
		t.Fatalf("Forbid started a second job while one ran: %d jobs", n)
	}

	// complete marks a job finished, as the job controller would.
	complete := func(job batchv1.Job) {
		now := metav1.Now()
		job.Status.StartTime, job.Status.CompletionTime, job.Status.Succeeded = &now, &now, 1
		job.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
		}
		if _, err := server.Client.BatchV1().Jobs("default").UpdateStatus(ctx, &job, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The first job finishes; the next schedule time starts a second.
	complete(first)
	advance(5 * time.Minute)
	var second batchv1.Job
	waitFor(t, "a second job", func(ctx context.Context) bool {
		for _, j := range jobs(ctx) {
			if j.Name != first.Name {
				second = j
				return true
			}
		}
		return false
	})
	waitFor(t, "lastSuccessfulTime", func(ctx context.Context) bool {
		got, err := cronJobs.Get(ctx, "tick", metav1.GetOptions{})
		return err == nil && got.Status.LastSuccessfulTime != nil
	})

	// The second finishes too: with a history of one successful job, the
	// first is deleted, and a third starts at the next time.
	complete(second)
	advance(5 * time.Minute)
	waitFor(t, "the oldest finished job trimmed and a third started", func(ctx context.Context) bool {
		names := map[string]bool{}
		for _, j := range jobs(ctx) {
			names[j.Name] = true
		}
		return len(names) == 2 && !names[first.Name] && names[second.Name]
	})
}
