package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kybernetes/kybernetes/apis/version"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), version.GitVersion())
		},
	}
}
