package main

import (
	"fmt"
	"text/tabwriter"

	"strconv"

	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kybernetes/kybernetes/cloudprovider/local/cluster"
	"github.com/kybernetes/kybernetes/kubelet"
	"github.com/kybernetes/kybernetes/kubelet/images"
	"github.com/kybernetes/kybernetes/kubelet/runtime"
	"github.com/kybernetes/kybernetes/registry"
)

func newKubeletCommand() *cobra.Command {
	opts := kubelet.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "kubelet",
		Short: "Run a node: register it and run the pods bound to it with runc and CNI",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return kubelet.Run(genericapiserver.SetupSignalContext(), opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// newShimCommand is the per-container shim the kubelet starts; not for
// people to run.
func newShimCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "container-shim",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE:               func(cmd *cobra.Command, args []string) error { return runtime.ShimMain(args) },
	}
}

func newImageCommand() *cobra.Command {
	rootDir, dataDir := kubelet.DefaultOptions().RootDir, registry.NewOptions().DataDir
	var cmd *cobra.Command
	open := func() (*images.Store, error) {
		// The nodes of `kybernetes up` share one store, in its data dir.
		flags := cmd.PersistentFlags()
		if flags.Changed("data-dir") || !flags.Changed("root-dir") && cluster.IsUp(dataDir) {
			return images.Open(dataDir)
		}
		return images.Open(rootDir)
	}
	cmd = &cobra.Command{Use: "image", Short: "Manage the images of the cluster of `kybernetes up`, or of one kubelet"}
	cmd.PersistentFlags().StringVar(&rootDir, "root-dir", rootDir, "The kubelet's --root-dir, whose image store to use.")
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", dataDir, "The data directory of a cluster of `kybernetes up`, whose nodes share one image store (used by default when that cluster exists and --root-dir is not given).")
	importCmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import images from `docker save` or OCI layout tarballs",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := open()
			if err != nil {
				return err
			}
			for _, file := range args {
				imported, err := store.ImportTarball(file)
				if err != nil {
					return err
				}
				for _, img := range imported {
					fmt.Fprintf(cmd.OutOrStdout(), "imported %s (%s)\n", img.Names[0], img.ID)
				}
			}
			return nil
		},
	}
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List the images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := open()
			if err != nil {
				return err
			}
			list, err := store.List()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(w, "IMAGE\tIMAGE ID\tSIZE")
			for _, img := range list {
				for _, n := range img.Names {
					fmt.Fprintf(w, "%s\t%s\t%s\n", n, img.ID[len("sha256:"):len("sha256:")+13], humanSize(img.Size))
				}
			}
			return w.Flush()
		},
	}
	rm := &cobra.Command{
		Use:   "rm IMAGE...",
		Short: "Remove images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := open()
			if err != nil {
				return err
			}
			for _, ref := range args {
				if err := store.Remove(ref); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", ref)
			}
			return nil
		},
	}
	cmd.AddCommand(importCmd, ls, rm)
	return cmd
}

// humanSize prints a size as crictl does: three significant digits,
// decimal units (1.98MB).
func humanSize(n int64) string {
	size, unit := float64(n), 0
	units := []string{"B", "kB", "MB", "GB", "TB"}
	for size >= 1000 && unit < len(units)-1 {
		size /= 1000
		unit++
	}
	return strconv.FormatFloat(size, 'g', 3, 64) + units[unit]
}
