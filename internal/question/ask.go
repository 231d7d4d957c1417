package question

import (
	"fmt"
	"slices"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Owners says what a record owned by email in tenant needs for a decision:
// the owner's role and whether the owner is an active member.
// *engine.Result is the one to use (its RecordOwner): the owner is read as
// the engine reads the tenant, never guessed.
type Owners interface {
	RecordOwner(tenant, email string) engine.Owner
}

// Asker answers questions. The zero Asker knows no owner (every record
// owner has no role and is not active) and compiles each
// EffectivePermission it is given.
type Asker struct {
	// Owners are the record owners of the tenant asked about; nil knows
	// none.
	Owners Owners
	// Compile compiles an EffectivePermission; nil is check.Compile of its
	// spec. A server caches compiled EffectivePermissions here.
	Compile func(*accessv1.EffectivePermission) *check.Permissions
	// Explain adds, to each answer, the path that decided it in words
	// (pkg/check's Explain), as `accessctl check --explain` prints it.
	Explain bool
}

// Decide answers q for q.User, whose EffectivePermission in q.Tenant is ep
// (nil when the user has none there: denied). Without an owner an action
// question is functional (semantics.md §6); with one, the owner's role and
// membership come from Owners. explanation is, with Explain, the path that
// decided it (for a capability, the decision's reasons); Access is always
// None, Read or ReadWrite.
func (a *Asker) Decide(ep *accessv1.EffectivePermission, q *Question) (d check.Decision, explanation []string) {
	defer func() {
		if d.Access == "" {
			d.Access = accessv1.AccessNone
		}
	}()
	if ep == nil {
		d.Reasons = []string{fmt.Sprintf("no EffectivePermission for %s in tenant %s", q.User, q.Tenant)}
		if a.Explain {
			explanation = slices.Clone(d.Reasons)
		}
		return d, explanation
	}
	p := a.compile(ep)
	if q.Capability != "" {
		d = p.Capability(q.Capability)
		return d, d.Reasons
	}
	if q.Owner == "" { // the functional question (semantics.md §6)
		d = p.Functional(q.Action, q.Type)
		if a.Explain {
			explanation = p.ExplainFunctional(q.Action, q.Type)
		}
		return d, explanation
	}
	rec := q.Record(a.owner(q.Tenant, q.Owner))
	d = p.Action(q.Action, rec)
	if a.Explain {
		explanation = p.Explain(q.Action, rec)
	}
	return d, explanation
}

func (a *Asker) compile(ep *accessv1.EffectivePermission) *check.Permissions {
	if a.Compile != nil {
		return a.Compile(ep)
	}
	return check.Compile(&ep.Spec)
}

func (a *Asker) owner(tenant, email string) engine.Owner {
	if a.Owners == nil {
		return engine.Owner{}
	}
	return a.Owners.RecordOwner(tenant, email)
}

// WhoCan is who may: `accessctl who-can -o json`'s output, and the decision
// server's who-can answer.
type WhoCan struct {
	Tenant   string       `json:"tenant"`
	Question string       `json:"question"`
	Users    []WhoCanUser `json:"users"`
	// Of is how many users the tenant has (members and partner people).
	Of int `json:"of"`
}

// WhoCanUser is one user who may, with what allows it.
type WhoCanUser struct {
	User      string               `json:"user"`
	Namespace string               `json:"namespace"`
	Name      string               `json:"name"`
	Access    accessv1.AccessLevel `json:"access"`
	Reasons   []string             `json:"reasons"`
}

// WhoCan asks q (its User aside) of each of users, the EffectivePermissions
// of the tenant's users in the order to list them, and keeps those Decide
// allows, with the decision's reasons (with Explain, the whole path).
func (a *Asker) WhoCan(users []*accessv1.EffectivePermission, q *Question) WhoCan {
	out := WhoCan{Tenant: q.Tenant, Question: q.String(), Users: []WhoCanUser{}, Of: len(users)}
	for _, ep := range users {
		uq := *q
		uq.User = ep.Spec.User
		d, explanation := a.Decide(ep, &uq)
		if !d.Allowed {
			continue
		}
		reasons := d.Reasons
		if a.Explain {
			reasons = explanation
		}
		if reasons == nil {
			reasons = []string{}
		}
		out.Users = append(out.Users, WhoCanUser{User: ep.Spec.User, Namespace: ep.Namespace, Name: ep.Name, Access: d.Access, Reasons: reasons})
	}
	return out
}
