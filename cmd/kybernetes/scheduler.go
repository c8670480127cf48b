package main

import (
	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kybernetes/kybernetes/controllers/scheduler"
)

func newSchedulerCommand() *cobra.Command {
	opts := scheduler.DefaultOptions()
	opts.SecurePort = 10259
	var kubeconfig string
	cmd := &cobra.Command{
		Use:   "scheduler",
		Short: "Run the scheduler against an API server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
			if err != nil {
				return err
			}
			return scheduler.Run(genericapiserver.SetupSignalContext(), config, opts)
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", kubeconfig, "Path to a kubeconfig file with the API server's address and credentials.")
	opts.AddFlags(cmd.Flags())
	return cmd
}
