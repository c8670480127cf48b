package main

import (
	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kybernetes/kybernetes/proxy/dns"
)

func newDNSCommand() *cobra.Command {
	opts := dns.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "dns",
		Short: "Run the cluster DNS: answer for the cluster domain from Services and EndpointSlices, forward the rest to the host's resolvers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return dns.Run(genericapiserver.SetupSignalContext(), opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}
