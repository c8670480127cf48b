// Package job runs batch/v1 Jobs to completion, as upstream's job
// controller: up to parallelism pods at a time until completions succeed
// (NonIndexed, or one success per index with Indexed), a back-off of 10 s
// doubling per failure (at most 6 min) before replacing failed pods,
// backoffLimit and activeDeadlineSeconds ending a job as Failed,
// suspension, the Complete/Failed/Suspended conditions, and
// ttlSecondsAfterFinished.
package job

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/expectations"
	"github.com/kybernetes/kybernetes/controllers/lib/podcontrol"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// Back-off between pod failures, as upstream's defaults.
const (
	backoffBase = 10 * time.Second
	backoffMax  = 6 * time.Minute
)

var controllerKind = batchv1.SchemeGroupVersion.WithKind("Job")

// Controller is the job controller.
type Controller struct {
	client kubernetes.Interface
	jobs   batchlisters.JobLister
	pods   corelisters.PodLister
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	// expectations keep a sync from creating pods again before the
	// informer shows the ones just created.
	expectations *expectations.Expectations
	recorder     *events.Recorder
	podControl   *podcontrol.Control
}

// New returns a controller fed by the job and pod informers.
func New(client kubernetes.Interface, jobs batchinformers.JobInformer, pods coreinformers.PodInformer) *Controller {
	c := &Controller{
		client: client,
		jobs:   jobs.Lister(),
		pods:   pods.Lister(),
		synced: []cache.InformerSynced{jobs.Informer().HasSynced, pods.Informer().HasSynced},
		queue:  runner.NewQueue("job"),

		expectations: expectations.New(),
		recorder:     events.NewRecorder(client, "job-controller"),
	}
	c.podControl = &podcontrol.Control{Client: client, Expectations: c.expectations, Recorder: c.recorder, BeforeDelete: c.release}
	enqueue := func(obj interface{}) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	_, _ = jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
		// A deleted job's expectations can never be met; its sync then
		// releases the pods it still tracks.
		DeleteFunc: func(obj interface{}) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.expectations.Forget(key)
				c.queue.Add(key)
			}
		},
	})
	ownerKey := func(pod *corev1.Pod) string {
		if ref := metav1.GetControllerOf(pod); ref != nil && ref.Kind == controllerKind.Kind {
			return pod.Namespace + "/" + ref.Name
		}
		return ""
	}
	_, _ = pods.Informer().AddEventHandler(expectations.PodEventHandler(c.expectations, ownerKey, func(pod *corev1.Pod) {
		switch key := ownerKey(pod); {
		case key != "":
			c.queue.Add(key)
		case tracked(pod) && metav1.GetControllerOf(pod) == nil:
			// Orphaned (its job deleted with the orphan policy) while
			// still tracked: only we can release it.
			c.queue.Add(orphanPrefix + pod.Namespace + "/" + pod.Name)
		}
	}))
	return c
}

// Run processes jobs until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.recorder.Start(ctx)
	runner.Run(ctx, "job", c.queue, c.synced, workers, c.sync)
}

// podsOf sorts the job's pods by state.
type podsOf struct {
	active, succeeded, failed []*corev1.Pod
	ready                     int32
	lastFailure               time.Time
}

func classify(pods []*corev1.Pod) podsOf {
	var p podsOf
	for _, pod := range pods {
		switch {
		case pod.Status.Phase == corev1.PodSucceeded:
			p.succeeded = append(p.succeeded, pod)
		case pod.Status.Phase == corev1.PodFailed:
			p.failed = append(p.failed, pod)
			finished := pod.CreationTimestamp.Time
			for _, cs := range pod.Status.ContainerStatuses {
				if t := cs.State.Terminated; t != nil && t.FinishedAt.After(finished) {
					finished = t.FinishedAt.Time
				}
			}
			if finished.After(p.lastFailure) {
				p.lastFailure = finished
			}
		case pod.DeletionTimestamp == nil:
			p.active = append(p.active, pod)
			for _, cond := range pod.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
					p.ready++
				}
			}
		}
	}
	return p
}

// sync takes one step towards the job's end; it returns how long to wait
// before looking again when time itself will change something.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	if podKey, ok := strings.CutPrefix(key, orphanPrefix); ok {
		return 0, c.releaseOrphan(ctx, podKey)
	}
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	job, err := c.jobs.Jobs(namespace).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return 0, err
	}
	all, err := c.pods.Pods(namespace).List(labels.Everything())
	if err != nil {
		return 0, err
	}
	// Pods of a job of this name that is not this job (deleted, or deleted
	// and created again) are orphans: nobody else would ever release them.
	var owned, orphans []*corev1.Pod
	for _, pod := range all {
		ref := metav1.GetControllerOf(pod)
		switch {
		case ref == nil || ref.Kind != controllerKind.Kind || ref.Name != name:
		case job != nil && ref.UID == job.UID:
			owned = append(owned, pod)
		default:
			orphans = append(orphans, pod)
		}
	}
	if err := c.releaseAll(ctx, orphans); err != nil || job == nil {
		return 0, err
	}
	if finished, at := finishedAt(job); finished || job.DeletionTimestamp != nil {
		if err := c.releaseAll(ctx, owned); err != nil {
			return 0, err
		}
		if !finished {
			return 0, nil
		}
		return c.expire(ctx, job, at)
	}
	original := job
	job = job.DeepCopy()
	if err := c.track(ctx, job, owned); err != nil {
		return 0, err
	}
	p := classify(owned)
	status := &job.Status
	now := metav1.Now()
	status.Ready = ptr.To(p.ready)

	suspended := ptr.Deref(job.Spec.Suspend, false)
	var requeue time.Duration
	switch {
	case suspended:
		if err := c.deletePods(ctx, key, job, p.active); err != nil {
			return 0, err
		}
		p.active = nil
		setCondition(status, batchv1.JobSuspended, corev1.ConditionTrue, "JobSuspended", "Job suspended", now)
	case c.done(job, p):
		if err := c.deletePods(ctx, key, job, p.active); err != nil {
			return 0, err
		}
		p.active = nil
		status.CompletionTime = &now
		setCondition(status, batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue, "CompletionsReached", "Reached expected number of succeeded pods", now)
		setCondition(status, batchv1.JobComplete, corev1.ConditionTrue, "CompletionsReached", "Reached expected number of succeeded pods", now)
		c.recorder.Event(job, corev1.EventTypeNormal, "Completed", "Job completed")
	case failedTotal(job) > ptr.Deref(job.Spec.BackoffLimit, 6):
		if err := c.deletePods(ctx, key, job, p.active); err != nil {
			return 0, err
		}
		p.active = nil
		setCondition(status, batchv1.JobFailureTarget, corev1.ConditionTrue, "BackoffLimitExceeded", "Job has reached the specified backoff limit", now)
		setCondition(status, batchv1.JobFailed, corev1.ConditionTrue, "BackoffLimitExceeded", "Job has reached the specified backoff limit", now)
		c.recorder.Event(job, corev1.EventTypeWarning, "BackoffLimitExceeded", "Job has reached the specified backoff limit")
	case job.Spec.ActiveDeadlineSeconds != nil && status.StartTime != nil &&
		now.Sub(status.StartTime.Time) >= time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second:
		if err := c.deletePods(ctx, key, job, p.active); err != nil {
			return 0, err
		}
		p.active = nil
		setCondition(status, batchv1.JobFailureTarget, corev1.ConditionTrue, "DeadlineExceeded", "Job was active longer than specified deadline", now)
		setCondition(status, batchv1.JobFailed, corev1.ConditionTrue, "DeadlineExceeded", "Job was active longer than specified deadline", now)
		c.recorder.Event(job, corev1.EventTypeWarning, "DeadlineExceeded", "Job was active longer than specified deadline")
	default:
		if status.StartTime == nil {
			status.StartTime = &now
		}
		if cond := condition(status, batchv1.JobSuspended); cond != nil && cond.Status == corev1.ConditionTrue {
			setCondition(status, batchv1.JobSuspended, corev1.ConditionFalse, "JobResumed", "Job resumed", now)
		}
		wait := c.backoff(failedTotal(job), p.lastFailure)
		if wait > 0 && len(p.active) == 0 {
			requeue = wait
		} else if !c.expectations.Satisfied(key) {
			// Pods just created are not all in the cache yet; their
			// events bring this job back.
		} else if err := c.manage(ctx, key, job, p); err != nil {
			return 0, err
		}
		if d := job.Spec.ActiveDeadlineSeconds; d != nil {
			left := time.Duration(*d)*time.Second - now.Sub(status.StartTime.Time)
			if requeue == 0 || left < requeue {
				requeue = max(left, time.Millisecond)
			}
		}
	}
	status.Active = int32(len(p.active))
	if apiequality.Semantic.DeepEqual(original.Status, job.Status) {
		return requeue, nil
	}
	if _, err := c.client.BatchV1().Jobs(job.Namespace).UpdateStatus(ctx, job, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return 0, err
	}
	return requeue, nil
}

// backoff is how long to wait after the last failure before replacing it.
func (c *Controller) backoff(failures int32, last time.Time) time.Duration {
	if failures == 0 {
		return 0
	}
	delay := backoffBase << min(failures-1, 16)
	delay = min(delay, backoffMax)
	return time.Until(last.Add(delay))
}

// done reports whether enough pods succeeded: completions of them, each
// index once when Indexed, or (no completions: a work queue) any success
// with nothing still running.
func (c *Controller) done(job *batchv1.Job, p podsOf) bool {
	if job.Spec.Completions == nil {
		return succeededTotal(job) > 0 && len(p.active) == 0
	}
	if isIndexed(job) {
		return len(completedIndexes(job)) >= int(*job.Spec.Completions)
	}
	return succeededTotal(job) >= *job.Spec.Completions
}

func isIndexed(job *batchv1.Job) bool {
	return ptr.Deref(job.Spec.CompletionMode, batchv1.NonIndexedCompletion) == batchv1.IndexedCompletion
}

func indexOf(pod *corev1.Pod) (int, bool) {
	n, err := strconv.Atoi(pod.Annotations[batchv1.JobCompletionIndexAnnotation])
	return n, err == nil
}

// completedIndexes are the indexes that have succeeded, as recorded in
// status.completedIndexes (the pods themselves may be gone).
func completedIndexes(job *batchv1.Job) indexSet {
	return parseIndexes(job.Status.CompletedIndexes, int(ptr.Deref(job.Spec.Completions, 0)))
}

// manage creates the pods that parallelism and the remaining completions
// call for, or deletes extra ones when parallelism shrank.
func (c *Controller) manage(ctx context.Context, key string, job *batchv1.Job, p podsOf) error {
	parallelism := int(ptr.Deref(job.Spec.Parallelism, 1))
	want := parallelism
	var indexes []int
	switch {
	case job.Spec.Completions == nil:
		if succeededTotal(job) > 0 {
			want = 0
		}
	case isIndexed(job):
		busy := completedIndexes(job)
		for _, pod := range p.active {
			if i, ok := indexOf(pod); ok {
				busy[i] = true
			}
		}
		for i := 0; i < int(*job.Spec.Completions); i++ {
			if !busy[i] {
				indexes = append(indexes, i)
			}
		}
		want = min(parallelism, len(p.active)+len(indexes))
	default:
		want = min(parallelism, int(*job.Spec.Completions-succeededTotal(job)))
	}
	if extra := len(p.active) - want; extra > 0 {
		return c.deletePods(ctx, key, job, p.active[:extra])
	}
	create := make([]*corev1.Pod, max(want-len(p.active), 0))
	for n := range create {
		index := -1
		if isIndexed(job) {
			index = indexes[n]
		}
		create[n] = newPod(job, index)
	}
	return c.podControl.Apply(ctx, key, job, create, nil)
}

// newPod makes a pod of the job's template; an indexed pod carries its
// index in an annotation and in JOB_COMPLETION_INDEX.
func newPod(job *batchv1.Job, index int) *corev1.Pod {
	t := job.Spec.Template.DeepCopy()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    job.Name + "-",
			Namespace:       job.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(job, controllerKind)},
			Finalizers:      []string{batchv1.JobTrackingFinalizer},
		},
		Spec: t.Spec,
	}
	if index >= 0 {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[batchv1.JobCompletionIndexAnnotation] = strconv.Itoa(index)
		pod.GenerateName = fmt.Sprintf("%s-%d-", job.Name, index)
		for i := range pod.Spec.Containers {
			pod.Spec.Containers[i].Env = append(pod.Spec.Containers[i].Env, corev1.EnvVar{Name: "JOB_COMPLETION_INDEX", Value: strconv.Itoa(index)})
		}
	}
	return pod
}

// deletePods deletes pods the job no longer wants. Their finalizer goes
// first (podControl's BeforeDelete): a pod the job removes itself is not a
// failure to count.
func (c *Controller) deletePods(ctx context.Context, key string, job *batchv1.Job, pods []*corev1.Pod) error {
	if len(pods) == 0 {
		return nil
	}
	return c.podControl.Apply(ctx, key, job, nil, pods)
}

// finishedAt reports whether the job ended (Complete or Failed) and when.
func finishedAt(job *batchv1.Job) (bool, time.Time) {
	for _, t := range []batchv1.JobConditionType{batchv1.JobComplete, batchv1.JobFailed} {
		if cond := condition(&job.Status, t); cond != nil && cond.Status == corev1.ConditionTrue {
			return true, cond.LastTransitionTime.Time
		}
	}
	return false, time.Time{}
}

// expire deletes a finished job once ttlSecondsAfterFinished has passed
// (its pods follow through the garbage collector).
func (c *Controller) expire(ctx context.Context, job *batchv1.Job, finished time.Time) (time.Duration, error) {
	ttl := job.Spec.TTLSecondsAfterFinished
	if ttl == nil || job.DeletionTimestamp != nil {
		return 0, nil
	}
	if left := time.Until(finished.Add(time.Duration(*ttl) * time.Second)); left > 0 {
		return left, nil
	}
	policy := metav1.DeletePropagationForeground
	err := c.client.BatchV1().Jobs(job.Namespace).Delete(ctx, job.Name, metav1.DeleteOptions{
		PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: &job.UID}})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	return 0, err
}

func condition(status *batchv1.JobStatus, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}

func setCondition(status *batchv1.JobStatus, t batchv1.JobConditionType, s corev1.ConditionStatus, reason, message string, now metav1.Time) {
	if cond := condition(status, t); cond != nil {
		if cond.Status != s {
			cond.LastTransitionTime = now
		}
		cond.Status, cond.Reason, cond.Message, cond.LastProbeTime = s, reason, message, now
		return
	}
	status.Conditions = append(status.Conditions, batchv1.JobCondition{Type: t, Status: s, Reason: reason, Message: message,
		LastProbeTime: now, LastTransitionTime: now})
}
