package main

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// The binary's names. kubectl runs an executable named kubectl-access on
// PATH for `kubectl access ...`, and, to complete the words after
// `kubectl access` (kubectl ≥ 1.26), one named kubectl_complete-access. The
// same binary is all three: its name says which.
const (
	nameAccessctl = "accessctl"
	namePlugin    = "kubectl-access"
	nameCompleter = "kubectl_complete-access"
	// pluginDisplay is how help, examples and errors name the plugin.
	pluginDisplay = "kubectl access"
)

// invokedAs is the name the binary was run under (os.Args[0]): the plugin,
// its completion helper, or accessctl under any other name.
func invokedAs(arg0 string) string {
	base := filepath.Base(arg0)
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".exe") {
		base = strings.TrimSuffix(base, ext)
	}
	switch base {
	case namePlugin, nameCompleter:
		return base
	}
	return nameAccessctl
}

// isPlugin says whether cmd runs as `kubectl access`.
func isPlugin(cmd *cobra.Command) bool { return cmd.Root().Name() == namePlugin }

// commandName is how to write the command in messages: accessctl, or
// kubectl access.
func commandName(cmd *cobra.Command) string { return cmd.Root().DisplayName() }

var (
	accessctlWord = regexp.MustCompile(`\baccessctl\b`)
	filenameInUse = regexp.MustCompile(` -f (\S+)`)
)

// asPlugin turns accessctl's command tree into `kubectl access`: help,
// usage lines, examples and errors say kubectl access (cobra's display
// name); without -f it reads the cluster of kubectl's current context; and
// its shell completion is kubectl's (kubectl_complete-access), so it has
// no completion command of its own.
func asPlugin(root *cobra.Command) {
	root.Use = namePlugin
	root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: pluginDisplay}
	root.Long += `

As a kubectl plugin, every command reads the cluster of kubectl's current
context when no -f is given (--kubeconfig, --context, --as and --as-group
work as for kubectl; -n/--namespace names a tenant by its namespace).`
	root.CompletionOptions.DisableDefaultCmd = true
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Use = filenameInUse.ReplaceAllString(c.Use, " [-f $1]")
		c.Short = accessctlWord.ReplaceAllString(c.Short, pluginDisplay)
		c.Long = accessctlWord.ReplaceAllString(c.Long, pluginDisplay)
		c.Example = accessctlWord.ReplaceAllString(c.Example, pluginDisplay)
		if f := c.Flags().Lookup("filename"); f != nil {
			f.Usage += "; without -f, the cluster of the current context"
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
