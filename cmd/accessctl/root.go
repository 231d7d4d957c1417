package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

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
	root := newRootCmd()
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

func newRootCmd() *cobra.Command {
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
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{msg: err.Error()}
	})
	root.AddCommand(newValidateCmd(), newRenderCmd(), newCheckCmd(), newWhoCanCmd(), newDiffCmd(), newReachCmd(), newVersionCmd())
	return root
}

// inputs are the flags every command has: the manifests (or the live
// cluster), and the clock.
type inputs struct {
	filenames   []string
	kubeconfig  string
	kubeContext string
	now         string
	// cluster is what was read from the live cluster, in live mode.
	cluster *live.Cluster
}

func (in *inputs) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringSliceVarP(&in.filenames, "filename", "f", nil,
		"manifests to read: files, directories (recursive, *.yaml and *.yml) or - for stdin; repeatable")
	cmd.Flags().StringVar(&in.kubeconfig, "kubeconfig", "", "read the live cluster of this kubeconfig instead of -f")
	cmd.Flags().StringVar(&in.kubeContext, "context", "", "read the live cluster of this kubeconfig context instead of -f")
	// --now fixes the clock (PartnerAccess expiry) so golden tests and
	// reviews of "what happens on that date" are reproducible.
	cmd.Flags().StringVar(&in.now, "now", "", "evaluate at this time (RFC 3339) instead of the current time")
	_ = cmd.Flags().MarkHidden("now")
}

// check validates the flags; usage errors come before any file is read.
func (in *inputs) check() (time.Time, error) {
	live := in.kubeconfig != "" || in.kubeContext != ""
	switch {
	case live && len(in.filenames) > 0:
		return time.Time{}, usagef("give -f/--filename or --kubeconfig/--context, not both")
	case !live && len(in.filenames) == 0:
		return time.Time{}, usagef("-f/--filename is required: the manifests to read (files, directories, or - for stdin); or --kubeconfig/--context to read a live cluster")
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
	if in.kubeconfig != "" || in.kubeContext != "" {
		cfg, err := live.Config(in.kubeconfig, in.kubeContext)
		if err != nil {
			return nil, nil, &liveError{err: err}
		}
		c, err := live.NewClient(cfg)
		if err != nil {
			return nil, nil, &liveError{err: err}
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 60*time.Second)
		defer cancel()
		if in.cluster, err = live.Read(ctx, c); err != nil {
			return nil, nil, &liveError{err: err}
		}
		return in.cluster.Inputs, engine.Compute(&in.cluster.Inputs.Snapshot, now), nil
	}
	set, err := manifest.LoadFrom(cmd.InOrStdin(), in.filenames...)
	if err != nil {
		return nil, nil, err
	}
	return set, engine.Compute(&set.Snapshot, now), nil
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
