package decisionbench

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/openfga/language/pkg/go/transformer"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

func TestGenerateIsDeterministic(t *testing.T) {
	js := func(seed uint64) string {
		w := Generate(200, 20, seed)
		b, err := json.Marshal(struct {
			O []any
			Q []Question
			L []ListQuestion
		}{anySlice(w.Objects()), w.Questions(300, seed), w.ListQuestions(30, seed)})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	first, again := js(1), js(1)
	if first != again {
		t.Error("the same seed gave two worlds")
	}
	if first == js(2) {
		t.Error("two seeds gave the same world")
	}
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i := range s {
		out[i] = s[i]
	}
	return out
}

// TestWorldShape holds the generator to what the model can express and the
// benchmark counts on, at each size.
func TestWorldShape(t *testing.T) {
	for _, size := range [][2]int{{20, 2}, {100, 10}, {1000, 100}} {
		t.Run(fmt.Sprintf("%d/%d", size[0], size[1]), func(t *testing.T) {
			w := Generate(size[0], size[1], 7)
			c, p := w.Tenant(ClientTenant), w.Tenant(PartnerTenant)
			if len(c.Members) != size[0] || len(c.Roles) != size[1] {
				t.Fatalf("client has %d members and %d roles, want %d and %d", len(c.Members), len(c.Roles), size[0], size[1])
			}
			if got := w.ValidPartnerAdmins(c); got != 2 {
				t.Errorf("%d valid partner admins, want 2 (p001 with billing, p002)", got)
			}
			if w.ExpectedEPs(p) != len(p.Members) {
				t.Errorf("the agency expects %d EPs for %d members", w.ExpectedEPs(p), len(p.Members))
			}
			for _, tn := range w.Tenants {
				roles := map[string]bool{accessv1.CEORole: true}
				for _, r := range tn.Roles {
					roles[r.Name] = true
				}
				for _, r := range tn.Roles {
					depth, at := 0, r.Name
					for at != accessv1.CEORole {
						if !roles[tn.parent[at]] || depth > 6 {
							t.Fatalf("%s: role %s does not reach ceo within depth 6 (at %s)", tn.Name(), r.Name, at)
						}
						at, depth = tn.parent[at], depth+1
					}
				}
				emails := map[string]bool{}
				for _, m := range tn.Members {
					if emails[m.Spec.Email] {
						t.Errorf("%s: e-mail %s twice", tn.Name(), m.Spec.Email)
					}
					emails[m.Spec.Email] = true
					switch m.AccountRoleOrDefault() {
					case accessv1.AccountRoleStandard:
						if !roles[m.Spec.Role] {
							t.Errorf("%s: Standard member %s has role %q, not a Role of the tenant", tn.Name(), m.Name, m.Spec.Role)
						}
					case accessv1.AccountRoleAdmin, accessv1.AccountRoleDeveloper:
						if m.Spec.Role != "" {
							t.Errorf("%s: %s member %s has a role", tn.Name(), m.Spec.AccountRole, m.Name)
						}
					}
				}
				if tn.Policy == nil {
					continue
				}
				for _, r := range tn.Policy.Spec.SharingRules {
					if (r.From.Role == "") == (r.From.User == "") || (r.To.Role == "") == (r.To.User == "") {
						t.Errorf("rule %s: each side must name exactly one of role and user: %+v", r.Name, r)
					}
					for _, s := range []accessv1.Subject{r.From, r.To} {
						if s.Role != "" && !roles[s.Role] {
							t.Errorf("rule %s names role %s, which does not exist", r.Name, s.Role)
						}
						if m := tn.Member(s.User); s.User != "" && (m == nil || m.AccountRoleOrDefault() != accessv1.AccountRoleStandard) {
							t.Errorf("rule %s names user %s, not a Standard member", r.Name, s.User)
						}
					}
				}
			}
		})
	}
}

// TestTuplesFitTheModel: every tuple written names a type and relation of
// the model that directly admits its user's type, and every question asks
// a relation of the model about an object some tuple made.
func TestTuplesFitTheModel(t *testing.T) {
	model, err := transformer.TransformDSLToProto(Model(Types))
	if err != nil {
		t.Fatalf("the model does not parse: %v\n%s", err, Model(Types))
	}
	admits := map[string]map[string]map[string]bool{} // type → relation → user type ("user", "role#member", ...)
	relations := map[string]map[string]bool{}
	for _, td := range model.GetTypeDefinitions() {
		admits[td.GetType()], relations[td.GetType()] = map[string]map[string]bool{}, map[string]bool{}
		for r := range td.GetRelations() {
			relations[td.GetType()][r] = true
		}
		for r, md := range td.GetMetadata().GetRelations() {
			admits[td.GetType()][r] = map[string]bool{}
			for _, ref := range md.GetDirectlyRelatedUserTypes() {
				u := ref.GetType()
				if rel := ref.GetRelation(); rel != "" {
					u += "#" + rel
				}
				admits[td.GetType()][r][u] = true
			}
		}
	}
	typeOf := func(s string) string {
		typ, rest, _ := strings.Cut(s, ":")
		if _, rel, ok := strings.Cut(rest, "#"); ok {
			return typ + "#" + rel
		}
		return typ
	}
	w := Generate(100, 10, 3)
	objects := map[string]bool{}
	for _, tu := range w.Tuples(Types) {
		ot := typeOf(tu.Object)
		if !admits[ot][tu.Relation][typeOf(tu.User)] {
			t.Errorf("tuple %s#%s@%s: the model's %s.%s does not admit %s", tu.Object, tu.Relation, tu.User, ot, tu.Relation, typeOf(tu.User))
		}
		objects[tu.Object] = true
	}
	for _, q := range w.Questions(2000, 3) {
		tu := q.Tuple()
		if !relations[typeOf(tu.Object)][tu.Relation] {
			t.Errorf("%s asks relation %s of %s, which the model lacks", q, tu.Relation, typeOf(tu.Object))
		}
		if !objects[tu.Object] {
			t.Errorf("%s asks about %s, which no tuple names", q, tu.Object)
		}
	}
}
