// Package cronjob starts the Jobs of batch/v1 CronJobs on their schedule,
// as upstream's cronjob controller: standard cron syntax in the cron job's
// time zone, startingDeadlineSeconds for late starts, the Allow, Forbid and
// Replace concurrency policies, suspension, status.active and the last
// schedule and success times, and finished jobs kept up to the history
// limits.
package cronjob

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// ScheduledTimestampAnnotation records, on a job, the schedule time it
// was started for (upstream's name).
const ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"

var controllerKind = batchv1.SchemeGroupVersion.WithKind("CronJob")

// Controller is the cron job controller.
type Controller struct {
	client   kubernetes.Interface
	cronJobs batchlisters.CronJobLister
	jobs     batchlisters.JobLister
	clock    clock.Clock
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder *events.Recorder
}

// New returns a controller fed by the cron job and job informers, telling
// time by clk (a fake one in tests).
func New(client kubernetes.Interface, cronJobs batchinformers.CronJobInformer, jobs batchinformers.JobInformer, clk clock.Clock) *Controller {
	c := &Controller{
		client:   client,
		cronJobs: cronJobs.Lister(),
		jobs:     jobs.Lister(),
		clock:    clk,
		synced:   []cache.InformerSynced{cronJobs.Informer().HasSynced, jobs.Informer().HasSynced},
		queue:    runner.NewQueue("cronjob"),
		recorder: events.NewRecorder(client, "cronjob-controller"),
	}
	enqueue := func(obj interface{}) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	_, _ = cronJobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
	})
	enqueueOwner := func(obj interface{}) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if job, ok := obj.(*batchv1.Job); ok {
			if ref := metav1.GetControllerOf(job); ref != nil && ref.Kind == controllerKind.Kind {
				c.queue.Add(job.Namespace + "/" + ref.Name)
			}
		}
	}
	_, _ = jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueOwner, UpdateFunc: func(_, obj interface{}) { enqueueOwner(obj) }, DeleteFunc: enqueueOwner,
	})
	return c
}

// Run processes cron jobs until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, "cronjob", c.queue, c.synced, workers, c.sync)
}

// sync starts the job due now, if any, records status, trims history, and
// asks to be woken at the next schedule time.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	cj, err := c.cronJobs.CronJobs(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	cj = cj.DeepCopy()
	location := time.Local
	if tz := cj.Spec.TimeZone; tz != nil {
		if location, err = time.LoadLocation(*tz); err != nil {
			return 0, nil // validation refuses unknown zones; nothing to do
		}
	}
	schedule, err := cron.ParseStandard(cj.Spec.Schedule)
	if err != nil {
		return 0, nil
	}
	jobs, err := c.ownedJobs(cj)
	if err != nil {
		return 0, err
	}
	active, finished := splitJobs(jobs)
	now := c.clock.Now()

	if !ptr.Deref(cj.Spec.Suspend, false) && cj.DeletionTimestamp == nil {
		if due, ok := lastDue(cj, schedule, location, now); ok {
			deadline := cj.Spec.StartingDeadlineSeconds
			tooLate := deadline != nil && now.Sub(due) > time.Duration(*deadline)*time.Second
			if !tooLate {
				started, scheduled, err := c.start(ctx, cj, due, active)
				if err != nil {
					return 0, err
				}
				if started != nil {
					active = append(active, started)
				}
				if scheduled {
					cj.Status.LastScheduleTime = &metav1.Time{Time: due}
				}
			}
		}
	}
	if err := c.trimHistory(ctx, cj, finished); err != nil {
		return 0, err
	}
	if err := c.updateStatus(ctx, cj, active, finished); err != nil {
		return 0, err
	}
	next := schedule.Next(now.In(location))
	return max(next.Sub(now), time.Second), nil
}

// lastDue is the latest schedule time that has passed since the last start
// (or since the cron job was created).
func lastDue(cj *batchv1.CronJob, schedule cron.Schedule, location *time.Location, now time.Time) (time.Time, bool) {
	since := cj.CreationTimestamp.Time
	if cj.Status.LastScheduleTime != nil {
		since = cj.Status.LastScheduleTime.Time
	}
	var due time.Time
	for t := schedule.Next(since.In(location)); !t.After(now); t = schedule.Next(t) {
		due = t
	}
	return due, !due.IsZero()
}

// start creates the job for time due, honouring the concurrency policy,
// and reports whether that time is now taken care of. A job already made
// for it (a repeated sync) is not made again; a start that Forbid holds
// back keeps the time due, so that it starts once the running job ends.
func (c *Controller) start(ctx context.Context, cj *batchv1.CronJob, due time.Time, active []*batchv1.Job) (*batchv1.Job, bool, error) {
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(active) > 0 {
			return nil, false, nil
		}
	case batchv1.ReplaceConcurrent:
		for _, job := range active {
			policy := metav1.DeletePropagationBackground
			err := c.client.BatchV1().Jobs(job.Namespace).Delete(ctx, job.Name, metav1.DeleteOptions{PropagationPolicy: &policy})
			if err != nil && !apierrors.IsNotFound(err) {
				return nil, false, err
			}
		}
	}
	t := cj.Spec.JobTemplate
	annotations := map[string]string{}
	for k, v := range t.Annotations {
		annotations[k] = v
	}
	annotations[ScheduledTimestampAnnotation] = due.Format(time.RFC3339)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			// One name per scheduled minute, as upstream: a retried sync
			// finds its job instead of making a second one.
			Name:            fmt.Sprintf("%s-%d", cj.Name, due.Unix()/60),
			Namespace:       cj.Namespace,
			Labels:          t.Labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, controllerKind)},
		},
		Spec: *t.Spec.DeepCopy(),
	}
	created, err := c.client.BatchV1().Jobs(cj.Namespace).Create(ctx, job, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil, true, nil
	}
	if err != nil {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
	} else {
		c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulCreate", "Created job %v", created.Name)
	}
	return created, err == nil, err
}

func (c *Controller) ownedJobs(cj *batchv1.CronJob) ([]*batchv1.Job, error) {
	all, err := c.jobs.Jobs(cj.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var owned []*batchv1.Job
	for _, job := range all {
		if ref := metav1.GetControllerOf(job); ref != nil && ref.UID == cj.UID {
			owned = append(owned, job)
		}
	}
	return owned, nil
}

func finishedAs(job *batchv1.Job) (batchv1.JobConditionType, bool) {
	for _, cond := range job.Status.Conditions {
		if (cond.Type == batchv1.JobComplete || cond.Type == batchv1.JobFailed) && cond.Status == corev1.ConditionTrue {
			return cond.Type, true
		}
	}
	return "", false
}

func splitJobs(jobs []*batchv1.Job) (active, finished []*batchv1.Job) {
	for _, job := range jobs {
		if _, done := finishedAs(job); done {
			finished = append(finished, job)
		} else if job.DeletionTimestamp == nil {
			active = append(active, job)
		}
	}
	return active, finished
}

// trimHistory deletes the oldest finished jobs beyond the history limits.
func (c *Controller) trimHistory(ctx context.Context, cj *batchv1.CronJob, finished []*batchv1.Job) error {
	byType := map[batchv1.JobConditionType][]*batchv1.Job{}
	for _, job := range finished {
		t, _ := finishedAs(job)
		byType[t] = append(byType[t], job)
	}
	limits := map[batchv1.JobConditionType]int{
		batchv1.JobComplete: int(ptr.Deref(cj.Spec.SuccessfulJobsHistoryLimit, 3)),
		batchv1.JobFailed:   int(ptr.Deref(cj.Spec.FailedJobsHistoryLimit, 1)),
	}
	for t, jobs := range byType {
		sort.Slice(jobs, func(i, j int) bool { return olderJob(jobs[i], jobs[j]) })
		for _, job := range jobs[:max(len(jobs)-limits[t], 0)] {
			policy := metav1.DeletePropagationBackground
			err := c.client.BatchV1().Jobs(job.Namespace).Delete(ctx, job.Name, metav1.DeleteOptions{PropagationPolicy: &policy})
			if err != nil && !apierrors.IsNotFound(err) {
				return err
			}
			if err == nil {
				c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted job %v", job.Name)
			}
		}
	}
	return nil
}

// olderJob orders jobs by the schedule time they were made for: creation
// timestamps have one-second resolution, and jobs that a late controller
// catches up on are created within the same second.
func olderJob(a, b *batchv1.Job) bool {
	ta, errA := time.Parse(time.RFC3339, a.Annotations[ScheduledTimestampAnnotation])
	tb, errB := time.Parse(time.RFC3339, b.Annotations[ScheduledTimestampAnnotation])
	if errA == nil && errB == nil && !ta.Equal(tb) {
		return ta.Before(tb)
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

// updateStatus records the active jobs and the last success.
func (c *Controller) updateStatus(ctx context.Context, cj *batchv1.CronJob, active, finished []*batchv1.Job) error {
	status := cj.Status.DeepCopy()
	status.Active = nil
	for _, job := range active {
		status.Active = append(status.Active, corev1.ObjectReference{Kind: "Job", Namespace: job.Namespace, Name: job.Name,
			UID: job.UID, APIVersion: batchv1.SchemeGroupVersion.String(), ResourceVersion: job.ResourceVersion})
	}
	sort.Slice(status.Active, func(i, j int) bool { return status.Active[i].Name < status.Active[j].Name })
	for _, job := range finished {
		if t, _ := finishedAs(job); t == batchv1.JobComplete && job.Status.CompletionTime != nil &&
			(status.LastSuccessfulTime == nil || status.LastSuccessfulTime.Before(job.Status.CompletionTime)) {
			status.LastSuccessfulTime = job.Status.CompletionTime
		}
	}
	original, err := c.cronJobs.CronJobs(cj.Namespace).Get(cj.Name)
	if err == nil && sameStatus(&original.Status, status) {
		return nil
	}
	cj.Status = *status
	_, err = c.client.BatchV1().CronJobs(cj.Namespace).UpdateStatus(ctx, cj, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func sameStatus(a, b *batchv1.CronJobStatus) bool {
	if len(a.Active) != len(b.Active) || !ptr.Equal(timeOf(a.LastScheduleTime), timeOf(b.LastScheduleTime)) ||
		!ptr.Equal(timeOf(a.LastSuccessfulTime), timeOf(b.LastSuccessfulTime)) {
		return false
	}
	for i := range a.Active {
		if a.Active[i].UID != b.Active[i].UID {
			return false
		}
	}
	return true
}

func timeOf(t *metav1.Time) *int64 {
	if t == nil {
		return nil
	}
	return ptr.To(t.Unix())
}
