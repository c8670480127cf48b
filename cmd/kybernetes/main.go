// Command kybernetes is a Kubernetes-compatible cluster in one binary.
package main

import (
	"os"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
)

func main() {
	root := &cobra.Command{
		Use:   "kybernetes",
		Short: "A Kubernetes-compatible cluster in one binary",
		Long: "kybernetes serves the Kubernetes API to stock kubectl and client-go.\n\n" +
			"Start with `kybernetes server`: it prints where its admin kubeconfig is.",
		SilenceUsage: true,
	}
	root.AddCommand(newServerCommand(), newAPIServerCommand(), newControllerManagerCommand(), newSchedulerCommand(),
		newUpCommand(), newDownCommand(), newKubeletCommand(), newProxyCommand(), newDNSCommand(), newIngressCommand(), newImageCommand(), newKubeconfigCommand(), newShimCommand(), newVersionCommand())
	os.Exit(cli.Run(root))
}
