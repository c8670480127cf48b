// Package runner is the loop every kybernetes controller runs: wait for its
// informers to sync, then let workers take keys from a rate-limited queue
// and call sync on each. A key whose sync fails is retried with back-off; a
// sync may ask to look at its key again after a delay (a deadline, a
// back-off of its own).
package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// SyncFunc brings one key to its desired state; a positive requeueAfter
// asks to sync the key again after that long.
type SyncFunc func(ctx context.Context, key string) (requeueAfter time.Duration, err error)

// NewQueue returns a queue with client-go's default controller back-off.
func NewQueue(name string) workqueue.TypedRateLimitingInterface[string] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: name})
}

// Run processes queue with workers until ctx ends, then shuts the queue down.
func Run(ctx context.Context, name string, queue workqueue.TypedRateLimitingInterface[string], synced []cache.InformerSynced, workers int, sync SyncFunc) {
	defer utilruntime.HandleCrash()
	defer queue.ShutDown()
	if !cache.WaitForNamedCacheSync(name, ctx.Done(), synced...) {
		return
	}
	for range workers {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for processNext(ctx, name, queue, sync) {
			}
		}, time.Second)
	}
	<-ctx.Done()
}

func processNext(ctx context.Context, name string, queue workqueue.TypedRateLimitingInterface[string], sync SyncFunc) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	requeueAfter, err := sync(ctx, key)
	var expected quietError
	switch {
	case errors.As(err, &expected):
		klog.V(2).InfoS("sync will retry", "controller", name, "key", key, "reason", expected.err)
		queue.AddRateLimited(key)
	case err != nil && apierrors.IsConflict(err):
		// A write raced another (optimistic concurrency): expected, and
		// the retry reads the newer object. Not worth an error line.
		klog.V(2).InfoS("sync conflicted, retrying", "controller", name, "key", key, "err", err)
		queue.AddRateLimited(key)
	case err != nil:
		utilruntime.HandleError(fmt.Errorf("%s: syncing %q: %w", name, key, err))
		queue.AddRateLimited(key)
	case requeueAfter > 0:
		queue.Forget(key)
		queue.AddAfter(key, requeueAfter)
	default:
		queue.Forget(key)
	}
	return true
}

// Quiet marks an error a sync expects to meet now and then (a namespace
// whose content is still going, an owner not yet confirmed gone): the key
// is retried with back-off, and the error is logged only at verbosity 2.
func Quiet(err error) error {
	if err == nil {
		return nil
	}
	return quietError{err}
}

type quietError struct{ err error }

func (q quietError) Error() string { return q.err.Error() }
func (q quietError) Unwrap() error { return q.err }

// Always turns a sync without delays into a SyncFunc.
func Always(sync func(ctx context.Context, key string) error) SyncFunc {
	return func(ctx context.Context, key string) (time.Duration, error) { return 0, sync(ctx, key) }
}
