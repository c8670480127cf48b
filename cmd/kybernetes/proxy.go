package main

import (
	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kybernetes/kybernetes/proxy"
)

func newProxyCommand() *cobra.Command {
	opts := proxy.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Run the service proxy: program this node's iptables so that Service addresses reach their endpoints",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return proxy.Run(genericapiserver.SetupSignalContext(), opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}
