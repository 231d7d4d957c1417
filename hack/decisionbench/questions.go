package decisionbench

import (
	"fmt"
	"math/rand/v2"
	"slices"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Question is one check both servers answer: a capability, a functional
// question (action and type, no owner) or a record question (action, type
// and the record's owner).
type Question struct {
	Tenant     string          `json:"tenant"`
	User       string          `json:"user"`
	Capability string          `json:"capability,omitempty"`
	Action     accessv1.Action `json:"action,omitempty"`
	Type       string          `json:"type,omitempty"`
	Owner      string          `json:"owner,omitempty"`
}

// String says the question in words, for failures.
func (q Question) String() string {
	switch {
	case q.Capability != "":
		return fmt.Sprintf("in %s, may %s use %s?", q.Tenant, q.User, q.Capability)
	case q.Owner == "":
		return fmt.Sprintf("in %s, may %s %s %s at all?", q.Tenant, q.User, q.Action, q.Type)
	}
	return fmt.Sprintf("in %s, may %s %s the %s record owned by %s?", q.Tenant, q.User, q.Action, q.Type, q.Owner)
}

// Tuple is the question as an OpenFGA check.
func (q Question) Tuple() Tuple {
	user := "user:" + q.User
	switch {
	case q.Capability != "":
		return Tuple{User: user, Relation: "holder", Object: "capability:" + q.Tenant + "/" + q.Capability}
	case q.Owner == "":
		return Tuple{User: user, Relation: fgaAction[q.Action], Object: "objecttype:" + q.Tenant + "/" + q.Type}
	}
	return Tuple{User: user, Relation: "can_" + fgaAction[q.Action], Object: RecordObject(q.Tenant, q.Type, q.Owner)}
}

// ListQuestion asks which records of a type a user may perform an action on:
// /v1/filter of access-controller, ListObjects of OpenFGA.
type ListQuestion struct {
	Tenant string          `json:"tenant"`
	User   string          `json:"user"`
	Action accessv1.Action `json:"action"`
	Type   string          `json:"type"`
}

func (q ListQuestion) String() string {
	return fmt.Sprintf("in %s, which %s records may %s %s?", q.Tenant, q.Type, q.User, q.Action)
}

// Record is what an application stores of the record of typ owned by
// owner, the attributes a Filter reads: the owner's role as the engine
// knows it (Standard members and SuperAdmins hold one; Admins, Developers
// and non-members none) and whether the owner is an active member.
func (t *Tenant) Record(typ, owner string) check.Record {
	rec := check.Record{Type: typ, Owner: owner}
	if m := t.Member(owner); m != nil {
		switch m.AccountRoleOrDefault() {
		case accessv1.AccountRoleStandard, accessv1.AccountRoleSuperAdmin:
			rec.OwnerRole = m.Spec.Role
		}
		rec.OwnerActive = m.IsActive()
	}
	return rec
}

var recordActions = []accessv1.Action{
	accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
	accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll,
}

// Questions draws n questions, deterministic for the seed: mostly the
// client's members asking about records (their own, their subordinates',
// their peers', shared ones, non-members', anyone's), some functional and
// capability questions, the agency's people asking in the client (valid
// and invalid partner admins), strangers, and questions in the agency.
func (w *World) Questions(n int, seed uint64) []Question {
	rng := rand.New(rand.NewPCG(seed, 0x7175657374))
	client, partner := w.Tenant(ClientTenant), w.Tenant(PartnerTenant)
	people := w.PartnerPeople()
	managers, ceo, targets := client.managers(), client.inRole[accessv1.CEORole], client.ruleTargets()
	out := make([]Question, 0, n)
	for len(out) < n {
		t := client
		var user string
		switch p := rng.IntN(100); {
		case p < 58:
			user = client.Members[rng.IntN(len(client.Members))].Spec.Email
		case p < 73 && len(managers) > 0:
			user = managers[rng.IntN(len(managers))]
		case p < 76 && len(targets) > 0:
			user = targets[rng.IntN(len(targets))]
		case p < 78 && len(ceo) > 0:
			user = ceo[rng.IntN(len(ceo))]
		case p < 86:
			user = people[rng.IntN(len(people))]
		case p < 88:
			user = fmt.Sprintf("stranger%d@client.example", rng.IntN(100))
		default:
			t = partner
			user = partner.Members[rng.IntN(len(partner.Members))].Spec.Email
			if rng.IntN(4) == 0 {
				user = client.Members[rng.IntN(len(client.Members))].Spec.Email
			}
		}
		q := Question{Tenant: t.Name(), User: user}
		typ := Types[rng.IntN(len(Types))]
		// Mostly a type the user may view, so that record paths decide.
		if viewable := t.viewable(user); len(viewable) > 0 && rng.IntN(4) != 0 {
			typ = viewable[rng.IntN(len(viewable))]
		}
		switch k := rng.IntN(100); {
		case k < 20:
			q.Capability = Capabilities[rng.IntN(len(Capabilities))]
		case k < 35:
			q.Action, q.Type = recordActions[rng.IntN(len(recordActions))], typ
		default:
			q.Action, q.Type = recordActions[rng.IntN(len(recordActions))], typ
			var ruleTypes []string
			q.Owner, ruleTypes = t.ownerFor(rng, user)
			if len(ruleTypes) > 0 && rng.IntN(2) == 0 {
				q.Type = ruleTypes[rng.IntN(len(ruleTypes))]
			}
		}
		out = append(out, q)
	}
	return out
}

// managers are the e-mails of active Standard members whose role has roles
// below it.
func (t *Tenant) managers() []string {
	var out []string
	for i := range t.Members {
		m := &t.Members[i]
		if m.IsActive() && m.AccountRoleOrDefault() == accessv1.AccountRoleStandard && len(t.children[m.Spec.Role]) > 0 {
			out = append(out, m.Spec.Email)
		}
	}
	return out
}

// viewable are the types a member's PermissionSets name (any action implies
// view but create; near enough to steer questions), sorted.
func (t *Tenant) viewable(email string) []string {
	m := t.Member(email)
	if m == nil {
		return nil
	}
	var out []string
	for _, name := range m.Spec.PermissionSets {
		for i := range t.Sets {
			if t.Sets[i].Name != name {
				continue
			}
			for _, o := range t.Sets[i].Spec.Objects {
				out = append(out, expandTypes(o.Types, Types)...)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ruleTargets are the e-mails of the viewers sharing rules name: members
// of their to roles, and their to users.
func (t *Tenant) ruleTargets() []string {
	if t.Policy == nil {
		return nil
	}
	var out []string
	for _, r := range t.Policy.Spec.SharingRules {
		out = append(out, t.inRole[r.To.Role]...)
		if r.To.User != "" {
			out = append(out, r.To.User)
		}
	}
	return out
}

// ownerFor picks a record owner related to the viewer often enough that
// every path of the model is exercised, allowed and denied; for an owner a
// sharing rule relates to the viewer, it also returns the rule's types.
func (t *Tenant) ownerFor(rng *rand.Rand, viewer string) (string, []string) {
	pick := func(es []string) string {
		if len(es) == 0 {
			return ""
		}
		return es[rng.IntN(len(es))]
	}
	var owner string
	var types []string
	m := t.Member(viewer)
	role := ""
	if m != nil {
		role = m.Spec.Role
	}
	switch p := rng.IntN(100); {
	case p < 10 && m != nil:
		owner = viewer
	case p < 35 && role != "":
		owner = pick(t.inRole[pick(t.below(role))])
	case p < 45 && role != "":
		owner = pick(t.inRole[role])
	case p < 60 && m != nil && t.Policy != nil:
		var rules []accessv1.SharingRule
		for _, r := range t.Policy.Spec.SharingRules {
			if (role != "" && r.To.Role == role) || r.To.User == viewer {
				rules = append(rules, r)
			}
		}
		if len(rules) > 0 {
			r := rules[rng.IntN(len(rules))]
			owner, types = r.From.User, r.ObjectTypes
			if r.From.Role != "" {
				owner = pick(t.inRole[r.From.Role])
			}
		}
	case p < 67:
		owner = pick(t.Strangers)
	}
	if owner == "" {
		owners := t.Owners()
		owner, types = owners[rng.IntN(len(owners))], nil
	}
	return owner, types
}

// ListQuestions draws n list questions about the client's types, from
// members of every kind (managers high in the tree and ceo members
// included) and the agency's people.
func (w *World) ListQuestions(n int, seed uint64) []ListQuestion {
	rng := rand.New(rand.NewPCG(seed, 0x6c697374))
	client := w.Tenant(ClientTenant)
	people := w.PartnerPeople()
	// Half the questions come from members of roles with subordinates, the
	// lists that are long in OpenFGA.
	managers := client.managers()
	out := make([]ListQuestion, 0, n)
	for len(out) < n {
		var user string
		switch p := rng.IntN(100); {
		case p < 45 && len(managers) > 0:
			user = managers[rng.IntN(len(managers))]
		case p < 92:
			user = client.Members[rng.IntN(len(client.Members))].Spec.Email
		default:
			user = people[rng.IntN(len(people))]
		}
		a := accessv1.ActionView
		if rng.IntN(4) == 0 {
			a = accessv1.ActionEdit
		}
		out = append(out, ListQuestion{Tenant: client.Name(), User: user, Action: a, Type: Types[rng.IntN(len(Types))]})
	}
	return out
}

// Allowed applies a Filter to every record of the question's type in its
// tenant and returns the OpenFGA objects of those it allows, sorted.
func (w *World) Allowed(q ListQuestion, f check.Filter) []string {
	t := w.Tenant(q.Tenant)
	var out []string
	for _, owner := range t.Owners() {
		if ok, _ := f.Matches(t.Record(q.Type, owner)); ok {
			out = append(out, RecordObject(q.Tenant, q.Type, owner))
		}
	}
	slices.Sort(out)
	return out
}
