package anchorbench

import (
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// AC is access-controller: every EffectivePermission of the world rendered
// by the engine and compiled by pkg/check, by tenant and user, as an
// application holds them (the decision server keeps the same index).
type AC struct {
	Result *engine.Result
	perms  map[string]*check.Permissions
}

// NewAC compiles every EffectivePermission of a render: each alone
// (check.Compile) or, shared, with one check.Compiler per tenant prepared
// with the tenant's EffectivePermissions (what an application holding many
// users of one tenant does; its Permissions decide alike and share the
// tenant's role ids, entries and capability sets).
func NewAC(res *engine.Result, shared bool) *AC {
	a := &AC{Result: res, perms: make(map[string]*check.Permissions, len(res.EffectivePermissions))}
	eps := res.EffectivePermissions
	if !shared {
		for i := range eps {
			a.perms[acKey(eps[i].Spec.Tenant, eps[i].Spec.User)] = check.Compile(&eps[i].Spec)
		}
		return a
	}
	byTenant := map[string][]*accessv1.EffectivePermissionSpec{}
	var tenants []string
	for i := range eps {
		t := eps[i].Spec.Tenant
		if byTenant[t] == nil {
			tenants = append(tenants, t)
		}
		byTenant[t] = append(byTenant[t], &eps[i].Spec)
	}
	for _, t := range tenants {
		c := check.NewCompiler(byTenant[t]...)
		for _, spec := range byTenant[t] {
			a.perms[acKey(spec.Tenant, spec.User)] = c.Compile(spec)
		}
	}
	return a
}

func acKey(tenant, user string) string { return tenant + "/" + strings.ToLower(user) }

// acQuestion is a question as an application asks pkg/check: the key of the
// user's compiled EffectivePermission (and, for the decide-only
// measurement, the compiled EffectivePermission itself), then one call.
type acQuestion struct {
	key        string
	p          *check.Permissions
	kind       uint8 // 0 record, 1 functional, 2 capability
	action     accessv1.Action
	capability string
	rec        check.Record
}

func (a *AC) prepare(qs []Question) []acQuestion {
	out := make([]acQuestion, len(qs))
	for i := range qs {
		q := &qs[i]
		aq := &out[i]
		aq.key = acKey(q.Tenant, q.User)
		aq.p = a.perms[aq.key]
		aq.action, aq.capability, aq.rec = q.Action, q.Capability, q.Record
		switch q.Kind() {
		case "functional":
			aq.kind, aq.rec.Type = 1, q.Type
		case "capability":
			aq.kind = 2
		}
	}
	return out
}

// decide answers with the compiled EffectivePermission in hand; a user
// with none (not a member, deactivated, an invalid partner entry) is
// denied.
func decide(q *acQuestion, p *check.Permissions) bool {
	if p == nil {
		return false
	}
	switch q.kind {
	case 1:
		return p.Functional(q.action, q.rec.Type).Allowed
	case 2:
		return p.Capability(q.capability).Allowed
	}
	return p.Action(q.action, q.rec).Allowed
}

// ask looks the user's compiled EffectivePermission up, then decides.
func (a *AC) ask(q *acQuestion) bool { return decide(q, a.perms[q.key]) }
