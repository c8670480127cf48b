package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kybernetes/kybernetes/controllers/health"
	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/controllers/scheduler"
	"github.com/kybernetes/kybernetes/registry"
)

func newServerCommand() *cobra.Command {
	opts := registry.NewOptions()
	controllers := manager.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane: API server on embedded etcd, the controllers and the scheduler",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runControlPlane(opts, &controllers)
		},
	}
	opts.AddFlags(cmd.Flags())
	controllers.AddFlags(cmd.Flags())
	return cmd
}

func newAPIServerCommand() *cobra.Command {
	opts := registry.NewOptions()
	cmd := &cobra.Command{
		Use:   "apiserver",
		Short: "Run the API server alone",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runControlPlane(opts, nil)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// runControlPlane serves until SIGTERM or SIGINT; with controller options,
// it also runs the controllers and the scheduler against the server, as
// the admin user (the scheduler with upstream's defaults, leader election
// as the controllers have it).
func runControlPlane(opts *registry.Options, controllers *manager.Options) error {
	server, err := registry.New(opts)
	if err != nil {
		return err
	}
	// The apiserver library's signal handler: the first signal drains and
	// stops, a second one exits at once.
	ctx := genericapiserver.SetupSignalContext()
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx) }()

	select {
	case err := <-done:
		return err
	case <-server.Ready():
	}
	fmt.Fprintf(os.Stderr, "kybernetes is ready at %s\nkubeconfig: %s\n  kubectl --kubeconfig %s get ns\n",
		server.URL, opts.KubeconfigPath(), opts.KubeconfigPath())

	if controllers != nil {
		config, err := clientcmd.BuildConfigFromFlags("", opts.KubeconfigPath())
		if err != nil {
			return err
		}
		go func() {
			if err := manager.Run(ctx, config, *controllers); err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "controllers stopped: %v\n", err)
			}
		}()
		// The controllers and the scheduler live in this process: answer
		// their health checks on upstream's loopback ports, so that `kubectl
		// get componentstatuses` finds them. Another server on this host may
		// hold the ports already; that costs only the check.
		for name, port := range map[string]int{"controller-manager": 10257, "scheduler": 10259} {
			if err := health.Serve(ctx, "127.0.0.1", port); err != nil {
				fmt.Fprintf(os.Stderr, "not serving %s health: %v\n", name, err)
			}
		}
		schedulerOpts := scheduler.DefaultOptions()
		schedulerOpts.LeaderElect = controllers.LeaderElect
		go func() {
			if err := scheduler.Run(ctx, config, schedulerOpts); err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "scheduler stopped: %v\n", err)
			}
		}()
	}
	return <-done
}
