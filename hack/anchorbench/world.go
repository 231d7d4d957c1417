// Package anchorbench measures pkg/check against the anchors of issue 15 in
// the same run, in the same process: Casbin (two models) and OpenFGA's
// server (in-process, memory datastore, check cache off and on), all loaded
// with one generated world and asked the same questions, every verdict
// compared before anything is timed.
//
// The world, the question mix and the OpenFGA model are hack/decisionbench's
// (imported, not copied), which already holds access-controller's decision
// server and OpenFGA to identical verdicts over HTTP. This module adds
// partner staff to that world (see Build), the Casbin models, OpenFGA in
// process, and the per-check measurement.
//
// It is a module of its own so that Casbin and OpenFGA's server (and their
// dependencies) never reach the controller's go.mod.
package anchorbench

import (
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/hack/decisionbench"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Now is the time every render uses (no PartnerAccess of the world expires).
var Now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// Question is one question asked of every engine, with what an application
// knows of the record it names (empty for capability and functional
// questions).
type Question struct {
	decisionbench.Question
	Record check.Record
}

// Kind says which of the three kinds of question q is.
func (q *Question) Kind() string {
	switch {
	case q.Capability != "":
		return "capability"
	case q.Owner == "":
		return "functional"
	}
	return "record"
}

// Need is the record access an action needs beyond the functional action
// (semantics.md §2.5): "r" for view, export and viewAll, "rw" for edit,
// delete and modifyAll, "" for create and for functional and capability
// questions.
func (q *Question) Need() string {
	if q.Owner == "" || q.Capability != "" {
		return ""
	}
	switch q.Action {
	case accessv1.ActionView, accessv1.ActionExport, accessv1.ActionViewAll:
		return "r"
	case accessv1.ActionEdit, accessv1.ActionDelete, accessv1.ActionModifyAll:
		return "rw"
	}
	return ""
}

// Bench is one generated world and its questions.
type Bench struct {
	Users, Roles int
	World        *decisionbench.World
	Questions    []Question
	// Staff are the partner staff entries Build added: e-mail → the
	// client PermissionSet-like grant they hold (see staffGrant).
	Staff []StaffGrant
}

// Build generates the world of users members and roles roles (seed
// fixed), adds partner staff, and draws n questions.
//
// Partner staff (semantics.md §4), which decisionbench's world leaves out,
// are added here: agency employees p003, p005 and p007 get clientAccess to
// the client. p003 (seated, not a partner admin) is granted agency-staff by
// p001 (a valid partner admin with billing), p005 (an invalid partner admin
// entry: no seat) agency-auditor (viewAll on every type, reports and
// billing) by p002 (valid, no billing: billing is capped away), and p007
// agency-staff by p004 (a contractor: not a partner admin, so it grants
// nothing). Questions asked by partner people already come from the
// agency's whole staff (decisionbench.World.PartnerPeople); one in 64 of
// the client's questions is put to one of the three instead.
func Build(users, roles, n int, seed uint64) *Bench {
	w := decisionbench.Generate(users, roles, seed)
	b := &Bench{Users: users, Roles: roles, World: w}
	b.addStaff()
	staff := []string{"p003@agency.example", "p005@agency.example", "p007@agency.example"}
	for i, q := range w.Questions(n, seed) {
		// One question in 64 of the client's is asked by one of the staff
		// instead, so that every staff grant is asked about.
		if i%64 == 32 && q.Tenant == decisionbench.ClientTenant {
			q.User = staff[(i/64)%len(staff)]
		}
		bq := Question{Question: q}
		if q.Owner != "" && q.Capability == "" {
			bq.Record = w.Tenant(q.Tenant).Record(q.Type, q.Owner)
		}
		b.Questions = append(b.Questions, bq)
	}
	return b
}

// StaffGrant is one valid partner staff grant in the client: the person,
// the agency PermissionSet granted and what the person holds by it after
// the granting admin's ceiling (semantics.md §4).
type StaffGrant struct {
	Email, Set   string
	Objects      []accessv1.ObjectActions
	Capabilities []string
}

func (b *Bench) addStaff() {
	agency := b.World.Tenant(decisionbench.PartnerTenant)
	if len(agency.Members) < 8 {
		panic(fmt.Sprintf("anchorbench: the agency has %d members, want at least 8", len(agency.Members)))
	}
	agency.Sets = append(agency.Sets, accessv1.PermissionSet{
		TypeMeta:   agency.Sets[0].TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Name: "agency-auditor", Namespace: agency.Name()},
		Spec: accessv1.PermissionSetSpec{
			Objects:      []accessv1.ObjectActions{{Types: []string{accessv1.AllTypes}, Actions: []accessv1.Action{accessv1.ActionView, accessv1.ActionViewAll, accessv1.ActionExport}}},
			Capabilities: []string{"reports.access", "billing.access"},
		},
	})
	grant := func(i int, set, by string) {
		m := &agency.Members[i]
		m.Spec.ClientAccess = append(m.Spec.ClientAccess, accessv1.ClientAccess{Tenant: decisionbench.ClientTenant, PermissionSets: []string{set}, GrantedBy: by})
	}
	grant(3, "agency-staff", "p001@agency.example")
	grant(5, "agency-auditor", "p002@agency.example")
	grant(7, "agency-staff", "p004@agency.example")
	// What the valid grants give, by the ceiling of the granting admin's
	// built-in partner-admin set: every action; capabilities among the
	// nine, billing.access only when the admin has billingAccess.
	set := func(name string) *accessv1.PermissionSet {
		for i := range agency.Sets {
			if agency.Sets[i].Name == name {
				return &agency.Sets[i]
			}
		}
		panic("anchorbench: no agency PermissionSet " + name)
	}
	for _, g := range []struct {
		i       int
		set     string
		billing bool
	}{{3, "agency-staff", true}, {5, "agency-auditor", false}} {
		ps := set(g.set)
		sg := StaffGrant{Email: agency.Members[g.i].Spec.Email, Set: g.set, Objects: ps.Spec.Objects}
		for _, c := range ps.Spec.Capabilities {
			if slices.Contains(partnerAdminCaps, c) || (c == "billing.access" && g.billing) {
				sg.Capabilities = append(sg.Capabilities, c)
			}
		}
		b.Staff = append(b.Staff, sg)
	}
}

// partnerAdminCaps are the built-in partner-admin set's capabilities
// besides billing.access (semantics.md §4).
var partnerAdminCaps = []string{"account.settings", "multiAccount.manage", "partner.staff.manage", "payments.links", "reports.access", "roles.manage", "sales.paidFeatures", "service.paidFeatures", "users.manage"}

// Snapshot is the world as the engine reads it.
func (b *Bench) Snapshot() *engine.Snapshot {
	s := &engine.Snapshot{}
	for _, o := range b.World.Objects() {
		s.Add(o)
	}
	return s
}

// Render computes every EffectivePermission of the world.
func (b *Bench) Render() *engine.Result { return engine.Compute(b.Snapshot(), Now) }
