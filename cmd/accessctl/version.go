package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tenancy-dev/access-controller/internal/version"
)

func newVersionCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version [-o text|json]",
		Short: "Print accessctl's version: release, commit, build date, Go version and platform",
		Example: `  accessctl version
  accessctl version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			i := version.Get()
			switch output {
			case "text":
				_, err := fmt.Fprintln(cmd.OutOrStdout(), commandName(cmd)+" "+i.String())
				return err
			case "json":
				enc := json.NewEncoder(cmd.OutOrStdout())
				return enc.Encode(i)
			}
			return &usageError{msg: fmt.Sprintf("-o %q: give text or json", output)}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}
