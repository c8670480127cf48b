package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kybernetes/kybernetes/cloudprovider/local/cluster"
	"github.com/kybernetes/kybernetes/controllers/manager"
	"github.com/kybernetes/kybernetes/registry"
)

func newUpCommand() *cobra.Command {
	server := registry.NewOptions()
	controllers := manager.DefaultOptions()
	// Each controller as its own service account, as a careful operator
	// (and kubeadm) runs upstream's controller manager.
	controllers.UseServiceAccountCredentials = true
	opts := cluster.Options{Nodes: 1, Runtime: cluster.RuntimeRunc, NodeNetwork: "10.250.0.0/24", LoadBalancerNetwork: "10.250.1.0/24", WriteKubeconfig: true, Runc: "runc"}
	serverFlags := pflag.NewFlagSet("server", pflag.ContinueOnError)
	server.AddFlags(serverFlags)
	controllers.AddFlags(serverFlags)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run a whole cluster on this machine: the control plane and --nodes nodes, each in a network namespace with its own kubelet and proxy",
		Long: "up starts the control plane and N nodes, shows its progress and keeps them running until Ctrl-C or\n" +
			"`kybernetes down`, which stop everything and remove what was made on the host. `up` again on the same\n" +
			"--data-dir brings the same cluster back. It takes the server's flags too.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			self, err := os.Executable()
			if err != nil {
				return err
			}
			opts.DataDir, opts.ClusterCIDR, opts.ServiceCIDR, opts.Self, opts.Out = server.DataDir, controllers.ClusterCIDR, server.ServiceClusterIPRange, self, os.Stderr
			opts.Changed = func(name string) bool { return cmd.Flags().Changed(name) }
			opts.ServerFlagSet = func(name string) bool { f := serverFlags.Lookup(name); return f != nil && f.Changed }
			serverFlags.VisitAll(func(f *pflag.Flag) {
				if f.Changed && f.Name != "data-dir" {
					opts.ServerArgs = append(opts.ServerArgs, "--"+f.Name+"="+flagValue(f))
				}
			})
			return cluster.Up(genericapiserver.SetupSignalContext(), opts)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&opts.Nodes, "nodes", opts.Nodes, "How many nodes to run (default: as many as the last up on --data-dir, else 1).")
	fs.StringVar(&opts.Runtime, "runtime", opts.Runtime, "runc (nodes run containers; needs root, runc, the CNI plugins and iptables) or fake (hollow nodes: no container runs, no root needed).")
	fs.StringVar(&opts.NodeNetwork, "node-network", opts.NodeNetwork, "The IPv4 network of the nodes' addresses; the host takes its first address.")
	fs.StringVar(&opts.LoadBalancerNetwork, "load-balancer-network", opts.LoadBalancerNetwork, "The IPv4 network whose addresses LoadBalancer Services get (routed from the host to the nodes).")
	fs.BoolVar(&opts.WriteKubeconfig, "write-kubeconfig", opts.WriteKubeconfig, "Merge a kybernetes context into the kubeconfig kubectl reads ($KUBECONFIG or ~/.kube/config) and make it current.")
	fs.StringVar(&opts.Runc, "runc", opts.Runc, "The runc binary the kubelets use.")
	fs.AddFlagSet(serverFlags)
	return cmd
}

// flagValue is a flag's value as its own flag parses it back (lists
// comma-separated, not pflag's "[a,b]").
func flagValue(f *pflag.Flag) string {
	if list, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(list.GetSlice(), ",")
	}
	return f.Value.String()
}

func newDownCommand() *cobra.Command {
	dataDir, runc := registry.NewOptions().DataDir, "runc"
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the cluster `kybernetes up` runs on --data-dir and remove what it made on the host (its data stays)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			self, err := os.Executable()
			if err != nil {
				return err
			}
			return cluster.Down(genericapiserver.SetupSignalContext(), dataDir, self, runc, os.Stderr)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", dataDir, "The data directory of the cluster.")
	cmd.Flags().StringVar(&runc, "runc", runc, "The runc binary the kubelets used.")
	return cmd
}
