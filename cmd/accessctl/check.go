package main

import (
	"encoding/json"
	"io"
	"slices"

	"github.com/spf13/cobra"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// checkOptions are check's flags.
type checkOptions struct {
	inputs
	tenant, user string
	namespace    string
	capability   string
	action       string
	typ, owner   string
	visibility   string
	groups       []string
	field        string
	explain      bool
	output       string
}

// actionsInSpecOrder lists the actions as api.md does, for messages.
var actionsInSpecOrder = question.Actions

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
	f.StringVarP(&o.namespace, "namespace", "n", "", "the tenant by its namespace, instead of --tenant")
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
	return o.validateQuestion(cmd, true)
}

// validateQuestion checks the output format and the question, the user's
// flag withUser (check) or not (who-can), as the decision server checks its
// JSON: with question.Validate.
func (o *checkOptions) validateQuestion(cmd *cobra.Command, withUser bool) error {
	if o.output != "text" && o.output != "json" {
		return usagef("-o %q: want text or json", o.output)
	}
	q := o.asked()
	if q.Tenant == "" {
		q.Tenant = o.namespace // resolved once the inputs are read (resolveTenant)
	}
	err := q.Validate(withUser, question.Form{
		Name:  func(part string) string { return "--" + part },
		Given: cmd.Flags().Changed,
	})
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	return nil
}

// asked is the question the flags ask.
func (o *checkOptions) asked() question.Question {
	return question.Question{
		Tenant: o.tenant, User: o.user, Capability: o.capability,
		Action: accessv1.Action(o.action), Type: o.typ, Owner: o.owner,
		Visibility: accessv1.Visibility(o.visibility), Groups: o.groups, Field: o.field,
	}
}

func (o *checkOptions) run(cmd *cobra.Command) error {
	now, err := o.check(cmd)
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
	if o.tenant, err = resolveTenant(res, o.tenant, o.namespace); err != nil {
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
// (nil when the user has none in the tenant). The question is answered by
// question.Asker, as the decision server answers it; --explain adds, for a
// user who holds nothing, why (standing).
func (o *checkOptions) decideFor(set *manifest.Set, res *engine.Result, ep *accessv1.EffectivePermission) (d check.Decision, explanation []string) {
	q := o.asked()
	d, explanation = (&question.Asker{Owners: res, Explain: o.explain}).Decide(ep, &q)
	if o.explain && (ep == nil || !ep.Spec.Active) {
		explanation = slices.Concat(explanation, standing(set, res, o.tenant, o.user))
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

// resolveTenant is the tenant --tenant and -n/--namespace name: -n names
// it by its namespace, as kubectl users name where objects are. A
// namespace no Tenant claims, or a --tenant that is not -n's, is a usage
// error.
func resolveTenant(res *engine.Result, tenant, namespace string) (string, error) {
	if namespace == "" {
		return tenant, nil
	}
	name, ok := res.TenantOfNamespace(namespace)
	switch {
	case !ok:
		return "", usagef("-n/--namespace %q: no Tenant has that namespace", namespace)
	case tenant != "" && tenant != name:
		return "", usagef("--tenant %q and -n/--namespace %q name different tenants: namespace %s is Tenant %s's", tenant, namespace, namespace, name)
	}
	return name, nil
}

func joinActions(as []accessv1.Action) string { return question.JoinActions(as) }
