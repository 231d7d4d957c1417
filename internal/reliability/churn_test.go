package reliability_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
)

// The churn world: clients and two partner agencies. Each client has a
// PartnerAccess naming one partner with two partner admins; some partner
// employees are staff in a few clients.
type world struct {
	prefix   string
	clients  []string
	partners []string
}

// holdFinalizer is another controller's finalizer: an object that carries it
// stays, terminating, after its delete, until a later mutation removes it.
const holdFinalizer = "reliability.test/hold"

var setNames = []string{"sales-rep", "sales-manager", "marketing", "support-agent", "read-only", "reporting", "data-admin", "user-admin", "missing-set"}

func buildWorld(t testing.TB, prefix string, clients, perClient int, seed int64) world {
	t.Helper()
	w := world{prefix: prefix}
	var objs []client.Object
	add := func(o fixture.Objects) { objs = append(objs, o.ClientObjects()...) }
	for i := range clients {
		w.clients = append(w.clients, fmt.Sprintf("%s-c%d", prefix, i))
	}
	for p := range 2 {
		name := fmt.Sprintf("%s-agency%d", prefix, p)
		w.partners = append(w.partners, name)
		o := fixture.Tenant(name, 20, 3, seed+100+int64(p))
		o.Tenants[0].Spec.PartnerProgram = &accessv1.PartnerProgram{Tier: accessv1.TierSolutionsPartner}
		for i := range o.Members {
			m := &o.Members[i]
			m.Spec.Employment = accessv1.EmploymentEmployee
			n := i + 1
			switch {
			case n == 3 || n == 4:
				m.Spec.PartnerSeat = true // the partner admins
				m.Spec.Active = nil
			case n >= 9 && n <= 14:
				// staff in three clients each, granted by the first admin
				for k := range 3 {
					c := w.clients[(n*3+k)%clients]
					if (n*3+k)%clients%2 != p {
						continue // only clients that declared this partner
					}
					m.Spec.ClientAccess = append(m.Spec.ClientAccess, accessv1.ClientAccess{
						Tenant: c, PermissionSets: []string{"read-only", "reporting"}, GrantedBy: fmt.Sprintf("u3@%s.example", name)})
				}
			}
		}
		add(o)
	}
	for i, c := range w.clients {
		o := fixture.Tenant(c, perClient, 6, seed+int64(i))
		partner := w.partners[i%2]
		o.PartnerAccesses = append(o.PartnerAccesses, accessv1.PartnerAccess{
			TypeMeta:   metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: "PartnerAccess"},
			ObjectMeta: metav1.ObjectMeta{Namespace: c, Name: partner},
			Spec: accessv1.PartnerAccessSpec{Partner: partner, Method: accessv1.MethodAccessLink, ApprovedBy: fmt.Sprintf("u1@%s.example", c),
				PartnerAdmins: []accessv1.PartnerAdmin{{Email: fmt.Sprintf("u3@%s.example", partner)}, {Email: fmt.Sprintf("u4@%s.example", partner), BillingAccess: true}}},
		})
		add(o)
	}
	ctx := context.Background()
	for _, ns := range append(slices.Clone(w.clients), w.partners...) {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatalf("creating %T %s/%s: %v", o, o.GetNamespace(), o.GetName(), err)
		}
	}
	return w
}

// mutator applies random mutations to the world, one at a time, and records
// the state after each in the history.
type mutator struct {
	w       world
	rng     *rand.Rand
	h       *history
	applied int
	kinds   map[string]int
	deleted map[string]client.Object // deleted objects, to create again
}

func newMutator(w world, seed uint64, h *history) *mutator {
	return &mutator{w: w, rng: rand.New(rand.NewPCG(seed, 7)), h: h, kinds: map[string]int{}, deleted: map[string]client.Object{}}
}

func (m *mutator) pick(xs []string) string { return xs[m.rng.IntN(len(xs))] }

// member picks a random member of a random tenant.
func (m *mutator) member(ctx context.Context, partners bool) (*accessv1.Member, error) {
	ns := m.pick(m.w.clients)
	if partners {
		ns = m.pick(m.w.partners)
	}
	var l accessv1.MemberList
	if err := k8s.List(ctx, &l, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	if len(l.Items) == 0 {
		return nil, fmt.Errorf("no members in %s", ns)
	}
	return &l.Items[m.rng.IntN(len(l.Items))], nil
}

// step applies one random mutation. It returns what it did.
func (m *mutator) step(ctx context.Context) (string, error) {
	switch op := m.rng.IntN(14); op {
	case 0, 1: // toggle a member's active flag
		mb, err := m.member(ctx, op == 1 && m.rng.IntN(2) == 0)
		if err != nil {
			return "", err
		}
		return "member.active", update(ctx, mb, func(x *accessv1.Member) bool { x.Spec.Active = ptr.To(!x.IsActive()); return true })
	case 2: // add or remove a permission set
		mb, err := m.member(ctx, false)
		if err != nil {
			return "", err
		}
		set := m.pick(setNames)
		return "member.permissionSets", update(ctx, mb, func(x *accessv1.Member) bool {
			if i := slices.Index(x.Spec.PermissionSets, set); i >= 0 {
				x.Spec.PermissionSets = slices.Delete(x.Spec.PermissionSets, i, i+1)
			} else {
				x.Spec.PermissionSets = append(x.Spec.PermissionSets, set)
			}
			return true
		})
	case 3: // a Standard member moves to another role (or a missing one)
		mb, err := m.member(ctx, false)
		if err != nil {
			return "", err
		}
		var roles accessv1.RoleList
		if err := k8s.List(ctx, &roles, client.InNamespace(mb.Namespace)); err != nil {
			return "", err
		}
		role := "ghost-role"
		if len(roles.Items) > 0 && m.rng.IntN(8) > 0 {
			role = roles.Items[m.rng.IntN(len(roles.Items))].Name
		}
		return "member.role", update(ctx, mb, func(x *accessv1.Member) bool {
			if x.Spec.AccountRole != accessv1.AccountRoleStandard {
				return false
			}
			x.Spec.Role = role
			return true
		})
	case 4: // demote or promote: Admin <-> SuperAdmin
		mb, err := m.member(ctx, false)
		if err != nil {
			return "", err
		}
		return "member.accountRole", update(ctx, mb, func(x *accessv1.Member) bool {
			switch x.Spec.AccountRole {
			case accessv1.AccountRoleAdmin:
				x.Spec.AccountRole = accessv1.AccountRoleSuperAdmin
			case accessv1.AccountRoleSuperAdmin:
				x.Spec.AccountRole, x.Spec.Role = accessv1.AccountRoleAdmin, ""
			default:
				return false
			}
			return true
		})
	case 5: // delete a member (held by a finalizer half the time), or create a deleted one again
		if len(m.deleted) > 0 && m.rng.IntN(2) == 0 {
			for key, o := range m.deleted {
				delete(m.deleted, key)
				return "create", recreate(ctx, o)
			}
		}
		mb, err := m.member(ctx, m.rng.IntN(4) == 0)
		if err != nil {
			return "", err
		}
		return "member.delete", m.remove(ctx, mb)
	case 6: // a terminating object lets go: its finalizer is removed
		var l accessv1.MemberList
		if err := k8s.List(ctx, &l); err != nil {
			return "", err
		}
		for _, mb := range l.Items {
			if mb.DeletionTimestamp != nil {
				return "finalizer.remove", ignoreGone(update(ctx, &mb, func(x *accessv1.Member) bool {
					return controllerutil.RemoveFinalizer(x, holdFinalizer)
				}))
			}
		}
		return "noop", nil
	case 7: // a role moves under another (cycles and missing parents included)
		ns := m.pick(m.w.clients)
		var roles accessv1.RoleList
		if err := k8s.List(ctx, &roles, client.InNamespace(ns)); err != nil || len(roles.Items) < 2 {
			return "", err
		}
		r := roles.Items[m.rng.IntN(len(roles.Items))]
		parent := roles.Items[m.rng.IntN(len(roles.Items))].Name
		if m.rng.IntN(6) == 0 {
			parent = "ghost-parent"
		}
		return "role.reportsTo", ignoreGone(update(ctx, &r, func(x *accessv1.Role) bool {
			if x.Name == accessv1.CEORole || x.Name == parent {
				return false
			}
			x.Spec.ReportsTo = parent
			return true
		}))
	case 8: // a PartnerAccess changes: billing, an admin removed or added, expiry, approver
		ns := m.pick(m.w.clients)
		var l accessv1.PartnerAccessList
		if err := k8s.List(ctx, &l, client.InNamespace(ns)); err != nil || len(l.Items) == 0 {
			return "noop", err
		}
		pa := l.Items[0]
		what := m.rng.IntN(4)
		return "partnerAccess.spec", update(ctx, &pa, func(x *accessv1.PartnerAccess) bool {
			switch what {
			case 0:
				if len(x.Spec.PartnerAdmins) > 0 {
					x.Spec.PartnerAdmins[0].BillingAccess = !x.Spec.PartnerAdmins[0].BillingAccess
				}
			case 1:
				if len(x.Spec.PartnerAdmins) > 1 {
					x.Spec.PartnerAdmins = x.Spec.PartnerAdmins[1:]
				} else {
					x.Spec.PartnerAdmins = append(x.Spec.PartnerAdmins, accessv1.PartnerAdmin{Email: fmt.Sprintf("u4@%s.example", x.Spec.Partner)})
				}
			case 2:
				if x.Spec.ExpiresAt == "" {
					x.Spec.ExpiresAt = "2020-01-01T00:00:00Z"
				} else {
					x.Spec.ExpiresAt = ""
				}
			default:
				if x.Spec.ApprovedBy == fmt.Sprintf("u1@%s.example", ns) {
					x.Spec.ApprovedBy = fmt.Sprintf("u5@%s.example", ns)
				} else {
					x.Spec.ApprovedBy = fmt.Sprintf("u1@%s.example", ns)
				}
			}
			return true
		})
	case 9: // a PartnerAccess is deleted (or created again)
		ns := m.pick(m.w.clients)
		var l accessv1.PartnerAccessList
		if err := k8s.List(ctx, &l, client.InNamespace(ns)); err != nil {
			return "", err
		}
		if len(l.Items) == 0 {
			key := "PartnerAccess/" + ns
			if o, ok := m.deleted[key]; ok {
				delete(m.deleted, key)
				return "create", recreate(ctx, o)
			}
			return "noop", nil
		}
		pa := l.Items[0]
		m.deleted["PartnerAccess/"+ns] = pa.DeepCopy()
		return "partnerAccess.delete", ignoreGone(k8s.Delete(ctx, &pa))
	case 10: // partner staff: a clientAccess entry removed or added
		mb, err := m.member(ctx, true)
		if err != nil {
			return "", err
		}
		client := m.pick(m.w.clients)
		return "member.clientAccess", update(ctx, mb, func(x *accessv1.Member) bool {
			if len(x.Spec.ClientAccess) > 0 && m.rng.IntN(2) == 0 {
				x.Spec.ClientAccess = x.Spec.ClientAccess[1:]
			} else {
				x.Spec.ClientAccess = append(x.Spec.ClientAccess, accessv1.ClientAccess{Tenant: client,
					PermissionSets: []string{m.pick(setNames)}, GrantedBy: fmt.Sprintf("u%d@%s.example", 3+m.rng.IntN(2), x.Namespace)})
			}
			return true
		})
	case 11: // a PermissionSet gains or loses an action on a type
		ns := m.pick(append(slices.Clone(m.w.clients), m.w.partners...))
		var l accessv1.PermissionSetList
		if err := k8s.List(ctx, &l, client.InNamespace(ns)); err != nil || len(l.Items) == 0 {
			return "noop", err
		}
		ps := l.Items[m.rng.IntN(len(l.Items))]
		typ := m.pick(fixture.ObjectTypes)
		action := []accessv1.Action{accessv1.ActionView, accessv1.ActionEdit, accessv1.ActionDelete, accessv1.ActionViewAll, accessv1.ActionModifyAll}[m.rng.IntN(5)]
		return "permissionSet.objects", ignoreGone(update(ctx, &ps, func(x *accessv1.PermissionSet) bool {
			if engine.IsBuiltin(x) {
				return false
			}
			for i, o := range x.Spec.Objects {
				if slices.Contains(o.Types, typ) && slices.Contains(o.Actions, action) && len(o.Actions) > 1 {
					x.Spec.Objects[i].Actions = slices.DeleteFunc(slices.Clone(o.Actions), func(a accessv1.Action) bool { return a == action })
					return true
				}
			}
			x.Spec.Objects = append(x.Spec.Objects, accessv1.ObjectActions{Types: []string{typ}, Actions: []accessv1.Action{action}})
			return true
		}))
	case 12: // the visibility policy: hierarchy toggled, a sharing rule dropped
		ns := m.pick(m.w.clients)
		vp := &accessv1.VisibilityPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: accessv1.DefaultPolicyName}}
		drop := m.rng.IntN(2) == 0
		return "visibilityPolicy.spec", ignoreGone(update(ctx, vp, func(x *accessv1.VisibilityPolicy) bool {
			if drop && len(x.Spec.SharingRules) > 0 {
				x.Spec.SharingRules = x.Spec.SharingRules[1:]
				return true
			}
			if x.Spec.Hierarchy == accessv1.HierarchyDisabled {
				x.Spec.Hierarchy = accessv1.HierarchyEnabled
			} else {
				x.Spec.Hierarchy = accessv1.HierarchyDisabled
			}
			return true
		}))
	default: // a partner employee loses or regains the partner seat
		mb, err := m.member(ctx, true)
		if err != nil {
			return "", err
		}
		return "member.partnerSeat", update(ctx, mb, func(x *accessv1.Member) bool { x.Spec.PartnerSeat = !x.Spec.PartnerSeat; return true })
	}
}

// recreate creates a deleted object again, as its author would apply it:
// without what the API server set on the old one.
func recreate(ctx context.Context, o client.Object) error {
	o.SetResourceVersion("")
	o.SetUID("")
	o.SetDeletionTimestamp(nil)
	o.SetFinalizers(nil)
	o.SetCreationTimestamp(metav1.Time{})
	o.SetManagedFields(nil)
	return ignoreGone(k8s.Create(ctx, o))
}

// remove deletes a member; half the time another controller's finalizer
// holds it, terminating, until a later mutation lets it go.
func (m *mutator) remove(ctx context.Context, mb *accessv1.Member) error {
	if m.rng.IntN(2) == 0 {
		if err := update(ctx, mb, func(x *accessv1.Member) bool { return controllerutil.AddFinalizer(x, holdFinalizer) }); err != nil {
			return ignoreGone(err)
		}
	} else {
		m.deleted["Member/"+mb.Namespace+"/"+mb.Name] = mb.DeepCopy()
	}
	return ignoreGone(k8s.Delete(ctx, mb))
}

// run applies n mutations, pausing pause between them; each mutation's
// state is announced before its write (so a version the controller writes
// in reaction to it is judged against it) and recorded after.
func (m *mutator) run(t testing.TB, ctx context.Context, n int, pause time.Duration, current *atomic.Int64) {
	t.Helper()
	for range n {
		current.Store(int64(m.h.len()))
		what, err := m.step(ctx)
		if err != nil && !apierrors.IsInvalid(err) && !apierrors.IsNotFound(err) {
			t.Logf("mutation %q: %v", what, err)
		}
		m.kinds[what]++
		m.h.add(readInputs(t))
		m.applied++
		time.Sleep(pause)
	}
}
