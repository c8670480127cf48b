package leader

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"
)

// A leader whose loops fail gives its lease up at once and returns their
// error; a standby on the same lease then leads.
func TestFailedLeaderReleasesItsLease(t *testing.T) {
	client := fake.NewClientset()
	opts := Options{LeaderElect: true, LeaseName: "test-lease",
		LeaseDuration: 30 * time.Second, RenewDeadline: 20 * time.Second, RetryPeriod: 50 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	failed := make(chan error, 1)
	first := opts
	first.Identity = "first"
	go func() {
		failed <- Run(ctx, client, first, nil, func(context.Context) error { return errors.New("discovery failed") })
	}()
	select {
	case err := <-failed:
		if err == nil || err.Error() != "discovery failed" {
			t.Fatalf("first Run returned %v", err)
		}
	case <-ctx.Done():
		t.Fatal("a leader whose run failed kept running")
	}

	// The lease duration is 30 s: the standby leads well before that only
	// because the failed leader released the lease.
	leading := make(chan struct{})
	second := opts
	second.Identity = "second"
	go func() {
		_ = Run(ctx, client, second, nil, func(ctx context.Context) error { close(leading); <-ctx.Done(); return nil })
	}()
	select {
	case <-leading:
	case <-time.After(10 * time.Second):
		t.Fatal("the standby did not take over the released lease")
	}
}
