package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/client-go/util/workqueue"
)

// A quiet error is retried with back-off like any other, and keeps the
// error it wraps.
func TestQuietErrorsAreRetried(t *testing.T) {
	if Quiet(nil) != nil {
		t.Fatal("Quiet(nil) is an error")
	}
	cause := errors.New("content remaining")
	if err := Quiet(cause); !errors.Is(err, cause) || err.Error() != cause.Error() {
		t.Fatalf("Quiet lost its cause: %v", err)
	}
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](time.Millisecond, time.Millisecond))
	defer queue.ShutDown()
	queue.Add("ns")
	calls := 0
	sync := func(context.Context, string) (time.Duration, error) {
		calls++
		if calls == 1 {
			return 0, Quiet(cause)
		}
		return 0, nil
	}
	processNext(context.Background(), "test", queue, sync)
	if queue.NumRequeues("ns") != 1 {
		t.Fatalf("a quiet error was not requeued with back-off: %d requeues", queue.NumRequeues("ns"))
	}
	processNext(context.Background(), "test", queue, sync)
	if calls != 2 || queue.NumRequeues("ns") != 0 {
		t.Fatalf("after the retry succeeded: %d calls, %d requeues", calls, queue.NumRequeues("ns"))
	}
}
