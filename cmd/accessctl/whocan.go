package main

import (
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/question"
)

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
			now, err := o.check(cmd)
			if err != nil {
				return err
			}
			if err := o.validateQuestion(cmd, false); err != nil {
				return err
			}
			_, res, err := o.compute(cmd, now)
			if err != nil {
				return err
			}
			if o.tenant, err = resolveTenant(res, o.tenant, o.namespace); err != nil {
				return err
			}
			users := tenantUsers(o.effectivePermissions(res), o.tenant)
			if _, ok := res.Tenant(o.tenant); !ok && len(users) == 0 {
				// As check denies an unknown tenant (semantics.md §6):
				// nobody may, exit 1; the note says why.
				(&printer{w: cmd.ErrOrStderr()}).printf("note: no Tenant %q here, so nobody may\n", o.tenant)
			}
			q := o.asked()
			out := (&question.Asker{Owners: res, Explain: o.explain}).WhoCan(users, &q)
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

// printWhoCan prints the users allowed; with --explain their reasons are
// check --explain's whole path, one line each.
func (o *checkOptions) printWhoCan(cmd *cobra.Command, out question.WhoCan) error {
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
