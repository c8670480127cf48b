package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/controllers/scheduler"
	"github.com/kybernetes/kybernetes/registry"
)

func newServerCommand() *cobra.Command {
	opts := registry.NewOptions()
	controllers := manager.DefaultOptions()
	// Each controller as its own service account, as a careful operator
	// (and kubeadm) runs upstream's controller manager.
	controllers.UseServiceAccountCredentials = true
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane: API server on embedded etcd, the controllers and the scheduler",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Volumes of the built-in provisioner live with the cluster's
			// data, unless told otherwise (or, given "", not at all).
			if !cmd.Flags().Changed("default-local-storage-path") {
				controllers.DefaultLocalStoragePath = filepath.Join(opts.DataDir, "volumes")
			}
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
// it also runs the controllers and the scheduler against the server, each
// as its own user (the scheduler with upstream's defaults, leader election
// as the controllers have it). If either stops while the server runs (a
// failed start, a lost lease), the whole process stops with its error, as
// upstream's components exit for their supervisor to restart them.
func runControlPlane(opts *registry.Options, controllers *manager.Options) error {
	server, err := registry.New(opts)
	if err != nil {
		return err
	}
	// The apiserver library's signal handler: the first signal stops, a
	// second one exits at once. The controllers and the scheduler stop
	// first, while the server still answers, so that they give up their
	// leases: the next start (kybernetes up again) leads at once instead
	// of waiting for the leases to expire.
	signals := genericapiserver.SetupSignalContext()
	serverCtx, stopServer := context.WithCancelCause(context.Background())
	defer stopServer(nil)
	componentsCtx, stopComponents := context.WithCancelCause(serverCtx)
	defer stopComponents(nil)
	done := make(chan error, 1)
	go func() { done <- server.Run(serverCtx) }()

	select {
	case err := <-done:
		return err
	case <-signals.Done():
		stopServer(nil)
		return <-done
	case <-server.Ready():
	}
	fmt.Fprintf(os.Stderr, "kybernetes is ready at %s\nkubeconfig: %s\n  kubectl --kubeconfig %s get ns\n",
		server.URL, opts.KubeconfigPath(), opts.KubeconfigPath())

	var running sync.WaitGroup
	// A component that stops on its own stops the whole process with its
	// error, as upstream's components exit for their supervisor to restart them.
	var failed error
	var failedOnce sync.Once
	fail := func(err error) {
		failedOnce.Do(func() { failed = err })
		stopComponents(err)
		stopServer(err)
	}
	if controllers != nil {
		// Each component with its own identity and upstream's role for
		// it: the scheduler as system:kube-scheduler, the controller
		// manager as system:kube-controller-manager, which (as upstream's
		// role is made for) runs each controller as its own service
		// account. Without --use-service-account-credentials the
		// controllers share the manager's credentials, which then must
		// hold everything: the admin's.
		managerKubeconfig := opts.ControllerManagerKubeconfigPath()
		if !controllers.UseServiceAccountCredentials {
			managerKubeconfig = opts.KubeconfigPath()
		}
		managerConfig, err := clientcmd.BuildConfigFromFlags("", managerKubeconfig)
		if err != nil {
			stopServer(err)
			<-done
			return err
		}
		schedulerConfig, err := clientcmd.BuildConfigFromFlags("", opts.SchedulerKubeconfigPath())
		if err != nil {
			stopServer(err)
			<-done
			return err
		}
		// The controllers and the scheduler live in this process: they
		// answer their health checks on upstream's loopback ports, so that
		// `kubectl get componentstatuses` finds them. Another server on
		// this host may hold the ports already; that costs only the check.
		managerOpts := *controllers
		// Approved CertificateSigningRequests are signed by the cluster
		// CA, the one the server trusts client certificates from.
		if managerOpts.ClusterSigningCertFile == "" && managerOpts.ClusterSigningKeyFile == "" {
			managerOpts.ClusterSigningCertFile, managerOpts.ClusterSigningKeyFile = opts.ClusterCA()
		}
		// Token Secrets are signed with the server's own service
		// account key, which it checks them with.
		if managerOpts.ServiceAccountPrivateKeyFile == "" {
			managerOpts.ServiceAccountPrivateKeyFile = opts.ServiceAccountKeyFile()
		}
		managerOpts.SecurePort, managerOpts.BindAddress, managerOpts.HealthPortOptional = 10257, "127.0.0.1", true
		schedulerOpts := scheduler.DefaultOptions()
		schedulerOpts.LeaderElect = controllers.LeaderElect
		schedulerOpts.SecurePort, schedulerOpts.BindAddress, schedulerOpts.HealthPortOptional = 10259, "127.0.0.1", true
		components := map[string]func(context.Context) error{
			"controller manager": func(ctx context.Context) error { return manager.Run(ctx, managerConfig, managerOpts) },
			"scheduler":          func(ctx context.Context) error { return scheduler.Run(ctx, schedulerConfig, schedulerOpts) },
		}
		for name, run := range components {
			running.Add(1)
			go func() {
				defer running.Done()
				err := run(componentsCtx)
				if componentsCtx.Err() != nil {
					return // shutting down
				}
				if err == nil {
					err = errors.New("stopped")
				}
				fail(fmt.Errorf("the %s: %w", name, err))
			}()
		}
	}
	select {
	case err = <-done:
		stopComponents(err)
		running.Wait()
	case <-signals.Done():
		stopComponents(nil)
		waitAtMost(&running, 10*time.Second)
		stopServer(nil)
		err = <-done
	case <-serverCtx.Done():
		waitAtMost(&running, 10*time.Second)
		err = <-done
	}
	if failed != nil {
		return failed
	}
	return err
}

// waitAtMost waits for wg, or for d.
func waitAtMost(wg *sync.WaitGroup, d time.Duration) {
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(d):
	}
}
