package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// whoCanJSON is who-can -o json's output.
type whoCanJSON struct {
	Tenant   string       `json:"tenant"`
	Question string       `json:"question"`
	Users    []whoCanUser `json:"users"`
	// Of is how many users the tenant has (members and partner people).
	Of int `json:"of"`
}

type whoCanUser struct {
	User      string               `json:"user"`
	Namespace string               `json:"namespace"`
	Name      string               `json:"name"`
	Access    accessv1.AccessLevel `json:"access"`
	Reasons   []string             `json:"reasons"`
}

func newWhoCanCmd() *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "who-can -f PATH... --tenant T (--capability NAME | --action A --type TYPE [--owner EMAIL] [--visibility V] [--groups g1,g2] [--field F])",
		Short: "List every user who may use a capability or act on a record, and why",
		Long: `who-can asks check's question of every user of the tenant — its members and
the partner people working in it — and lists those who are allowed, each with
the path that allows it (--explain: the whole path check --explain prints).
The record is described as for check. It exits 0 when someone may, 1 when
nobody may (in an unknown tenant too, with a note), 2 on a usage or input error.`,
		Example: `  # Who may edit a deal Jim owns?
  accessctl who-can -f testdata/scenarios/role-hierarchy --tenant northwind \
    --action edit --type deals --owner jim@northwind.example

  # Who holds billing access in acme, partner admins included?
  accessctl who-can -f testdata/scenarios/partners --tenant acme --capability billing.access`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := o.check()
			if err != nil {
				return err
			}
			if err := o.validateQuestion(cmd); err != nil {
				return err
			}
			set, res, err := o.compute(cmd, now)
			if err != nil {
				return err
			}
			users := tenantUsers(o.effectivePermissions(res), o.tenant)
			if _, ok := res.Tenant(o.tenant); !ok && len(users) == 0 {
				// As check denies an unknown tenant (semantics.md §6):
				// nobody may, exit 1; the note says why.
				(&printer{w: cmd.ErrOrStderr()}).printf("note: no Tenant %q here, so nobody may\n", o.tenant)
			}
			out := whoCanJSON{Tenant: o.tenant, Question: o.question(), Users: []whoCanUser{}, Of: len(users)}
			for _, ep := range users {
				o.user = ep.Spec.User // for --explain of a user who holds nothing
				d, explanation := o.decideFor(set, res, ep)
				if !d.Allowed {
					continue
				}
				if d.Access == "" {
					d.Access = accessv1.AccessNone
				}
				reasons := d.Reasons
				if o.explain {
					reasons = explanation
				}
				if reasons == nil {
					reasons = []string{}
				}
				out.Users = append(out.Users, whoCanUser{User: ep.Spec.User, Namespace: ep.Namespace, Name: ep.Name, Access: d.Access, Reasons: reasons})
			}
			if o.output == "json" {
				err = writeIndented(cmd.OutOrStdout(), out)
			} else {
				err = o.printWhoCan(cmd, out)
			}
			if err != nil {
				return err
			}
			if len(out.Users) == 0 {
				return &exitError{code: exitNo}
			}
			return nil
		},
	}
	o.addQuestionFlags(cmd)
	return cmd
}

// tenantUsers are the EffectivePermissions of the tenant's users, sorted by
// namespace and name as the engine sorts them.
func tenantUsers(eps []accessv1.EffectivePermission, tenant string) []*accessv1.EffectivePermission {
	var out []*accessv1.EffectivePermission
	for i := range eps {
		if ep := &eps[i]; ep.Spec.Tenant == tenant {
			out = append(out, ep)
		}
	}
	return out
}

// question is the question in words, e.g. "may edit deals owned by
// jim@northwind.example" or "hold capability billing.access".
func (o *checkOptions) question() string {
	if o.capability != "" {
		return "hold capability " + o.capability
	}
	var b strings.Builder
	fmt.Fprintf(&b, "may %s %s", o.action, o.typ)
	if o.owner != "" {
		fmt.Fprintf(&b, " owned by %s", o.owner)
	}
	if o.visibility != "" {
		fmt.Fprintf(&b, " with visibility %s", o.visibility)
	}
	if len(o.groups) > 0 {
		fmt.Fprintf(&b, " naming groups %s", strings.Join(o.groups, ","))
	}
	if o.field != "" {
		fmt.Fprintf(&b, " (field %s)", o.field)
	}
	return b.String()
}

// printWhoCan prints the users allowed; with --explain their reasons are
// check --explain's whole path, one line each.
func (o *checkOptions) printWhoCan(cmd *cobra.Command, out whoCanJSON) error {
	p := &printer{w: cmd.OutOrStdout()}
	p.printf("%d of %s of %s %s\n", len(out.Users), plural(out.Of, "user", "users"), out.Tenant, out.Question)
	if p.err != nil {
		return p.err
	}
	tw := tabwriter.NewWriter(p.w, 0, 8, 2, ' ', 0)
	tp := &printer{w: tw}
	for _, u := range out.Users {
		access := ""
		if o.capability == "" && o.owner != "" {
			access = string(u.Access) + "\t"
		}
		if o.explain {
			tp.printf("  %s\n", u.User)
			for _, line := range u.Reasons {
				tp.printf("      %s\n", line)
			}
			continue
		}
		tp.printf("  %s\t%svia %s\n", u.User, access, strings.Join(u.Reasons, "; "))
	}
	if tp.err != nil {
		return tp.err
	}
	if err := tw.Flush(); err != nil {
		return &outputError{err: err}
	}
	return nil
}
