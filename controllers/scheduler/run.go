package scheduler

import (
	"context"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/controllers/lib/clientconfig"
	"github.com/kybernetes/kybernetes/controllers/lib/health"
	"github.com/kybernetes/kybernetes/controllers/lib/leader"
)

// Options are the scheduler's settings, with upstream's names and defaults.
type Options struct {
	// Leader election on the kube-system/kube-scheduler Lease.
	leader.Options
	// SchedulerName is the spec.schedulerName of the pods to place.
	SchedulerName string
	// QPS and Burst limit requests to the API server (kube-scheduler's
	// defaults: 50 and 100).
	QPS   float32
	Burst int
	// PercentageOfNodesToScore: how many fitting nodes a cycle looks for,
	// in percent of the nodes (0: upstream's adaptive default).
	PercentageOfNodesToScore int
	// SecurePort serves /healthz, /livez and /readyz over HTTPS on
	// BindAddress (0: not at all; `kybernetes scheduler` uses upstream's
	// 10259).
	SecurePort  int
	BindAddress string
	// HealthPortOptional makes a SecurePort in use cost only the health
	// checks, not the run (see the controller manager's).
	HealthPortOptional bool
}

// DefaultOptions are kube-scheduler's defaults.
func DefaultOptions() Options {
	return Options{Options: leader.Defaults("kube-scheduler"), SchedulerName: DefaultSchedulerName,
		QPS: 50, Burst: 100, BindAddress: "0.0.0.0"}
}

// Run schedules pods until ctx ends (or, with leader election, until the
// lease is lost).
func Run(ctx context.Context, config *rest.Config, opts Options) error {
	config = clientconfig.For(config, "kybernetes-scheduler", opts.QPS, opts.Burst)
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	electionHealth := leaderelection.NewLeaderHealthzAdaptor(20 * time.Second)
	loop := health.NewLoop("scheduling-loop")
	if opts.SecurePort > 0 {
		if err := health.Serve(ctx, opts.BindAddress, opts.SecurePort, electionHealth, loop); err != nil {
			if !opts.HealthPortOptional {
				return err
			}
			klog.ErrorS(err, "not serving health checks")
		}
	}
	err = leader.Run(ctx, client, opts.Options, electionHealth, func(ctx context.Context) error {
		factory := informers.NewSharedInformerFactory(client, 0)
		s := New(opts.SchedulerName, client, factory, opts.PercentageOfNodesToScore)
		factory.Start(ctx.Done())
		defer factory.Shutdown()
		s.Run(ctx)
		loop.Stopped(nil)
		return nil
	})
	loop.Stopped(err)
	return err
}

// AddFlags registers the scheduler's flags (upstream's names).
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	o.Options.AddFlags(fs)
	fs.StringVar(&o.SchedulerName, "scheduler-name", o.SchedulerName, "The pods whose spec.schedulerName is this are the ones this scheduler places.")
	fs.Float32Var(&o.QPS, "kube-api-qps", o.QPS, "QPS to use while talking with kubernetes apiserver.")
	fs.IntVar(&o.Burst, "kube-api-burst", o.Burst, "Burst to use while talking with kubernetes apiserver.")
	fs.IntVar(&o.PercentageOfNodesToScore, "percentage-of-nodes-to-score", o.PercentageOfNodesToScore, "Share of the nodes, in percent, that a scheduling cycle looks for fitting nodes among before it scores them (0: adaptive, as upstream).")
	fs.IntVar(&o.SecurePort, "secure-port", o.SecurePort, "The port on which to serve HTTPS health checks (/healthz, /livez, /readyz). If 0, don't serve HTTPS at all.")
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "The IP address on which to listen for the --secure-port port.")
}
