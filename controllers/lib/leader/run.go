// Package leader runs a component's loops only while it holds its
// Lease in kube-system, with client-go's leader election and upstream's
// flag names and defaults, so that replicas can run side by side with one
// active: the controller manager on kube-controller-manager, the scheduler
// on kube-scheduler.
package leader

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// Options are the leader election settings.
type Options struct {
	// LeaderElect makes the process take the kube-system/<LeaseName>
	// Lease before running.
	LeaderElect bool
	LeaseName   string
	// Identity names this process in the lease (default hostname_uuid).
	Identity      string
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
}

// Defaults are upstream's, for the given lease.
func Defaults(leaseName string) Options {
	return Options{LeaderElect: true, LeaseName: leaseName,
		LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}
}

// Run calls run while this process leads (at once without leader
// election) and returns its result once it stops: when ctx ends, with an
// error when the lease is lost, or with run's own error, in which case the
// lease is released at once so that a standby takes over instead of a
// leader that renews its lease and does nothing. health, if set, reports
// a leader that stopped renewing.
func Run(ctx context.Context, client kubernetes.Interface, opts Options, health *leaderelection.HealthzAdaptor, run func(ctx context.Context) error) error {
	if !opts.LeaderElect {
		return run(ctx)
	}
	identity := opts.Identity
	if identity == "" {
		host, _ := os.Hostname()
		identity = host + "_" + string(uuid.NewUUID())
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Name: opts.LeaseName, Namespace: metav1.NamespaceSystem},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
	}
	// run works in the elector's goroutine; its result comes back here
	// once it stops (when ctx ends or the lease is lost).
	var started atomic.Bool
	results := make(chan error, 1)
	electionCtx, stopElection := context.WithCancel(ctx)
	defer stopElection()
	config := leaderelection.LeaderElectionConfig{
		Lock:            lock,
		Name:            opts.LeaseName,
		LeaseDuration:   opts.LeaseDuration,
		RenewDeadline:   opts.RenewDeadline,
		RetryPeriod:     opts.RetryPeriod,
		ReleaseOnCancel: true,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				klog.InfoS("leading", "lease", opts.LeaseName, "identity", identity)
				started.Store(true)
				err := run(ctx)
				results <- err
				if err != nil {
					klog.ErrorS(err, "stopped while leading; releasing the lease", "lease", opts.LeaseName)
				}
				// Whatever ended run, leading without it would hold the lease
				// for nothing.
				stopElection()
			},
			OnStoppedLeading: func() { klog.InfoS("no longer leading", "lease", opts.LeaseName, "identity", identity) },
		},
	}
	if health != nil {
		config.WatchDog = health
	}
	elector, err := leaderelection.NewLeaderElector(config)
	if err != nil {
		return err
	}
	elector.Run(electionCtx)
	var runErr error
	if started.Load() {
		runErr = <-results
	}
	if runErr == nil && ctx.Err() == nil {
		runErr = fmt.Errorf("lost the %s lease", opts.LeaseName)
	}
	return runErr
}

// AddFlags registers upstream's leader-election flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "Start a leader election client and gain leadership before executing the main loop. Enable this when running replicated components for high availability.")
	fs.StringVar(&o.LeaseName, "leader-elect-resource-name", o.LeaseName, "The name of the Lease in kube-system used for locking during leader election.")
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", o.LeaseDuration, "The duration that non-leader candidates will wait after observing a leadership renewal until attempting to acquire leadership.")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", o.RenewDeadline, "The interval between attempts by the acting master to renew a leadership slot before it stops leading.")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", o.RetryPeriod, "The duration the clients should wait between attempting acquisition and renewal of a leadership.")
}
