package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/live"
)

// renderedEP is an EffectivePermission as the controller writes it: no
// status and none of the server-set metadata (creationTimestamp,
// resourceVersion, ...), which would only be noise in a diff or a golden file.
type renderedEP struct {
	APIVersion string                           `json:"apiVersion"`
	Kind       string                           `json:"kind"`
	Metadata   renderedMeta                     `json:"metadata"`
	Spec       accessv1.EffectivePermissionSpec `json:"spec"`
}

type renderedMeta struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// renderedList is the -o json envelope, as kubectl get -o json prints many
// objects.
type renderedList struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Items      []renderedEP `json:"items"`
}

func newRenderCmd() *cobra.Command {
	var in inputs
	var output string
	cmd := &cobra.Command{
		Use:   "render -f PATH... [-o yaml|json]",
		Short: "Print the EffectivePermissions the controller would write",
		Long: `render prints the EffectivePermission of every user of every tenant, exactly
the specs the controller writes, sorted by namespace and name. The output
depends only on the manifests, never on the order of files or documents.

With --kubeconfig/--context, render reads the live cluster's inputs and
compares the render with the controller's EffectivePermissions: every one
missing, unexpected or different is reported on stderr as drift, and render
exits 1.

Findings do not stop render (the controller writes EffectivePermissions from
what is valid and grants nothing from the rest); their count is printed on
stderr. Run validate to see them.`,
		Example: `  # The EffectivePermissions of a tenant, as YAML
  accessctl render -f testdata/scenarios/role-hierarchy

  # As a v1 List in JSON, and pick one user's capabilities
  accessctl render -f testdata/scenarios/partners -o json | jq '.items[] | select(.spec.user=="dave@agency-x.example") | .spec.capabilities'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := in.check(cmd)
			if err != nil {
				return err
			}
			if output != "yaml" && output != "json" {
				return usagef("-o %q: want yaml or json", output)
			}
			_, res, err := in.compute(cmd, now)
			if err != nil {
				return err
			}
			items := make([]renderedEP, 0, len(res.EffectivePermissions))
			for _, ep := range res.EffectivePermissions {
				items = append(items, renderedEP{
					APIVersion: accessv1.GroupVersion.String(),
					Kind:       "EffectivePermission",
					Metadata:   renderedMeta{Name: ep.Name, Namespace: ep.Namespace, Labels: ep.Labels},
					Spec:       ep.Spec,
				})
			}
			if output == "json" {
				err = writeJSON(cmd.OutOrStdout(), items)
			} else {
				err = writeYAML(cmd.OutOrStdout(), items)
			}
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("rendered %s", plural(len(items), "EffectivePermission", "EffectivePermissions"))
			if n := len(res.Findings); n > 0 {
				msg += fmt.Sprintf("; %s (run %s validate to see them)", plural(n, "finding", "findings"), commandName(cmd))
			}
			stderr := &printer{w: cmd.ErrOrStderr()}
			stderr.printf("%s\n", msg)
			if in.cluster == nil {
				return nil
			}
			// Live: compare with what the controller wrote.
			drift := live.Drift(in.cluster.EffectivePermissions, res.EffectivePermissions)
			for _, d := range drift {
				stderr.printf("drift: %s\n", d)
			}
			if len(drift) > 0 {
				stderr.printf("%s: the controller has not converged yet, is not running, or an EffectivePermission was edited by hand\n",
					plural(len(drift), "EffectivePermission drifts", "EffectivePermissions drift"))
				return &exitError{code: exitNo}
			}
			stderr.printf("no drift: the cluster's EffectivePermissions are the render\n")
			return nil
		},
	}
	in.addFlags(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "output format: yaml (a multi-document stream) or json (a v1 List)")
	return cmd
}

// writeYAML writes the objects as a multi-document stream.
func writeYAML(w io.Writer, items []renderedEP) error {
	var b bytes.Buffer
	for i, it := range items {
		if i > 0 {
			b.WriteString("---\n")
		}
		y, err := yaml.Marshal(it)
		if err != nil {
			return err
		}
		b.Write(y)
	}
	return write(w, b.Bytes())
}

// writeJSON writes the objects as an indented v1 List.
func writeJSON(w io.Writer, items []renderedEP) error {
	return writeIndented(w, renderedList{APIVersion: "v1", Kind: "List", Items: items})
}

// writeIndented writes v as indented JSON, all at once.
func writeIndented(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return write(w, b.Bytes())
}

// write writes the whole output at once, so a failure leaves no half object.
func write(w io.Writer, data []byte) error {
	if _, err := w.Write(data); err != nil {
		return &outputError{err: err}
	}
	return nil
}
