package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
)

// reachJSON is reach -o json's output.
type reachJSON struct {
	Partner string        `json:"partner"`
	Staff   []staffReachJ `json:"staff"`
}

type staffReachJ struct {
	User      string         `json:"user"`
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Clients   []clientReachJ `json:"clients"`
	// Problems are the findings on the entries that name the person: its
	// clientAccess, and the partnerAdmins entries of clients' PartnerAccess.
	Problems []string `json:"problems,omitempty"`
}

// clientReachJ is one client a staff member reaches, or tries to.
type clientReachJ struct {
	Tenant string `json:"tenant"`
	// As is PartnerAdmin or PartnerStaff when reached.
	As accessv1.UserRole `json:"as,omitempty"`
	// Via is through whom: the PartnerAccess entry or the clientAccess
	// entry (and its granter) that gives it.
	Via []string `json:"via,omitempty"`
	// Capabilities and Objects are what it gives, from the person's
	// EffectivePermission in the client.
	Capabilities []string `json:"capabilities,omitempty"`
	Objects      []string `json:"objects,omitempty"`
	// Reason says why the entry grants nothing, when it does not.
	Reason string `json:"reason,omitempty"`
}

func newReachCmd() *cobra.Command {
	var in inputs
	var partner, namespace, user, output string
	cmd := &cobra.Command{
		Use:   "reach -f PATH... --tenant PARTNER [--user EMAIL] [-o text|json]",
		Short: "List the client tenants a partner agency's people reach, with what and through whom",
		Long: `reach is the partner agency's view of its clients (HubSpot's Client Access
Manager, seen from the agency): for each member of the partner tenant, every
client tenant the person reaches, as partner admin or partner staff, with the
capabilities and actions it gives and the entry that gives them (a client's
PartnerAccess naming the person, or the person's clientAccess and who granted
it); and every entry that grants nothing, with why (no active PartnerAccess,
expired, granted by someone who is not a partner admin there, ...).`,
		Example: `  # Every person of agency-x and their clients
  accessctl reach -f testdata/scenarios/partners --tenant agency-x

  # One person
  accessctl reach -f testdata/scenarios/partners --tenant agency-x --user frank@agency-x.example`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := in.check(cmd)
			if err != nil {
				return err
			}
			switch {
			case partner == "" && namespace == "":
				return usagef("--tenant is required: the partner tenant")
			case output != "text" && output != "json":
				return usagef("-o %q: want text or json", output)
			}
			set, res, err := in.compute(cmd, now)
			if err != nil {
				return err
			}
			if partner, err = resolveTenant(res, partner, namespace); err != nil {
				return err
			}
			sum, ok := res.Tenant(partner)
			if !ok {
				return usagef("--tenant %q: no such Tenant in the manifests", partner)
			}
			out := reachJSON{Partner: partner, Staff: []staffReachJ{}}
			for _, m := range partnerMembers(set, sum.Namespace) {
				if user != "" && !strings.EqualFold(m.Spec.Email, user) {
					continue
				}
				out.Staff = append(out.Staff, staffReach(set, res, partner, m))
			}
			if user != "" && len(out.Staff) == 0 {
				return usagef("--user %q: no member of %s has that e-mail", user, partner)
			}
			if output == "json" {
				return writeIndented(cmd.OutOrStdout(), out)
			}
			return printReach(cmd, out)
		},
	}
	in.addFlags(cmd)
	cmd.Flags().StringVar(&partner, "tenant", "", "the partner tenant (its Tenant's name)")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "the partner tenant by its namespace, instead of --tenant")
	cmd.Flags().StringVar(&user, "user", "", "only this member (e-mail, any case)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// partnerMembers are the Members in the partner tenant's namespace, sorted
// by name.
func partnerMembers(set *manifest.Set, ns string) []*accessv1.Member {
	var out []*accessv1.Member
	for _, m := range set.Snapshot.Members {
		if m.Namespace == ns {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b *accessv1.Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// staffReach is one member's reach: the engine's ClientReach entries, each
// completed from the person's EffectivePermission in the client.
func staffReach(set *manifest.Set, res *engine.Result, partner string, m *accessv1.Member) staffReachJ {
	s := staffReachJ{User: m.Spec.Email, Namespace: m.Namespace, Name: m.Name, Clients: []clientReachJ{}}
	for _, r := range res.Clients(m.Namespace, m.Name) {
		c := clientReachJ{Tenant: r.Tenant, As: r.As, Reason: r.Reason}
		if ep := res.Lookup(r.Tenant, m.Spec.Email); r.As != "" && ep != nil && ep.Spec.Partner == partner {
			c.Capabilities = ep.Spec.Capabilities
			c.Objects, c.Via = grantsOf(&ep.Spec)
		}
		s.Clients = append(s.Clients, c)
	}
	for _, f := range res.FindingsFor(engine.ObjectRef{Kind: "Member", Namespace: m.Namespace, Name: m.Name}) {
		if strings.HasPrefix(f.Field, "spec.clientAccess") {
			s.Problems = append(s.Problems, f.String())
		}
	}
	for i := range set.Snapshot.PartnerAccesses {
		pa := &set.Snapshot.PartnerAccesses[i]
		if pa.Spec.Partner != partner {
			continue
		}
		for j, e := range pa.Spec.PartnerAdmins {
			if !strings.EqualFold(e.Email, m.Spec.Email) {
				continue
			}
			entry := fmt.Sprintf("spec.partnerAdmins[%d]", j)
			for _, f := range res.FindingsFor(engine.ObjectRef{Kind: "PartnerAccess", Namespace: pa.Namespace, Name: pa.Name}) {
				if f.Field == entry || strings.HasPrefix(f.Field, entry+".") {
					s.Problems = append(s.Problems, f.String())
				}
			}
		}
	}
	return s
}

// grantsOf summarises what an EffectivePermission gives, "type: actions",
// and the sources that give it.
func grantsOf(spec *accessv1.EffectivePermissionSpec) (objects, via []string) {
	add := func(v string) {
		if !slices.Contains(via, v) {
			via = append(via, v)
		}
	}
	for _, s := range spec.CapabilitySources {
		add(s.Via)
	}
	for _, o := range spec.Objects {
		if len(o.Actions) == 0 {
			continue
		}
		objects = append(objects, fmt.Sprintf("%s: %s", o.Type, joinActions(o.Actions)))
		for _, s := range o.ActionSources {
			add(s.Via)
		}
	}
	return objects, via
}

func printReach(cmd *cobra.Command, out reachJSON) error {
	p := &printer{w: cmd.OutOrStdout()}
	p.printf("partner %s: %s\n", out.Partner, plural(len(out.Staff), "member", "members"))
	for _, s := range out.Staff {
		p.printf("  %s (%s/%s)\n", s.User, s.Namespace, s.Name)
		if len(s.Clients) == 0 {
			p.printf("    reaches no client\n")
		}
		for _, c := range s.Clients {
			if c.As == "" {
				p.printf("    %s: grants nothing: %s\n", c.Tenant, c.Reason)
				continue
			}
			p.printf("    %s as %s via %s\n", c.Tenant, c.As, strings.Join(c.Via, "; "))
			if len(c.Capabilities) > 0 {
				p.printf("      capabilities: %s\n", strings.Join(c.Capabilities, ", "))
			}
			for _, o := range c.Objects {
				p.printf("      %s\n", o)
			}
		}
		for _, f := range s.Problems {
			p.printf("    ! %s\n", f)
		}
	}
	return p.err
}
