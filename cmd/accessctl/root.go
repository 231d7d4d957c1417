package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/live"
	"github.com/tenancy-dev/access-controller/internal/manifest"
)

// Exit codes, the same for every command, so pipelines can tell "the answer
// is no" from "the question was wrong".
const (
	exitOK    = 0 // valid, allowed, rendered
	exitNo    = 1 // invalid, denied
	exitInput = 2 // usage or input error
)

// exitError ends the command with a code after its output is written.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError is a flag or argument the command cannot work with.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run executes accessctl with args and returns the exit code. It keeps no
// global state, so tests run it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runAs(nameAccessctl, args, stdin, stdout, stderr)
}

// runAs executes the command invoked under name (invokedAs): accessctl, or
// kubectl's plugin kubectl-access, or kubectl's completion helper for it.
func runAs(name string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(name != nameAccessctl)
	if name == nameCompleter {
		// kubectl runs kubectl_complete-access with the words after
		// `kubectl access`, the one being completed last: cobra's
		// __complete, whose output format kubectl reads.
		args = append([]string{cobra.ShellCompRequestCmd}, args...)
	}
	if isCompletionRequest(args) {
		registerCompletions(root)
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	p := &printer{w: stderr}
	p.printf("error: %s\n", err)
	var ie *manifest.InputError
	var oe *outputError
	var le *liveError
	if !errors.As(err, &ie) && !errors.As(err, &oe) && !errors.As(err, &le) {
		// Cobra's own errors (unknown command or flag, bad flag value)
		// are usage errors too.
		p.printf("Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return exitInput
}

// printer writes output and keeps the first write error, so that a closed
// pipe (accessctl render | head) is reported once instead of being checked
// at every line.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	if _, err := fmt.Fprintf(p.w, format, args...); err != nil {
		p.err = &outputError{err: err}
	}
}

// outputError is a failure to write the output: neither a usage nor an
// input error, though it also exits 2.
type outputError struct{ err error }

func (e *outputError) Error() string { return "writing output: " + e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// newRootCmd builds the command tree: accessctl's, or with plugin that of
// kubectl's plugin `kubectl access` (plugin.go).
func newRootCmd(plugin bool) *cobra.Command {
	root := &cobra.Command{
		Use:   "accessctl",
		Short: "Validate, render and check access-controller manifests offline",
		Long: `accessctl answers, from YAML manifests alone, what the access-controller would:
which inputs break an invariant (validate), which EffectivePermissions it would
write (render), whether one user may do one thing (check), who may (who-can),
who gains or loses access between two trees (diff), and which clients a partner
agency's people reach (reach). It runs the same engine as the controller, so
the offline answer is the cluster's answer.

Reviewing a pull request that changes the manifests (base branch in ../base):

  accessctl validate -f tenants
  accessctl diff -f ../base/tenants --to tenants --fail-on findings

prints every broken invariant, then everyone who gains or loses access, in
every tenant, with what gives it; who-can lists everyone who may do one thing.

Exit codes: 0 valid / allowed, 1 invalid / denied, 2 usage or input error.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{msg: err.Error()}
	})
	root.AddCommand(newValidateCmd(), newRenderCmd(), newCheckCmd(), newWhoCanCmd(), newDiffCmd(), newReachCmd(), newVersionCmd())
	if plugin {
		asPlugin(root)
	}
	return root
}

// inputs are the flags every command has: the manifests (or the live
// cluster), and the clock.
type inputs struct {
	filenames []string
	target    live.Target
	now       string
	progress  string
	// liveMode is set by check: read the cluster, not manifests.
	liveMode bool
	// cluster is what was read from the live cluster, in live mode.
	cluster *live.Cluster
}

func (in *inputs) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVarP(&in.filenames, "filename", "f", nil,
		"manifests to read: files, directories (recursive, *.yaml and *.yml) or - for stdin; repeatable")
	f.StringVar(&in.target.Kubeconfig, "kubeconfig", "", "read the live cluster of this kubeconfig instead of -f")
	f.StringVar(&in.target.Context, "context", "", "read the live cluster of this kubeconfig context instead of -f")
	f.StringVar(&in.target.As, "as", "", "read the live cluster as this user (impersonation, as kubectl --as)")
	f.StringSliceVar(&in.target.AsGroups, "as-group", nil, "read the live cluster as these groups (impersonation, as kubectl --as-group); repeatable")
	f.StringVar(&in.progress, "progress", "auto", "a progress line on stderr while reading a live cluster: auto (when stderr is a terminal), always or never")
	// --now fixes the clock (PartnerAccess expiry) so golden tests and
	// reviews of "what happens on that date" are reproducible.
	f.StringVar(&in.now, "now", "", "evaluate at this time (RFC 3339) instead of the current time")
	_ = f.MarkHidden("now")
}

// clusterFlags name the live cluster; any of them means live mode.
func (in *inputs) clusterFlags() bool {
	t := in.target
	return t.Kubeconfig != "" || t.Context != "" || t.As != "" || len(t.AsGroups) > 0
}

// check validates the flags; usage errors come before any file is read.
// As a kubectl plugin, no -f means the cluster of the current context, as
// for every kubectl command.
func (in *inputs) check(cmd *cobra.Command) (time.Time, error) {
	switch {
	case in.clusterFlags() && len(in.filenames) > 0:
		return time.Time{}, usagef("give -f/--filename or --kubeconfig/--context, not both")
	case !in.clusterFlags() && len(in.filenames) == 0 && !isPlugin(cmd):
		return time.Time{}, usagef("-f/--filename is required: the manifests to read (files, directories, or - for stdin); or --kubeconfig/--context to read a live cluster")
	}
	in.liveMode = len(in.filenames) == 0
	if !slices.Contains(progressModes, in.progress) {
		return time.Time{}, usagef("--progress %q: want %s", in.progress, strings.Join(progressModes, ", "))
	}
	if in.now == "" {
		return time.Now(), nil
	}
	now, err := time.Parse(time.RFC3339, in.now)
	if err != nil {
		return time.Time{}, usagef("--now %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", in.now)
	}
	return now, nil
}

// compute loads the manifests (or reads the live cluster) and runs the
// engine on them.
func (in *inputs) compute(cmd *cobra.Command, now time.Time) (*manifest.Set, *engine.Result, error) {
	if !in.liveMode {
		set, err := manifest.LoadFrom(cmd.InOrStdin(), in.filenames...)
		if err != nil {
			return nil, nil, err
		}
		return set, engine.Compute(&set.Snapshot, now), nil
	}
	p := newProgress(cmd.ErrOrStderr(), in.progress)
	defer p.done()
	c, err := in.client(0)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 60*time.Second)
	defer cancel()
	p.show("connecting to the cluster")
	in.cluster, err = live.ReadWith(ctx, c, live.ReadOptions{Progress: func(r live.Progress) {
		p.show(fmt.Sprintf("reading %s (%d of %d kinds), %s", r.Kind, r.Index, r.Kinds, plural(r.Objects, "object", "objects")))
	}})
	if err != nil {
		return nil, nil, &liveError{err: err}
	}
	p.show(fmt.Sprintf("rendering %s from %s", plural(len(in.cluster.Inputs.Snapshot.Tenants), "tenant", "tenants"),
		plural(in.cluster.Inputs.Len(), "object", "objects")))
	return in.cluster.Inputs, engine.Compute(&in.cluster.Inputs.Snapshot, now), nil
}

// client is a client of the live cluster the flags name; timeout, when
// not 0, bounds each request (the lists are bounded by their context).
func (in *inputs) client(timeout time.Duration) (client.Client, error) {
	cfg, err := live.Config(in.target)
	if err != nil && !in.clusterFlags() {
		// kubectl access without -f: say how else to run it.
		err = fmt.Errorf("%w (without -f, %s reads the cluster of the current context)", err, pluginDisplay)
	}
	if err != nil {
		return nil, &liveError{err: err}
	}
	cfg.Timeout = timeout
	c, err := live.NewClient(cfg)
	if err != nil {
		return nil, &liveError{err: err}
	}
	return c, nil
}

// effectivePermissions are the ones questions are answered from: the
// controller's in live mode (what applications enforce), else the render.
func (in *inputs) effectivePermissions(res *engine.Result) []accessv1.EffectivePermission {
	if in.cluster != nil {
		return in.cluster.EffectivePermissions
	}
	return res.EffectivePermissions
}

// lookup finds a user's EffectivePermission in a tenant among eps.
func lookup(eps []accessv1.EffectivePermission, tenant, user string) *accessv1.EffectivePermission {
	for i := range eps {
		if eps[i].Spec.Tenant == tenant && strings.EqualFold(eps[i].Spec.User, user) {
			return &eps[i]
		}
	}
	return nil
}

// liveError is a failure to read the live cluster: an input error (exit 2).
type liveError struct{ err error }

func (e *liveError) Error() string { return "live cluster: " + e.err.Error() }
func (e *liveError) Unwrap() error { return e.err }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
