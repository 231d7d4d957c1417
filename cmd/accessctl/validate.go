package main

import (
	"github.com/spf13/cobra"
)

func newValidateCmd() *cobra.Command {
	var in inputs
	cmd := &cobra.Command{
		Use:   "validate -f PATH...",
		Short: "Report every broken invariant of the manifests",
		Long: `validate runs the engine over the manifests and prints one line per finding:

  file: Kind namespace/name: field: message

Findings the API server would refuse and those the controller would only
report as a condition are both printed, and both make validate fail: offline
the whole tree is present, so a reference that is still missing is a mistake.
Nothing is printed on stdout when the manifests are valid.`,
		Example: `  # Validate a directory of manifests (recursive)
  accessctl validate -f testdata/scenarios/role-hierarchy

  # An invalid tree: prints the cycle and exits 1
  accessctl validate -f testdata/scenarios/invalid-role-cycle

  # From a pipeline
  kustomize build config/samples | accessctl validate -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := in.check(cmd)
			if err != nil {
				return err
			}
			set, res, err := in.compute(cmd, now)
			if err != nil {
				return err
			}
			out, summary := &printer{w: cmd.OutOrStdout()}, &printer{w: cmd.ErrOrStderr()}
			for _, f := range res.Findings {
				out.printf("%s: %s\n", set.FindingFile(f), f)
			}
			if out.err != nil {
				return out.err
			}
			if n := len(res.Findings); n > 0 {
				summary.printf("%s in %s\n", plural(n, "finding", "findings"), plural(set.Len(), "object", "objects"))
				return &exitError{code: exitNo}
			}
			summary.printf("%s valid\n", plural(set.Len(), "object", "objects"))
			return nil
		},
	}
	in.addFlags(cmd)
	return cmd
}
