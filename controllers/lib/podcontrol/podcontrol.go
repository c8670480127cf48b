// Package podcontrol is how a controller that owns pods (replica sets,
// daemon sets, jobs) creates and deletes them: expectations recorded before
// any request, creations in slow-start batches, deletions in parallel and
// guarded by the pod's UID, and upstream's events for each outcome.
package podcontrol

import (
	"context"
	"errors"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/expectations"
)

// Control creates and deletes the pods of owners.
type Control struct {
	Client       kubernetes.Interface
	Expectations *expectations.Expectations
	Recorder     *events.Recorder
	// BeforeDelete, when set, runs on each pod before its delete (a job
	// takes its tracking finalizer off); its failure skips the delete.
	BeforeDelete func(ctx context.Context, pod *corev1.Pod) error
}

// Apply deletes remove and creates create for the owner that key names,
// events going to owner. Expectations for all of it are recorded first, and
// lowered for every request that fails (it will never be observed).
//
// Creations go in slow-start batches (1, 2, 4, ...), stopping at the first
// batch with a failure, as upstream: a quota or a broken template fails
// once, not n times. The first error is returned.
func (c *Control) Apply(ctx context.Context, key string, owner runtime.Object, create, remove []*corev1.Pod) error {
	uids := make([]types.UID, len(remove))
	for i, pod := range remove {
		uids[i] = pod.UID
	}
	c.Expectations.Expect(key, len(create), uids)
	deleted := make(chan error, 1)
	go func() { deleted <- c.deleteAll(ctx, key, owner, remove) }()
	created := c.createAll(ctx, key, owner, create)
	return errors.Join(created, <-deleted)
}

func (c *Control) createAll(ctx context.Context, key string, owner runtime.Object, pods []*corev1.Pod) error {
	done := 0
	for batch := 1; done < len(pods); batch *= 2 {
		batch = min(batch, len(pods)-done)
		var wg sync.WaitGroup
		errs := make(chan error, batch)
		for _, pod := range pods[done : done+batch] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				created, err := c.Client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
				if err != nil {
					c.Expectations.ObservedAdd(key)
					c.Recorder.Eventf(owner, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
					errs <- err
					return
				}
				c.Recorder.Eventf(owner, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %v", created.Name)
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			// The pods of the batches not attempted will never be seen.
			for range len(pods) - done - batch {
				c.Expectations.ObservedAdd(key)
			}
			return err
		}
		done += batch
	}
	return nil
}

func (c *Control) deleteAll(ctx context.Context, key string, owner runtime.Object, pods []*corev1.Pod) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(pods))
	for _, pod := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := c.delete(ctx, owner, pod); {
			case err == nil:
			case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
				// Gone already, or another pod of that name now: this
				// pod's deletion is done, and no error.
				c.Expectations.ObservedDelete(key, pod.UID)
			default:
				// A failed delete will never be observed.
				c.Expectations.ObservedDelete(key, pod.UID)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

func (c *Control) delete(ctx context.Context, owner runtime.Object, pod *corev1.Pod) error {
	if c.BeforeDelete != nil {
		if err := c.BeforeDelete(ctx, pod); err != nil {
			return err
		}
	}
	err := c.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	switch {
	case err == nil:
		c.Recorder.Eventf(owner, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %v", pod.Name)
	case !apierrors.IsNotFound(err) && !apierrors.IsConflict(err):
		c.Recorder.Eventf(owner, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
	}
	return err
}
