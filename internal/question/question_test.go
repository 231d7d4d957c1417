package question_test

import (
	"slices"
	"strings"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/internal/question/questiontest"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// flagForm is accessctl's: flag names, given when set (even empty).
func flagForm(given ...string) question.Form {
	return question.Form{Name: func(p string) string { return "--" + p }, Given: func(p string) bool { return slices.Contains(given, p) }}
}

func TestValidate(t *testing.T) {
	const u = "ann@acme.example"
	for _, tc := range []struct {
		q      question.Question
		noUser bool // a who-can question
		want   string
	}{
		{q: question.Question{}, want: "tenant is required"},
		{q: question.Question{Tenant: "acme"}, want: "user is required"},
		{q: question.Question{Tenant: "acme", User: "ann"}, want: `user "ann": not an e-mail address; write it as name@example.com`},
		{q: question.Question{Tenant: "acme", User: u}, want: "give exactly one of capability and action"},
		{q: question.Question{Tenant: "acme", User: u, Capability: "x", Action: "view"}, want: "give exactly one of capability and action"},
		{q: question.Question{Tenant: "acme", User: u, Capability: "x", Owner: u}, want: "owner describes a record: use it with action, not capability"},
		{q: question.Question{Tenant: "acme", User: u, Capability: "x", Groups: []string{"a"}}, want: "groups describes a record: use it with action, not capability"},
		{q: question.Question{Tenant: "acme", User: u, Action: "fly"}, want: `action "fly": want one of view, create, edit, delete, export, viewAll, modifyAll`},
		{q: question.Question{Tenant: "acme", User: u, Action: "view"}, want: "action needs type, the record's object type (e.g. deals)"},
		{q: question.Question{Tenant: "acme", User: u, Action: "view", Type: "Deals"}, want: `type "Deals": an object type is a lowercase DNS label (e.g. deals, business-cards)`},
		{q: question.Question{Tenant: "acme", User: u, Action: "view", Type: "*"}, want: `type "*": an object type is a lowercase DNS label (e.g. deals, business-cards)`},
		{q: question.Question{Tenant: "acme", User: u, Action: "view", Type: "deals", Owner: "jim"}, want: `owner "jim": not an e-mail address; write it as name@example.com`},
		{q: question.Question{Tenant: "acme", User: u, Action: "view", Type: "deals", Owner: u, Visibility: "Secret"}, want: `visibility "Secret": want Public, Group, OwnerAndGroups or Private`},
		{q: question.Question{Tenant: "acme", User: u, Action: "view", Type: "deals", Visibility: "Public"}, want: "visibility describes a record: give its owner too (without owner, check answers the functional decision for the type)"},
		{q: question.Question{Tenant: "acme", User: u, Action: "view", Type: "deals", Groups: []string{"a"}}, want: "groups describes a record: give its owner too (without owner, check answers the functional decision for the type)"},
		{q: question.Question{Tenant: "acme", User: u, Action: "view", Type: "deals", Field: "salary"}, want: "field describes a record: give its owner too (without owner, check answers the functional decision for the type)"},
		{q: question.Question{Tenant: "acme", User: u, Capability: "reports.access"}},
		{q: question.Question{Tenant: "acme", User: strings.ToUpper(u), Action: "create", Type: "deals"}},
		{q: question.Question{Tenant: "acme", User: u, Action: "edit", Type: "deals", Owner: u, Visibility: "Private", Groups: []string{"a"}, Field: "salary"}},
		// who-can asks every user: its question names none, and a user is not looked at.
		{q: question.Question{Tenant: "acme", Capability: "x"}, noUser: true},
		{q: question.Question{Tenant: "acme", User: "ann", Capability: "x"}, noUser: true},
		{q: question.Question{Capability: "x"}, noUser: true, want: "tenant is required"},
	} {
		q := tc.q
		got := ""
		if err := q.Validate(!tc.noUser, question.JSONForm(&q)); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%+v: got %q, want %q", q, got, tc.want)
		}
		// accessctl's words are the same with flag names.
		var given []string
		jf := question.JSONForm(&q)
		for _, p := range []string{"capability", "action", "type", "owner", "visibility", "groups", "field"} {
			if jf.Given(p) {
				given = append(given, p)
			}
		}
		got = ""
		if err := q.Validate(!tc.noUser, flagForm(given...)); err != nil {
			got = err.Error()
		}
		want := strings.ReplaceAll(tc.want, "object type", "object\x00")
		for _, p := range []string{"tenant", "user", "capability", "action", "type", "owner", "visibility", "groups", "field"} {
			want = replaceWord(want, p, "--"+p)
		}
		want = strings.ReplaceAll(want, "object\x00", "object type")
		if got != want {
			t.Errorf("flags %+v: got %q, want %q", q, got, want)
		}
	}
	// A flag given empty is an error of its own; a JSON field given empty is
	// a field not given.
	q := question.Question{Tenant: "acme", User: u}
	if err := q.Validate(true, flagForm("capability")); err == nil || err.Error() != "--capability must not be empty" {
		t.Errorf("--capability '': %v", err)
	}
	q = question.Question{Tenant: "acme", User: u, Action: "view", Type: "deals", Owner: u}
	if err := q.Validate(true, flagForm("action", "type", "owner", "field")); err == nil || err.Error() != "--field must not be empty" {
		t.Errorf("--field '': %v", err)
	}
	if err := q.Validate(true, question.JSONForm(&q)); err != nil {
		t.Errorf("field \"\": %v", err)
	}
}

// replaceWord replaces a part's name where a message names it: as a word of
// its own (not inside another word, a quoted value or an example).
func replaceWord(s, word, with string) string {
	fields := strings.Split(s, " ")
	for i, f := range fields {
		trimmed := strings.TrimRight(f, ",:")
		if trimmed == word || trimmed == "("+word {
			fields[i] = strings.Replace(f, word, with, 1)
		}
	}
	return strings.Join(fields, " ")
}

// TestDecideAgreesWithCheck: for every scenario, tenant, user and question,
// Decide gives exactly what pkg/check gives on the user's rendered
// EffectivePermission, the owner read from the engine (semantics.md §6: no
// owner is the functional question; an unknown tenant or user is denied);
// and every checks.tsv row is answered as it says.
func TestDecideAgreesWithCheck(t *testing.T) {
	asked := 0
	for _, s := range questiontest.Scenarios(t) {
		res := s.Result
		a := &question.Asker{Owners: res}
		for _, tenant := range s.Tenants() {
			qs := s.Questions(tenant)
			for _, user := range s.Users(tenant) {
				ep := res.Lookup(tenant, user)
				for _, q := range qs {
					q.User = user
					got, _ := a.Decide(ep, &q)
					want := direct(res, ep, &q)
					if got.Allowed != want.Allowed || got.Access != want.Access || !slices.Equal(got.Reasons, want.Reasons) {
						t.Fatalf("%s: %+v: Decide %+v, pkg/check %+v", s.Name, q, got, want)
					}
					asked++
				}
			}
		}
		for _, r := range s.Rows {
			q := r.Question
			if d, _ := a.Decide(res.Lookup(q.Tenant, q.User), &q); d.Allowed != r.Allow {
				t.Errorf("%s checks.tsv line %d: %+v allowed %v, want %v (%v)", s.Name, r.Line, q, d.Allowed, r.Allow, d.Reasons)
			}
		}
	}
	t.Logf("%d decisions agree", asked)
}

// direct is the question answered with pkg/check alone, as
// docs/effectivepermission.md says an application asks it.
func direct(res *engine.Result, ep *accessv1.EffectivePermission, q *question.Question) check.Decision {
	if ep == nil {
		return check.Decision{Access: accessv1.AccessNone, Reasons: []string{"no EffectivePermission for " + q.User + " in tenant " + q.Tenant}}
	}
	p := check.Compile(&ep.Spec)
	switch {
	case q.Capability != "":
		return p.Capability(q.Capability)
	case q.Owner == "":
		return p.Functional(q.Action, q.Type)
	}
	o := res.RecordOwner(q.Tenant, q.Owner)
	return p.Action(q.Action, check.Record{Type: q.Type, Owner: q.Owner, OwnerRole: o.Role, OwnerActive: o.Active,
		Visibility: q.Visibility, Groups: q.Groups, Field: q.Field})
}

// TestWhoCanIsDecide: WhoCan lists, in the order given, exactly the users
// Decide allows, with Decide's access and reasons (the whole path with
// Explain), and counts them all.
func TestWhoCanIsDecide(t *testing.T) {
	for _, s := range questiontest.Scenarios(t) {
		for _, tenant := range s.Tenants() {
			var users []*accessv1.EffectivePermission
			for i := range s.Result.EffectivePermissions {
				if ep := &s.Result.EffectivePermissions[i]; ep.Spec.Tenant == tenant {
					users = append(users, ep)
				}
			}
			for _, explain := range []bool{false, true} {
				a := &question.Asker{Owners: s.Result, Explain: explain}
				for _, q := range s.Questions(tenant) {
					got := a.WhoCan(users, &q)
					if got.Tenant != tenant || got.Question != q.String() || got.Of != len(users) {
						t.Fatalf("%+v: %+v", q, got)
					}
					var want []question.WhoCanUser
					for _, ep := range users {
						uq := q
						uq.User = ep.Spec.User
						d, explanation := a.Decide(ep, &uq)
						if !d.Allowed {
							continue
						}
						reasons := d.Reasons
						if explain {
							reasons = explanation
						}
						want = append(want, question.WhoCanUser{User: ep.Spec.User, Namespace: ep.Namespace, Name: ep.Name, Access: d.Access, Reasons: reasons})
					}
					if !slices.EqualFunc(got.Users, want, func(a, b question.WhoCanUser) bool {
						return a.User == b.User && a.Namespace == b.Namespace && a.Name == b.Name && a.Access == b.Access && slices.Equal(a.Reasons, b.Reasons)
					}) {
						t.Fatalf("%s %+v explain=%v:\n got %+v\nwant %+v", s.Name, q, explain, got.Users, want)
					}
					if got.Users == nil {
						t.Fatalf("%+v: users is nil, want [] (JSON: an empty list)", q)
					}
				}
			}
		}
	}
}

// owners counts the owner lookups it answers.
type owners struct {
	asked []string
	owner engine.Owner
}

func (o *owners) RecordOwner(tenant, email string) engine.Owner {
	o.asked = append(o.asked, tenant+"/"+email)
	return o.owner
}

// TestDecideReadsOwnerAndCompile: only a record question reads the owner,
// once, from Owners (never guessed from the question), and Compile is the
// one given.
func TestDecideReadsOwnerAndCompile(t *testing.T) {
	ep := &accessv1.EffectivePermission{Spec: accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "ann@acme.example", Active: true, Role: "boss", Capabilities: []string{"reports.access"},
		Subordinates: []accessv1.RoleEdge{{Role: "sales", ReportsTo: "boss"}},
		Objects: []accessv1.ObjectPermission{{Type: "deals", Actions: []accessv1.Action{"edit", "view"},
			Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeHierarchy, Access: accessv1.AccessReadWrite, Via: []string{"hierarchy"}}}}},
	}}
	o := &owners{}
	compiled := 0
	a := &question.Asker{Owners: o, Compile: func(ep *accessv1.EffectivePermission) *check.Permissions {
		compiled++
		return check.Compile(&ep.Spec)
	}}
	for _, q := range []question.Question{
		{Tenant: "acme", User: "ann@acme.example", Capability: "reports.access"},
		{Tenant: "acme", User: "ann@acme.example", Action: "edit", Type: "deals"},
	} {
		if d, _ := a.Decide(ep, &q); !d.Allowed || d.Access != accessv1.AccessNone {
			t.Errorf("%+v: %+v", q, d)
		}
	}
	if len(o.asked) != 0 || compiled != 2 {
		t.Errorf("capability and functional questions: owners asked %v, compiled %d; want none and 2", o.asked, compiled)
	}
	q := question.Question{Tenant: "acme", User: "ann@acme.example", Action: "edit", Type: "deals", Owner: "jim@acme.example"}
	if d, _ := a.Decide(ep, &q); d.Allowed {
		t.Errorf("an owner the engine does not know: %+v, want denied", d)
	}
	o.owner = engine.Owner{Role: "sales", Active: true}
	if d, _ := a.Decide(ep, &q); !d.Allowed || d.Access != accessv1.AccessReadWrite {
		t.Errorf("an active owner below: %+v, want allowed ReadWrite", d)
	}
	if want := []string{"acme/jim@acme.example", "acme/jim@acme.example"}; !slices.Equal(o.asked, want) {
		t.Errorf("owners asked %v, want %v", o.asked, want)
	}
	// No Owners: every owner is nobody.
	if d, _ := (&question.Asker{}).Decide(ep, &q); d.Allowed {
		t.Errorf("no Owners: %+v, want denied", d)
	}
}

func TestNoEffectivePermission(t *testing.T) {
	q := question.Question{Tenant: "acme", User: "Ann@acme.example", Capability: "x"}
	d, explanation := (&question.Asker{Explain: true}).Decide(nil, &q)
	want := []string{"no EffectivePermission for Ann@acme.example in tenant acme"}
	if d.Allowed || d.Access != accessv1.AccessNone || !slices.Equal(d.Reasons, want) || !slices.Equal(explanation, want) {
		t.Errorf("got %+v, %v; want denied, None, %v", d, explanation, want)
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		q    question.Question
		want string
	}{
		{question.Question{Capability: "billing.access"}, "hold capability billing.access"},
		{question.Question{Action: "delete", Type: "deals"}, "may delete deals"},
		{question.Question{Action: "view", Type: "reports", Owner: "s1@meishi.example", Visibility: "OwnerAndGroups", Groups: []string{"engineering", " sales"}, Field: "email"},
			"may view reports owned by s1@meishi.example with visibility OwnerAndGroups naming groups engineering, sales (field email)"},
	} {
		if got := tc.q.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.q, got, tc.want)
		}
	}
}
