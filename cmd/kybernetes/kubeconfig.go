package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kybernetes/kybernetes/registry"
)

// newKubeconfigCommand issues credentials from a server's data directory.
func newKubeconfigCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "kubeconfig", Short: "Issue kubeconfigs signed by the cluster CA of a server's data directory"}
	dataDir := registry.NewOptions().DataDir
	var output string
	node := &cobra.Command{
		Use:   "node NAME",
		Short: "Write the kubeconfig of the kubelet of node NAME (user system:node:NAME in system:nodes)",
		Long: "Each kubelet needs an identity of its own: the Node authorizer lets system:node:NAME read only\n" +
			"the Secrets, ConfigMaps and volumes of pods bound to node NAME.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				output = args[0] + ".kubeconfig"
			}
			if err := registry.WriteNodeKubeconfig(dataDir, args[0], output); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s for system:node:%s\n", output, args[0])
			return nil
		},
	}
	node.Flags().StringVar(&dataDir, "data-dir", dataDir, "The data directory of the server whose CA signs.")
	node.Flags().StringVarP(&output, "output", "o", "", "Where to write the kubeconfig (default NAME.kubeconfig).")
	cmd.AddCommand(node)
	return cmd
}
