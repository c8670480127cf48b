package job

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// Pods are tracked as upstream: each carries the job-tracking finalizer, so
// that a finished pod cannot vanish (pod GC, a user's delete) before the
// job has counted it. Counting is a two-step write, so that no pod is lost
// or counted twice whatever fails in between: a finished pod's UID goes
// into status.uncountedTerminatedPods first; then its finalizer is removed;
// then it moves from there into status.succeeded or status.failed.

func tracked(pod *corev1.Pod) bool {
	return slices.Contains(pod.Finalizers, batchv1.JobTrackingFinalizer)
}

// outcome is how a tracked pod ended: succeeded, failed, or not yet. A pod
// deleted before it finished counts as failed (upstream's default pod
// replacement policy, TerminatingOrFailed): it will never succeed.
func outcome(pod *corev1.Pod) (succeeded, failed bool) {
	switch {
	case pod.Status.Phase == corev1.PodSucceeded:
		return true, false
	case pod.Status.Phase == corev1.PodFailed, pod.DeletionTimestamp != nil:
		return false, true
	}
	return false, false
}

// track counts the job's finished pods into job.Status. It writes the
// status itself when it must (before removing finalizers); job then holds
// the written resource version.
func (c *Controller) track(ctx context.Context, job *batchv1.Job, pods []*corev1.Pod) error {
	status := &job.Status
	if status.UncountedTerminatedPods == nil {
		status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	uncounted := status.UncountedTerminatedPods
	seen := sets.New(uncounted.Succeeded...).Insert(uncounted.Failed...)
	completions := int(ptr.Deref(job.Spec.Completions, 0))
	completed := parseIndexes(status.CompletedIndexes, completions)

	byUID := map[types.UID]*corev1.Pod{}
	recorded := false
	for _, pod := range pods {
		byUID[pod.UID] = pod
		if !tracked(pod) || seen.Has(pod.UID) {
			continue
		}
		switch succeeded, failed := outcome(pod); {
		case succeeded:
			uncounted.Succeeded = append(uncounted.Succeeded, pod.UID)
			if i, ok := indexOf(pod); ok && isIndexed(job) && i < completions {
				// Recorded with the UID: the pod may be gone when counted.
				completed[i] = true
			}
			recorded = true
		case failed:
			uncounted.Failed = append(uncounted.Failed, pod.UID)
			recorded = true
		}
	}
	if isIndexed(job) {
		status.CompletedIndexes = completed.String()
	}
	if recorded {
		written, err := c.client.BatchV1().Jobs(job.Namespace).UpdateStatus(ctx, job, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		job.ResourceVersion = written.ResourceVersion
	}

	var errs []error
	release := func(uid types.UID) bool {
		pod := byUID[uid]
		if pod == nil || !tracked(pod) {
			return true // gone, or released by an earlier sync
		}
		if err := c.release(ctx, pod); err != nil {
			errs = append(errs, err)
			return false
		}
		return true
	}
	var stillSucceeded, stillFailed []types.UID
	for _, uid := range uncounted.Succeeded {
		if release(uid) {
			status.Succeeded++
		} else {
			stillSucceeded = append(stillSucceeded, uid)
		}
	}
	for _, uid := range uncounted.Failed {
		if release(uid) {
			status.Failed++
		} else {
			stillFailed = append(stillFailed, uid)
		}
	}
	uncounted.Succeeded, uncounted.Failed = stillSucceeded, stillFailed
	return errors.Join(errs...)
}

// release removes the tracking finalizer from pod, guarded by its UID.
func (c *Controller) release(ctx context.Context, pod *corev1.Pod) error {
	remaining := slices.DeleteFunc(slices.Clone(pod.Finalizers), func(f string) bool { return f == batchv1.JobTrackingFinalizer })
	if remaining == nil {
		remaining = []string{}
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": remaining, "uid": pod.UID}})
	if err != nil {
		return err
	}
	_, err = c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or another pod of that name
	}
	return err
}

// orphanPrefix marks a queue key naming a pod, not a job: a tracked pod
// that no longer has a controller.
const orphanPrefix = "orphan-pod:"

// releaseOrphan releases the pod podKey names if it is still tracked and
// has no controller.
func (c *Controller) releaseOrphan(ctx context.Context, podKey string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(podKey)
	if err != nil {
		return err
	}
	pod, err := c.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || !tracked(pod) || metav1.GetControllerOf(pod) != nil {
		return err
	}
	return c.release(ctx, pod)
}

// releaseAll removes the tracking finalizer from every pod that has it:
// the pods of a finished or deleted job, and orphans whose job is gone.
func (c *Controller) releaseAll(ctx context.Context, pods []*corev1.Pod) error {
	var errs []error
	for _, pod := range pods {
		if tracked(pod) {
			if err := c.release(ctx, pod); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// succeededTotal and failedTotal include pods recorded but not yet counted.
func succeededTotal(job *batchv1.Job) int32 {
	n := job.Status.Succeeded
	if u := job.Status.UncountedTerminatedPods; u != nil {
		n += int32(len(u.Succeeded))
	}
	return n
}

func failedTotal(job *batchv1.Job) int32 {
	n := job.Status.Failed
	if u := job.Status.UncountedTerminatedPods; u != nil {
		n += int32(len(u.Failed))
	}
	return n
}
