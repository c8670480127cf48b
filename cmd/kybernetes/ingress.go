package main

import (
	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kybernetes/kybernetes/proxy/ingress"
)

func newIngressCommand() *cobra.Command {
	opts := ingress.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "ingress",
		Short: "Run the ingress controller of IngressClass kybernetes: an HTTP and HTTPS proxy to the Services its Ingresses name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ingress.Run(genericapiserver.SetupSignalContext(), opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}
