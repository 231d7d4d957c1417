package decisionbench

import (
	"fmt"
	"math/rand/v2"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// The two tenants of every world: a client and the partner agency that
// works in it.
const (
	ClientTenant  = "client"
	PartnerTenant = "agency"
)

// Types are the object types of the world's records.
var Types = []string{"companies", "contacts", "deals", "invoices", "tickets"}

// Capabilities are the capability names questions ask about: the
// well-known ones and the one custom name a PermissionSet grants. A custom
// name no input mentions is left out: a SuperAdmin holds it in
// access-controller, while in OpenFGA it is an object no tuple names.
var Capabilities = []string{
	"account.settings", "billing.access", "dashboards.share", "datacenter.migration", "multiAccount.manage",
	"partner.staff.manage", "payments.instruments", "payments.links", "reports.access", "roles.manage",
	"sales.paidFeatures", "scim.provisioning", "service.paidFeatures", "users.manage",
}

// World is one generated model, as access-controller's inputs: the client
// tenant (a role tree, members of every account role, peers, sharing
// rules, a PartnerAccess) and its partner agency. Records are not inputs:
// each member (and a few non-members) owns one record of every type, which
// questions name by owner and OpenFGA holds as objects.
type World struct {
	Tenants []*Tenant
}

// Tenant is one tenant's inputs.
type Tenant struct {
	Tenant    accessv1.Tenant
	Roles     []accessv1.Role // without the built-in ceo
	Sets      []accessv1.PermissionSet
	Members   []accessv1.Member
	Policy    *accessv1.VisibilityPolicy
	Access    []accessv1.PartnerAccess
	Strangers []string // owners of records who are not members

	byEmail  map[string]*accessv1.Member
	children map[string][]string // role → the roles reporting to it (ceo included)
	inRole   map[string][]string // role → its active Standard members' e-mails
	parent   map[string]string   // role → the role it reports to
}

// Name is the tenant's name (and namespace).
func (t *Tenant) Name() string { return t.Tenant.Name }

// Member returns the member with the e-mail, or nil.
func (t *Tenant) Member(email string) *accessv1.Member { return t.byEmail[email] }

// Owners are the e-mails records of the tenant are owned by: every member's
// and the strangers'.
func (t *Tenant) Owners() []string {
	out := make([]string, 0, len(t.Members)+len(t.Strangers))
	for i := range t.Members {
		out = append(out, t.Members[i].Spec.Email)
	}
	return append(out, t.Strangers...)
}

// Tenant returns the tenant named name, or nil.
func (w *World) Tenant(name string) *Tenant {
	for _, t := range w.Tenants {
		if t.Name() == name {
			return t
		}
	}
	return nil
}

// Generate builds a deterministic world whose client tenant has users
// members and roles custom Roles under ceo.
//
// The shape follows the engine's benchmark fixture (internal/fixture): a
// bushy role tree (ten departments under ceo, fewer in small worlds, up to ten children per role,
// depth up to six), more members in the leaves, two SuperAdmins, about 1%
// Admins, 1% Developers and 2% deactivated members, peers on about 10% of
// roles, and sharing rules (role to role, from one member, to one member).
// It stays inside what both servers express faithfully (docs/performance.md
// lists what is left out): mode RoleHierarchy with the hierarchy enabled, no
// exempt types, no department rules, no partner staff, an always-valid
// approval with no expiry.
func Generate(users, roles int, seed uint64) *World {
	if users < 20 || roles < 2 {
		panic(fmt.Sprintf("decisionbench: a world needs at least 20 users and 2 roles, not %d and %d", users, roles))
	}
	rng := rand.New(rand.NewPCG(seed, 0x6f70656e666761))
	client := clientTenant(rng, users, roles)
	partner := partnerTenant(max(8, users/100))
	client.Access = []accessv1.PartnerAccess{partnerAccess(client, partner)}
	return &World{Tenants: []*Tenant{client, partner}}
}

func newTenant(name string, partner bool) *Tenant {
	t := &Tenant{
		Tenant: accessv1.Tenant{
			TypeMeta:   metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: "Tenant"},
			ObjectMeta: metav1.ObjectMeta{Name: name},
		},
		byEmail:  map[string]*accessv1.Member{},
		children: map[string][]string{},
		inRole:   map[string][]string{},
		parent:   map[string]string{},
	}
	if partner {
		t.Tenant.Spec.PartnerProgram = &accessv1.PartnerProgram{Tier: accessv1.TierSolutionsPartner}
	}
	return t
}

func (t *Tenant) addRole(name, reportsTo string, peers bool) {
	t.Roles = append(t.Roles, accessv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: t.Name()},
		Spec:       accessv1.RoleSpec{ReportsTo: reportsTo, ShareDataWithPeers: peers},
	})
	t.children[reportsTo] = append(t.children[reportsTo], name)
	t.parent[name] = reportsTo
}

func (t *Tenant) addSet(name string, caps []string, objs ...accessv1.ObjectActions) {
	t.Sets = append(t.Sets, accessv1.PermissionSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: "PermissionSet"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: t.Name()},
		Spec:       accessv1.PermissionSetSpec{Objects: objs, Capabilities: caps},
	})
}

func (t *Tenant) addMember(name string, spec accessv1.MemberSpec) {
	t.Members = append(t.Members, accessv1.Member{
		TypeMeta:   metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: "Member"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: t.Name()},
		Spec:       spec,
	})
}

// index fills the look-ups questions are drawn from, once members exist.
func (t *Tenant) index() {
	for i := range t.Members {
		m := &t.Members[i]
		t.byEmail[m.Spec.Email] = m
		if m.IsActive() && m.AccountRoleOrDefault() == accessv1.AccountRoleStandard {
			t.inRole[m.Spec.Role] = append(t.inRole[m.Spec.Role], m.Spec.Email)
		}
	}
}

// below returns the roles strictly below role, in tree order.
func (t *Tenant) below(role string) []string {
	var out []string
	queue := slices.Clone(t.children[role])
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		out = append(out, r)
		queue = append(queue, t.children[r]...)
	}
	return out
}

func oa(types []string, actions ...accessv1.Action) accessv1.ObjectActions {
	return accessv1.ObjectActions{Types: types, Actions: actions}
}

const (
	view      = accessv1.ActionView
	create    = accessv1.ActionCreate
	edit      = accessv1.ActionEdit
	del       = accessv1.ActionDelete
	export    = accessv1.ActionExport
	viewAll   = accessv1.ActionViewAll
	modifyAll = accessv1.ActionModifyAll
)

func clientTenant(rng *rand.Rand, users, roles int) *Tenant {
	t := newTenant(ClientTenant, false)
	t.Tenant.Spec.DisplayName = "Client"

	// The role tree: departments under ceo (ten, or one per five roles in
	// small worlds, so that they have a tree too), then each role under a
	// random earlier role with room (depth < 6, fewer than ten children).
	depts := min(10, max(1, roles/5))
	depth := map[string]int{accessv1.CEORole: 0}
	var names []string
	for i := range roles {
		name := fmt.Sprintf("role-%04d", i)
		parent := accessv1.CEORole
		if i >= depts {
			for range 20 {
				p := names[rng.IntN(len(names))]
				if depth[p] < 6 && len(t.children[p]) < 10 {
					parent = p
					break
				}
			}
			if parent == accessv1.CEORole {
				parent = names[rng.IntN(depts)]
			}
		}
		depth[name] = depth[parent] + 1
		t.addRole(name, parent, rng.IntN(10) == 0)
		names = append(names, name)
	}
	// Members prefer leaves three to one.
	var weighted []string
	for _, r := range names {
		weighted = append(weighted, r)
		if len(t.children[r]) == 0 {
			weighted = append(weighted, r, r)
		}
	}

	all := []string{"*"}
	t.addSet("sales-rep", []string{"sales.paidFeatures"}, oa([]string{"deals", "contacts"}, view, create, edit), oa([]string{"companies"}, view))
	t.addSet("sales-manager", []string{"reports.access"}, oa([]string{"deals"}, view, create, edit, del, export), oa([]string{"contacts"}, view, create, edit, del), oa([]string{"companies"}, view, edit))
	t.addSet("support-agent", []string{"service.paidFeatures"}, oa([]string{"tickets"}, view, create, edit), oa([]string{"contacts"}, view))
	t.addSet("support-lead", []string{"reports.access"}, oa([]string{"tickets"}, view, create, edit, del, viewAll), oa([]string{"contacts"}, view, export))
	t.addSet("finance", []string{"billing.access", "payments.links"}, oa([]string{"invoices"}, view, create, edit, export), oa([]string{"companies"}, view))
	t.addSet("auditor", []string{"reports.access", "dashboards.share"}, oa(all, view, viewAll, export))
	t.addSet("operations", []string{"users.manage"}, oa(all, modifyAll))
	t.addSet("read-only", nil, oa(all, view))
	sets := make([]string, len(t.Sets))
	for i := range t.Sets {
		sets[i] = t.Sets[i].Name
	}
	someSets := func() []string {
		a := sets[rng.IntN(len(sets))]
		if rng.IntN(3) == 0 {
			if b := sets[rng.IntN(len(sets))]; b != a {
				return []string{a, b}
			}
		}
		return []string{a}
	}

	for i := range users {
		name := fmt.Sprintf("u%05d", i)
		spec := accessv1.MemberSpec{Email: name + "@client.example", AccountRole: accessv1.AccountRoleStandard}
		switch {
		case i == 0:
			spec.AccountRole, spec.Role = accessv1.AccountRoleSuperAdmin, accessv1.CEORole
		case i == 1:
			spec.AccountRole = accessv1.AccountRoleSuperAdmin
		case i == 2, i == 3:
			spec.Role, spec.PermissionSets = accessv1.CEORole, someSets()
		case i%100 == 4:
			spec.AccountRole = accessv1.AccountRoleAdmin
		case i%100 == 5:
			spec.AccountRole, spec.PermissionSets = accessv1.AccountRoleDeveloper, someSets()
		case i%50 == 6:
			spec.Role, spec.PermissionSets, spec.Active = weighted[rng.IntN(len(weighted))], someSets(), new(false)
		default:
			spec.Role, spec.PermissionSets = weighted[rng.IntN(len(weighted))], someSets()
		}
		t.addMember(name, spec)
	}
	t.index()
	for i := range max(2, users/100) {
		t.Strangers = append(t.Strangers, fmt.Sprintf("gone%03d@client.example", i))
	}

	// Sharing rules: most from a role to a role, some from one member's
	// records, some to one member; never both sides on one subject.
	t.Policy = &accessv1.VisibilityPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: "VisibilityPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: accessv1.DefaultPolicyName, Namespace: t.Name()},
		Spec:       accessv1.VisibilityPolicySpec{Mode: accessv1.ModeRoleHierarchy, Hierarchy: accessv1.HierarchyEnabled},
	}
	someStandard := func() string {
		for {
			if m := &t.Members[rng.IntN(len(t.Members))]; m.IsActive() && m.Spec.AccountRole == accessv1.AccountRoleStandard {
				return m.Spec.Email
			}
		}
	}
	for i := range max(6, roles/20) {
		r := accessv1.SharingRule{Name: fmt.Sprintf("rule-%03d", i), Access: accessv1.AccessRead}
		if rng.IntN(2) == 0 {
			r.Access = accessv1.AccessReadWrite
		}
		for _, j := range rng.Perm(len(Types))[:1+rng.IntN(3)] {
			r.ObjectTypes = append(r.ObjectTypes, Types[j])
		}
		slices.Sort(r.ObjectTypes)
		r.From.Role, r.To.Role = names[rng.IntN(len(names))], names[rng.IntN(len(names))]
		switch i % 6 {
		case 4:
			r.From = accessv1.Subject{User: someStandard()}
		case 5:
			r.To = accessv1.Subject{User: someStandard()}
		}
		t.Policy.Spec.SharingRules = append(t.Policy.Spec.SharingRules, r)
	}
	return t
}

// partnerTenant is the agency: a SuperAdmin and staff under one role, with
// seats, a contractor and a deactivated employee, so that partner admin
// entries are valid and invalid in every way the model expresses.
func partnerTenant(staff int) *Tenant {
	t := newTenant(PartnerTenant, true)
	t.Tenant.Spec.DisplayName = "Agency"
	t.addRole("staff", accessv1.CEORole, true)
	t.addSet("agency-staff", []string{"reports.access"}, oa([]string{"*"}, view, create, edit))
	for i := range staff {
		name := fmt.Sprintf("p%03d", i)
		spec := accessv1.MemberSpec{Email: name + "@agency.example", AccountRole: accessv1.AccountRoleStandard, Role: "staff",
			PermissionSets: []string{"agency-staff"}, Employment: accessv1.EmploymentEmployee}
		switch i {
		case 0:
			spec.AccountRole, spec.Role, spec.PermissionSets = accessv1.AccountRoleSuperAdmin, "", nil
		case 1, 2, 3:
			spec.PartnerSeat = true
		case 4:
			spec.PartnerSeat, spec.Employment = true, accessv1.EmploymentContractor
		case 6:
			spec.PartnerSeat, spec.Active = true, new(false)
		}
		t.addMember(name, spec)
	}
	t.index()
	t.Strangers = []string{"gone000@agency.example"}
	return t
}

// partnerAccess lets the agency into the client, approved by the client's
// SuperAdmin, with entries that are valid (seated active employees, one
// with billing) and invalid (a contractor, an employee without a seat, a
// deactivated one, an unknown e-mail).
func partnerAccess(client, partner *Tenant) accessv1.PartnerAccess {
	admins := []accessv1.PartnerAdmin{{Email: "p001@agency.example", BillingAccess: true}, {Email: "p002@agency.example"}}
	for _, e := range []string{"p004@agency.example", "p005@agency.example", "p006@agency.example", "nobody@agency.example"} {
		admins = append(admins, accessv1.PartnerAdmin{Email: e})
	}
	return accessv1.PartnerAccess{
		TypeMeta:   metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: "PartnerAccess"},
		ObjectMeta: metav1.ObjectMeta{Name: partner.Name(), Namespace: client.Name()},
		Spec: accessv1.PartnerAccessSpec{Partner: partner.Name(), Method: accessv1.MethodAccessLink,
			ApprovedBy: client.Members[0].Spec.Email, PartnerAdmins: admins},
	}
}

// PartnerPeople are the agency's people who may ask in the client: every
// staff member, and the unknown e-mail of an invalid entry.
func (w *World) PartnerPeople() []string {
	p := w.Tenant(PartnerTenant)
	out := make([]string, 0, len(p.Members)+1)
	for i := range p.Members {
		out = append(out, p.Members[i].Spec.Email)
	}
	return append(out, "nobody@agency.example")
}

// ValidPartnerAdmins counts the PartnerAccess entries of t that make a
// partner admin: an active Employee of the partner with a seat.
func (w *World) ValidPartnerAdmins(t *Tenant) int {
	n := 0
	for _, pa := range t.Access {
		partner := w.Tenant(pa.Spec.Partner)
		for _, e := range pa.Spec.PartnerAdmins {
			if m := partner.Member(e.Email); m != nil && m.IsActive() && m.Spec.PartnerSeat && m.EmploymentOrDefault() == accessv1.EmploymentEmployee {
				n++
			}
		}
	}
	return n
}

// ExpectedEPs is how many EffectivePermissions the controller writes in
// t's namespace: one per member and one per partner admin.
func (w *World) ExpectedEPs(t *Tenant) int { return len(t.Members) + w.ValidPartnerAdmins(t) }

// Objects are the world's inputs in creation order: namespaces, Tenants,
// then each tenant's Roles, PermissionSets, VisibilityPolicy, Members and
// PartnerAccess.
func (w *World) Objects() []client.Object {
	var out []client.Object
	for _, t := range w.Tenants {
		out = append(out, &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: t.Name()}})
	}
	for _, t := range w.Tenants {
		out = append(out, t.Tenant.DeepCopy())
	}
	for _, t := range w.Tenants {
		for i := range t.Roles {
			out = append(out, t.Roles[i].DeepCopy())
		}
		for i := range t.Sets {
			out = append(out, t.Sets[i].DeepCopy())
		}
		if t.Policy != nil {
			out = append(out, t.Policy.DeepCopy())
		}
		for i := range t.Members {
			out = append(out, t.Members[i].DeepCopy())
		}
		for i := range t.Access {
			out = append(out, t.Access[i].DeepCopy())
		}
	}
	return out
}
