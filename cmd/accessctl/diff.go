package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tenancy-dev/access-controller/internal/diff"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
)

// failOn are the conditions --fail-on accepts.
var failOn = []string{"widen", "narrow", "change", "findings"}

// diffJSON is diff -o json's output.
type diffJSON struct {
	Users    []diff.User  `json:"users"`
	Findings findingsJSON `json:"findings"`
	Summary  summaryJSON  `json:"summary"`
}

type findingsJSON struct {
	Appeared    []fileFinding `json:"appeared"`
	Disappeared []fileFinding `json:"disappeared"`
}

type fileFinding struct {
	File string `json:"file"`
	engine.Finding
}

type summaryJSON struct {
	Widen               int `json:"usersWiden"`
	Narrow              int `json:"usersNarrow"`
	Changed             int `json:"usersChanged"`
	FindingsAppeared    int `json:"findingsAppeared"`
	FindingsDisappeared int `json:"findingsDisappeared"`
}

func newDiffCmd() *cobra.Command {
	var in inputs
	var to, fail []string
	var output string
	cmd := &cobra.Command{
		Use:   "diff -f OLD... --to NEW... [-o text|json] [--fail-on widen,narrow,change,findings]",
		Short: "Show who gains and who loses which access between two manifest trees",
		Long: `diff renders both trees with the engine and prints, per tenant and user, every
capability, action, record grant and subordinate role that changes, with the
via that gives or gave it: + when it widens access, - when it narrows it, ~
when it only changes how access reads (or both widens and narrows, which the
line says); then the findings that appear (+) or disappear (-). Widening and
narrowing are decided by what pkg/check allows, by the classifier the
controller orders its writes with (revocations first). Because it compares what
the engine computes, every consequence shows, in every tenant: a role moved
under another widens every manager above its new place; a partner admin added
gives a person access in a client tenant.

The text output reads well in a pull-request comment (in a diff code block,
+ and - lines are coloured). -o json prints the same for pipelines.

diff exits 0 whatever changed, unless --fail-on names a condition that holds:
  widen     someone gains access
  narrow    someone loses access
  change    any user's EffectivePermission differs
  findings  a finding appears
then it exits 1 after printing everything.`,
		Example: `  # What a pull request changes (main checked out in ../base)
  accessctl diff -f ../base/tenants --to tenants

  # Gate a pipeline: fail when anyone gains access, or a finding appears
  accessctl diff -f ../base/tenants --to tenants --fail-on widen,findings

  # For a bot, as JSON
  accessctl diff -f ../base/tenants --to tenants -o json | jq '.users[] | select(.status=="added") | .user'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := in.check(cmd)
			if err != nil {
				return err
			}
			switch {
			case len(to) == 0:
				return usagef("--to is required: the new manifests to compare the -f ones with")
			case slices.Contains(in.filenames, "-") && slices.Contains(to, "-"):
				return usagef("- (stdin) can be read by -f or by --to, not both")
			case output != "text" && output != "json":
				return usagef("-o %q: want text or json", output)
			}
			for _, f := range fail {
				if !slices.Contains(failOn, f) {
					return usagef("--fail-on %q: want one or more of %s", f, strings.Join(failOn, ", "))
				}
			}
			oldSet, oldRes, err := in.compute(cmd, now)
			if err != nil {
				return err
			}
			newSet, err := manifest.LoadFrom(cmd.InOrStdin(), to...)
			if err != nil {
				return err
			}
			rep := diff.Compare(oldRes, engine.Compute(&newSet.Snapshot, now))
			if output == "json" {
				err = writeIndented(cmd.OutOrStdout(), diffOutput(rep, oldSet, newSet))
			} else {
				err = writeDiff(cmd, rep, oldSet, newSet)
			}
			if err != nil {
				return err
			}
			if why := failing(rep, fail); len(why) > 0 {
				(&printer{w: cmd.ErrOrStderr()}).printf("diff: failing (--fail-on): %s\n", strings.Join(why, "; "))
				return &exitError{code: exitNo}
			}
			return nil
		},
	}
	in.addFlags(cmd)
	cmd.Flags().StringSliceVar(&to, "to", nil, "the new manifests: files, directories or -; repeatable")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.Flags().StringSliceVar(&fail, "fail-on", nil, "exit 1 when one of these holds: "+strings.Join(failOn, ", "))
	return cmd
}

func summarize(rep diff.Report) summaryJSON {
	s := summaryJSON{Changed: len(rep.Users), FindingsAppeared: len(rep.Appeared), FindingsDisappeared: len(rep.Disappeared)}
	for _, u := range rep.Users {
		if u.Widens() {
			s.Widen++
		}
		if u.Narrows() {
			s.Narrow++
		}
	}
	return s
}

func failing(rep diff.Report, conditions []string) []string {
	s := summarize(rep)
	var why []string
	for _, c := range conditions {
		switch {
		case c == "widen" && s.Widen > 0:
			why = append(why, plural(s.Widen, "user gains", "users gain")+" access")
		case c == "narrow" && s.Narrow > 0:
			why = append(why, plural(s.Narrow, "user loses", "users lose")+" access")
		case c == "change" && s.Changed > 0:
			why = append(why, plural(s.Changed, "EffectivePermission differs", "EffectivePermissions differ"))
		case c == "findings" && s.FindingsAppeared > 0:
			why = append(why, plural(s.FindingsAppeared, "finding appears", "findings appear"))
		}
	}
	return why
}

func diffOutput(rep diff.Report, oldSet, newSet *manifest.Set) diffJSON {
	out := diffJSON{Users: rep.Users, Summary: summarize(rep),
		Findings: findingsJSON{Appeared: []fileFinding{}, Disappeared: []fileFinding{}}}
	if out.Users == nil {
		out.Users = []diff.User{}
	}
	for _, f := range rep.Appeared {
		out.Findings.Appeared = append(out.Findings.Appeared, fileFinding{File: newSet.FindingFile(f), Finding: f})
	}
	for _, f := range rep.Disappeared {
		out.Findings.Disappeared = append(out.Findings.Disappeared, fileFinding{File: oldSet.FindingFile(f), Finding: f})
	}
	return out
}

// writeDiff prints the report for people: one block per tenant and user,
// each line starting with +, - or ~ so that a diff code block colours it.
func writeDiff(cmd *cobra.Command, rep diff.Report, oldSet, newSet *manifest.Set) error {
	p := &printer{w: cmd.OutOrStdout()}
	if rep.Empty() {
		p.printf("no change: nobody gains or loses access, and no finding appears or disappears\n")
		return p.err
	}
	tw := tabwriter.NewWriter(p.w, 0, 8, 2, ' ', 0)
	tp := &printer{w: tw}
	tenant := ""
	for _, u := range rep.Users {
		if u.Tenant != tenant {
			if tenant != "" {
				tp.printf("\n")
			}
			tenant = u.Tenant
			tp.printf("tenant %s\n", tenantHeading(u))
		}
		tp.printf("  %s (%s/%s) %s\n", u.User, u.Namespace, u.Name, userTags(u))
		for _, c := range u.Changes {
			if len(c.Via) == 0 {
				tp.printf("%s   %s\n", c.Op, describeChange(c))
				continue
			}
			tp.printf("%s   %s\tvia %s\n", c.Op, describeChange(c), strings.Join(c.Via, "; "))
		}
	}
	if len(rep.Appeared)+len(rep.Disappeared) > 0 {
		if len(rep.Users) > 0 {
			tp.printf("\n")
		}
		tp.printf("findings\n")
		for _, f := range rep.Appeared {
			tp.printf("+   %s: %s\n", newSet.FindingFile(f), f)
		}
		for _, f := range rep.Disappeared {
			tp.printf("-   %s: %s\n", oldSet.FindingFile(f), f)
		}
	}
	if tp.err == nil {
		if err := tw.Flush(); err != nil {
			tp.err = &outputError{err: err}
		}
	}
	if tp.err != nil {
		return tp.err
	}
	s := summarize(rep)
	p.printf("\n%s, %s; %s, %s\n",
		plural(s.Widen, "user gains access", "users gain access"),
		plural(s.Narrow, "user loses access", "users lose access"),
		plural(s.FindingsAppeared, "finding appears", "findings appear"),
		plural(s.FindingsDisappeared, "finding disappears", "findings disappear"))
	return p.err
}

func tenantHeading(u diff.User) string {
	if u.Tenant == u.Namespace || u.Tenant == "" {
		return u.Namespace
	}
	return fmt.Sprintf("%s (namespace %s)", u.Tenant, u.Namespace)
}

func userTags(u diff.User) string {
	tags := []string{}
	switch u.Status {
	case diff.Added:
		tags = append(tags, "new")
	case diff.Removed:
		tags = append(tags, "removed")
	}
	if u.Widens() {
		tags = append(tags, "widens")
	}
	if u.Narrows() {
		tags = append(tags, "narrows")
	}
	if len(tags) == 0 {
		tags = append(tags, "reads differently")
	}
	return "[" + strings.Join(tags, ", ") + "]"
}

// describeChange is a change in words, e.g. "deals: edit",
// "deals: records Hierarchy ReadWrite", "role sales-team → vp-sales"; a
// change that both widens and narrows says so.
func describeChange(c diff.Change) string {
	s := describeItem(c)
	if c.Direction == diff.Both {
		s += " (widens and narrows)"
	}
	return s
}

func describeItem(c diff.Change) string {
	prefix := ""
	if c.Type != "" {
		prefix = c.Type + ": "
	}
	gone := func(s string) bool { return s == "" || s == "None" }
	switch c.What {
	case engine.WhatCapability:
		return "capability " + c.Item
	case engine.WhatAction:
		return prefix + c.Item
	case engine.WhatRecords:
		switch {
		case c.Op == diff.Gained && gone(c.From):
			return fmt.Sprintf("%srecords %s %s", prefix, c.Item, c.To)
		case c.Op == diff.Gained:
			return fmt.Sprintf("%srecords %s %s (was %s)", prefix, c.Item, c.To, c.From)
		case c.Op == diff.Lost && gone(c.To):
			return fmt.Sprintf("%srecords %s %s", prefix, c.Item, c.From)
		case c.Op == diff.Lost:
			return fmt.Sprintf("%srecords %s %s (now %s)", prefix, c.Item, c.From, c.To)
		}
		return fmt.Sprintf("%srecords %s: %s → %s", prefix, c.Item, orNone(c.From), orNone(c.To))
	case engine.WhatHiddenField:
		return fmt.Sprintf("%srecords %s: %s → %s", prefix, c.Item, c.From, c.To)
	case engine.WhatSubordinate:
		switch {
		case c.From == "":
			return fmt.Sprintf("subordinate role %s (reports to %s)", c.Item, c.To)
		case c.To == "":
			return fmt.Sprintf("subordinate role %s (reported to %s)", c.Item, c.From)
		}
		return fmt.Sprintf("subordinate role %s: reports to %s → %s", c.Item, c.From, c.To)
	case engine.WhatCombined:
		return prefix + "records: the changes above together"
	}
	return fmt.Sprintf("%s%s: %s → %s", prefix, c.Item, orNone(c.From), orNone(c.To))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
