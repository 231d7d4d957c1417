package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// checkOptions are check's flags.
type checkOptions struct {
	inputs
	tenant, user string
	capability   string
	action       string
	typ, owner   string
	visibility   string
	groups       []string
	field        string
	explain      bool
	output       string
}

// recordFlags are the flags that describe a record; they need --action.
var recordFlags = []string{"type", "owner", "visibility", "groups", "field"}

var visibilities = []accessv1.Visibility{
	accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate,
}

// actionsInSpecOrder lists the actions as api.md does, for messages.
var actionsInSpecOrder = []accessv1.Action{
	accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
	accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll,
}

// decisionJSON is check -o json's output.
type decisionJSON struct {
	Allowed bool                 `json:"allowed"`
	Access  accessv1.AccessLevel `json:"access"`
	Reasons []string             `json:"reasons"`
}

func newCheckCmd() *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check -f PATH... --tenant T --user EMAIL (--capability NAME | --action A --type TYPE [--owner EMAIL] [--visibility V] [--groups g1,g2] [--field F])",
		Short: "Decide whether a user may use a capability or act on a record",
		Long: `check decides one question from the user's EffectivePermission, with the
check package applications use. It prints "allowed" or "denied" on its first
line and exits 0 or 1; --explain adds the path that decided it, -o json prints
{"allowed":bool,"access":"None|Read|ReadWrite","reasons":[...]}.

A record is described by its type and, optionally, its owner (whose role and
membership are read from the manifests), visibility, groups and one field.
Without --owner the question is functional: may the user perform the action on
the type at all. A user without an EffectivePermission in the tenant (or an
unknown tenant) is denied.`,
		Example: `  # May Teresa edit a deal Jim owns? (allowed: Jim's role is below hers)
  accessctl check -f testdata/scenarios/role-hierarchy --tenant northwind \
    --user teresa@northwind.example --action edit --type deals --owner jim@northwind.example --explain

  # May a partner admin see billing?
  accessctl check -f testdata/scenarios/partners --tenant acme \
    --user dave@agency-x.example --capability billing.access

  # A hidden field, as JSON
  accessctl check -f testdata/scenarios/department --tenant kaisha --user e1@kaisha.example \
    --action view --type business-cards --owner s1@kaisha.example --field email -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.addQuestionFlags(cmd)
	cmd.Flags().StringVar(&o.user, "user", "", "the user's e-mail address (any case)")
	return cmd
}

// addQuestionFlags adds the flags of a question, who asks aside: the
// manifests, the tenant, the capability or the action and record, and the
// output. check and who-can share them.
func (o *checkOptions) addQuestionFlags(cmd *cobra.Command) {
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.tenant, "tenant", "", "the tenant (its Tenant's name)")
	f.StringVar(&o.capability, "capability", "", "ask about this capability, e.g. reports.access")
	f.StringVar(&o.action, "action", "", "ask about this action: "+joinActions(actionsInSpecOrder))
	f.StringVar(&o.typ, "type", "", "the record's object type, e.g. deals (with --action)")
	f.StringVar(&o.owner, "owner", "", "the record owner's e-mail; without it the question is functional only")
	f.StringVar(&o.visibility, "visibility", "", "the visibility the record states: Public, Group, OwnerAndGroups or Private")
	f.StringSliceVar(&o.groups, "groups", nil, "the roles an OwnerAndGroups record names, comma-separated")
	f.StringVar(&o.field, "field", "", "ask about one field of the record: denied when it is hidden from the user")
	f.BoolVar(&o.explain, "explain", false, "after the decision, print the path that decided it")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
}

// validate checks the flags' values and combinations before anything is read.
func (o *checkOptions) validate(cmd *cobra.Command) error {
	if o.tenant != "" && o.user == "" {
		return usagef("--user is required")
	}
	if o.user != "" && !engine.ValidEmail(o.user) {
		return usagef("--user %q: not an e-mail address; write it as name@example.com", o.user)
	}
	return o.validateQuestion(cmd)
}

// validateQuestion checks every flag but --user.
func (o *checkOptions) validateQuestion(cmd *cobra.Command) error {
	flags := cmd.Flags()
	switch {
	case o.tenant == "":
		return usagef("--tenant is required")
	case flags.Changed("capability") == flags.Changed("action"):
		return usagef("give exactly one of --capability and --action")
	case o.output != "text" && o.output != "json":
		return usagef("-o %q: want text or json", o.output)
	}
	if flags.Changed("capability") {
		if o.capability == "" {
			return usagef("--capability must not be empty")
		}
		for _, name := range recordFlags {
			if flags.Changed(name) {
				return usagef("--%s describes a record: use it with --action, not --capability", name)
			}
		}
		return nil
	}
	if !slices.Contains(actionsInSpecOrder, accessv1.Action(o.action)) {
		return usagef("--action %q: want one of %s", o.action, joinActions(actionsInSpecOrder))
	}
	if o.typ == "" {
		return usagef("--action needs --type, the record's object type (e.g. deals)")
	}
	if !check.ValidType(o.typ) {
		return usagef("--type %q: an object type is a lowercase DNS label (e.g. deals, business-cards)", o.typ)
	}
	if o.owner != "" && !engine.ValidEmail(o.owner) {
		return usagef("--owner %q: not an e-mail address; write it as name@example.com", o.owner)
	}
	if o.visibility != "" && !slices.Contains(visibilities, accessv1.Visibility(o.visibility)) {
		return usagef("--visibility %q: want Public, Group, OwnerAndGroups or Private", o.visibility)
	}
	if flags.Changed("field") && o.field == "" {
		return usagef("--field must not be empty")
	}
	if o.owner == "" {
		for _, name := range []string{"visibility", "groups", "field"} {
			if flags.Changed(name) {
				return usagef("--%s describes a record: give its --owner too (without --owner, check answers the functional decision for the type)", name)
			}
		}
	}
	return nil
}

func (o *checkOptions) run(cmd *cobra.Command) error {
	now, err := o.check()
	if err != nil {
		return err
	}
	if err := o.validate(cmd); err != nil {
		return err
	}
	set, res, err := o.compute(cmd, now)
	if err != nil {
		return err
	}
	d, explanation := o.decide(set, res)
	if err := o.print(cmd.OutOrStdout(), d, explanation); err != nil {
		return err
	}
	if !d.Allowed {
		return &exitError{code: exitNo}
	}
	return nil
}

// decide asks the check package, with the user's EffectivePermission and
// what the engine knows of the record's owner. explanation is what --explain
// prints: Explain's path for actions, the decision's reasons otherwise,
// and for a user who holds nothing in the tenant, why.
func (o *checkOptions) decide(set *manifest.Set, res *engine.Result) (d check.Decision, explanation []string) {
	ep := res.Lookup(o.tenant, o.user)
	if o.cluster != nil {
		ep = lookup(o.cluster.EffectivePermissions, o.tenant, o.user)
	}
	return o.decideFor(set, res, ep)
}

// decideFor is decide with the user's EffectivePermission already found
// (nil when the user has none in the tenant).
func (o *checkOptions) decideFor(set *manifest.Set, res *engine.Result, ep *accessv1.EffectivePermission) (d check.Decision, explanation []string) {
	if ep == nil {
		d.Reasons = []string{fmt.Sprintf("no EffectivePermission for %s in tenant %s", o.user, o.tenant)}
		if o.explain {
			explanation = append(slices.Clone(d.Reasons), standing(set, res, o.tenant, o.user)...)
		}
		return d, explanation
	}
	if o.explain && !ep.Spec.Active {
		defer func() { explanation = append(explanation, standing(set, res, o.tenant, o.user)...) }()
	}
	p := check.Compile(&ep.Spec)
	if o.capability != "" {
		d = p.Capability(o.capability)
		return d, d.Reasons
	}
	action := accessv1.Action(o.action)
	if o.owner == "" { // the functional question (semantics.md §6)
		d = p.Functional(action, o.typ)
		if o.explain {
			explanation = p.ExplainFunctional(action, o.typ)
		}
		return d, explanation
	}
	rec := o.record()
	owner := res.RecordOwner(o.tenant, o.owner)
	rec.OwnerRole, rec.OwnerActive = owner.Role, owner.Active
	d = p.Action(action, rec)
	if o.explain {
		explanation = p.Explain(action, rec)
	}
	return d, explanation
}

// print writes the decision: its first line (or the JSON object) and, with
// --explain, the path that decided it.
func (o *checkOptions) print(w io.Writer, d check.Decision, explanation []string) error {
	if d.Access == "" {
		d.Access = accessv1.AccessNone
	}
	out := &printer{w: w}
	if o.output == "json" {
		reasons := d.Reasons
		if o.explain {
			reasons = explanation
		}
		if reasons == nil {
			reasons = []string{}
		}
		b, err := json.Marshal(decisionJSON{Allowed: d.Allowed, Access: d.Access, Reasons: reasons})
		if err != nil {
			return err
		}
		out.printf("%s\n", b)
		return out.err
	}
	out.printf("%s\n", map[bool]string{true: "allowed", false: "denied"}[d.Allowed])
	if o.explain {
		for _, r := range explanation {
			out.printf("%s\n", r)
		}
	}
	return out.err
}

// record is the record the flags describe (with --owner); its owner's role
// and membership are filled from the engine's result.
func (o *checkOptions) record() check.Record {
	var groups []string
	for _, g := range o.groups {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	return check.Record{
		Type:       o.typ,
		Owner:      o.owner,
		Visibility: accessv1.Visibility(o.visibility),
		Groups:     groups,
		Field:      o.field,
	}
}

func joinActions(as []accessv1.Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
