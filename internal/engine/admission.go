package engine

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Operation is what an admission request does to an object.
type Operation string

// The operations a validating webhook sees.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
	Delete Operation = "DELETE"
)

// Requester says who sends an admission request, as far as the invariants
// care.
type Requester int

const (
	// Someone is any user or service account but the ones below.
	Someone Requester = iota
	// TheController is access-controller's own service account: it alone
	// writes EffectivePermissions and keeps the built-ins.
	TheController
	// TheCluster is Kubernetes cleaning up: the garbage collector and the
	// namespace controller. They may delete EffectivePermissions whose
	// sources are gone and everything of a namespace being deleted.
	TheCluster
)

// Change is one admission request on an input object (a pointer to one of
// the seven kinds): Old is nil for a create, New is nil for a delete.
type Change struct {
	Operation Operation
	Old, New  any
	By        Requester
	// TenantGone is true when the object's Tenant or namespace is being
	// deleted (or no Tenant claims the namespace): the whole tenant goes, so
	// the rules that protect a living tenant (its last SuperAdmin, its role
	// tree, its built-ins) do not hold the deletion up.
	TenantGone bool
}

// Admit decides an admission request against the inputs as they are now
// (current, which need not hold the object itself). It returns the
// refusals, each a Refused finding naming the object, the field, the reason
// and what to do; none means the request is allowed. The rules, in
// docs/admission.md:
//
//   - a request is refused for a Refused finding it introduces on the object
//     itself (wrong in itself: a duplicate e-mail, a role cycle, a built-in
//     rewritten, a delegation beyond the granter...), unless the finding is
//     pending: objects that may still arrive could clear it (a migration
//     whose member or other SuperAdmin is not applied yet), and then it is
//     accepted and reported, so GitOps tools may apply in any order;
//   - an update or delete is refused for a Refused finding it introduces on
//     another object: it would break an invariant that holds now; except a
//     partner staff delegation it makes exceed its admin, which only narrows
//     (revocation always takes effect): accepted and reported;
//   - a create is refused for a new Refused finding on another object only
//     when nothing may clear it (a second Tenant for a namespace, one role
//     over the limit); a delegation or migration elsewhere that it makes
//     invalid is accepted and reported (it slipped in);
//   - the transitions of a living tenant: its last active SuperAdmin cannot
//     go, a Role with members or child roles cannot be deleted, nor can the
//     built-ins, and only the controller writes EffectivePermissions.
func Admit(current *Snapshot, ch Change, now time.Time) []Finding {
	obj := ch.New
	if obj == nil {
		obj = ch.Old
	}
	target, ok := RefOf(obj)
	if !ok {
		return nil
	}
	if target.Kind == accessv1.KindEffectivePermission {
		return admitEffectivePermission(target, ch)
	}
	if isBuiltIn(target) {
		switch {
		case ch.By == TheController:
			return nil // it keeps them as the engine defines them
		case ch.Operation == Update && builtInSpecUnchanged(ch.Old, ch.New):
			return nil // labels and annotations are the users'
		}
	}
	if ch.Operation == Delete && isBuiltIn(target) {
		if ch.TenantGone || ch.By == TheCluster {
			return nil
		}
		return []Finding{refusal(target, "metadata.name", accessv1.ReasonBuiltIn,
			"%s %s is built in and cannot be deleted: %s; access-controller recreates it", target.Kind, target.Name, builtInRole(target))}
	}

	before := current.without(target)
	after := current.without(target)
	stoodIn := false
	if t := standIn(current, target); t != nil && ch.Operation != Delete {
		before.Add(t)
		after.Add(t.DeepCopy())
		stoodIn = true
	}
	if ch.Old != nil && !isBuiltIn(target) { // the engine has its own built-ins
		before.Add(ch.Old)
	}
	if ch.New != nil {
		after.Add(ch.New)
	}
	rb, ra := Compute(before, now), Compute(after, now)
	had := map[findingKey]bool{}
	for _, f := range rb.Findings {
		had[keyOf(f)] = true
	}
	var out []Finding
	for _, f := range ra.Findings {
		if had[keyOf(f)] && !grewOverLimit(f, rb, ra) {
			continue // an existing problem left as it was, or made smaller
		}
		if f.Severity == Refused && refuses(ch, target, f, ra.pending[f]) {
			if t, ok := ch.New.(*accessv1.Tenant); ok && f.Reason == accessv1.ReasonDuplicateTenant && f.Object != target {
				// The engine reports the younger claim (or, offline, the
				// later name) of the two; here the newcomer is the one
				// refused.
				holder := accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: f.Object.Name}}
				for i := range current.Tenants {
					if current.Tenants[i].Name == f.Object.Name {
						holder = current.Tenants[i]
					}
				}
				f = refusal(target, "spec.namespace", f.Reason, "%s", duplicateTenant(t.Name, t.NamespaceOrDefault(), &holder))
			}
			if f.Object != target {
				f.Message = f.Object.String() + ": " + f.Field + ": " + f.Message
			}
			out = append(out, f)
		}
	}
	// The object's own refusals first: they are what its author must fix.
	slices.SortStableFunc(out, func(a, b Finding) int {
		return boolRank(a.Object != target) - boolRank(b.Object != target)
	})
	// Only a tenant going away lifts these: the garbage collector deleting a
	// Member or Role whose owner someone set and deleted is held to them too
	// (otherwise an ownerReference would be a way round them).
	if !ch.TenantGone && !stoodIn { // a stand-in is no living tenant to keep a SuperAdmin for
		out = append(out, lastSuperAdmin(current, ch, target, rb, ra)...)
		if ch.Operation == Delete && target.Kind == accessv1.KindRole {
			out = append(out, roleInUse(target, ra, had)...)
		}
	}
	return out
}

// standIn returns a Tenant that claims the target's namespace for the
// judgement when no Tenant does yet, so that what is wrong within a
// namespace (a duplicate e-mail, a role cycle) is refused whichever arrives
// first, the Tenant or the objects: otherwise the objects would pass
// unjudged and the Tenant be refused for them later. It is named after the
// namespace, as most Tenants are (so its messages are validate's); nil when
// the namespace is claimed, or a Tenant of that name claims another. Deletes
// are not judged this way: what is left of a tenant being torn down must go.
func standIn(current *Snapshot, target ObjectRef) *accessv1.Tenant {
	ns := target.Namespace
	if ns == "" {
		return nil
	}
	for i := range current.Tenants {
		if t := &current.Tenants[i]; t.NamespaceOrDefault() == ns || t.Name == ns {
			return nil
		}
	}
	return &accessv1.Tenant{TypeMeta: metav1.TypeMeta{APIVersion: accessv1.GroupVersion.String(), Kind: accessv1.KindTenant}, ObjectMeta: metav1.ObjectMeta{Name: ns}}
}

// grewOverLimit says whether f is a role-limit finding of a tenant that has
// more custom Roles after the change than before: a tenant already over its
// limit still takes no further Role.
func grewOverLimit(f Finding, rb, ra *Result) bool {
	if f.Reason != accessv1.ReasonRoleLimitExceeded {
		return false
	}
	before, _ := rb.Tenant(f.Object.Name)
	after, _ := ra.Tenant(f.Object.Name)
	return after.Roles > before.Roles
}

// refuses applies the first three rules of Admit to one new Refused finding.
func refuses(ch Change, target ObjectRef, f Finding, pending bool) bool {
	switch {
	case f.Object == target:
		return !pending
	case f.Reason == accessv1.ReasonDelegationExceeded && f.Object.Namespace != target.Namespace:
		// A client's change (narrowing its admin's billingAccess, removing
		// the admin) that makes a partner's staff delegation exceed only
		// narrows: the intersection is granted and the Member says
		// Degraded. Refusing it would hold a revocation up on objects the
		// client cannot edit. The partner's own changes (a template
		// widened) are still refused.
		return false
	case ch.Operation != Create:
		return true
	default:
		// A create is refused for another object's new problem only when
		// nothing yet to arrive could clear it (GitOps order).
		return f.Reason != accessv1.ReasonMigrationInvalid && !pending
	}
}

// lastSuperAdmin refuses a request that leaves a tenant that had an active
// SuperAdmin with none.
func lastSuperAdmin(current *Snapshot, ch Change, target ObjectRef, rb, ra *Result) []Finding {
	m, ok := ch.Old.(*accessv1.Member)
	if !ok {
		return nil
	}
	tenant, ok := rb.TenantOfNamespace(m.Namespace)
	if !ok || hasNoSuperAdmin(rb, tenant) || !hasNoSuperAdmin(ra, tenant) {
		return nil
	}
	verb, field := "change", "spec"
	n, _ := ch.New.(*accessv1.Member)
	switch {
	case n == nil:
		verb, field = "delete", "metadata.name"
	case !n.IsActive():
		verb, field = "deactivate", "spec.active"
	case n.Spec.AccountRole != m.Spec.AccountRole:
		verb, field = "demote", "spec.accountRole"
	case !strings.EqualFold(n.Spec.Email, m.Spec.Email):
		field = "spec.email"
	}
	// SuperAdmins being deleted count no more (semantics.md §6); say so,
	// since a listing still shows them.
	var leaving []string
	for _, o := range current.Members {
		if o.Namespace == m.Namespace && o.Name != m.Name && terminating(o) && o.IsActive() && o.AccountRoleOrDefault() == accessv1.AccountRoleSuperAdmin {
			leaving = append(leaving, o.Name)
		}
	}
	slices.Sort(leaving)
	why := superAdminsLeaving(leaving)
	return []Finding{refusal(target, field, accessv1.ReasonLastSuperAdmin,
		"cannot %s member %q: %s is the last active SuperAdmin of tenant %q%s; make another member SuperAdmin first",
		verb, m.Name, m.Spec.Email, tenant, why)}
}

func hasNoSuperAdmin(r *Result, tenant string) bool {
	return slices.ContainsFunc(r.FindingsFor(refOf(accessv1.KindTenant, "", tenant)), func(f Finding) bool { return f.Reason == accessv1.ReasonNoSuperAdmin })
}

// roleInUse refuses deleting a Role that members hold or roles report to:
// the delete would leave them with a missing role or parent.
func roleInUse(target ObjectRef, ra *Result, had map[findingKey]bool) []Finding {
	var members, roles []string
	for _, f := range ra.Findings {
		if had[keyOf(f)] || f.Object.Namespace != target.Namespace {
			continue
		}
		switch {
		case f.Reason == accessv1.ReasonRoleNotFound && f.Object.Kind == accessv1.KindMember:
			members = append(members, f.Object.Name)
		case f.Reason == accessv1.ReasonParentNotFound && f.Object.Kind == accessv1.KindRole:
			roles = append(roles, f.Object.Name)
		}
	}
	if len(members)+len(roles) == 0 {
		return nil
	}
	var who []string
	if len(members) > 0 {
		who = append(who, plural(len(members), "member ", "members ")+quoted(members, ", "))
	}
	if len(roles) > 0 {
		who = append(who, plural(len(roles), "role ", "roles ")+quoted(roles, ", "))
	}
	return []Finding{refusal(target, "metadata.name", accessv1.ReasonRoleInUse,
		"cannot delete role %q: %s still %s it; give them another role or parent first",
		target.Name, strings.Join(who, " and "), plural(len(members)+len(roles), "uses", "use"))}
}

// admitEffectivePermission: only the controller writes EffectivePermissions;
// Kubernetes may delete them (garbage collection, namespace deletion) and
// tidy their ownership: an orphaning delete of an owner has the garbage
// collector remove the dependents' ownerReferences, and it adds and removes
// the orphan and foregroundDeletion finalizers. Such an update changes
// nothing an application reads.
func admitEffectivePermission(target ObjectRef, ch Change) []Finding {
	switch {
	case ch.By == TheController:
		return nil
	case ch.By == TheCluster && ch.Operation == Delete:
		return nil
	case ch.By == TheCluster && ch.Operation == Update && ownershipOnly(ch.Old, ch.New):
		return nil
	}
	return []Finding{controllerOwned(target.Namespace, target.Name)}
}

// ownershipOnly reports whether an update of an EffectivePermission changes
// at most metadata.ownerReferences and metadata.finalizers (and what the API
// server maintains itself, such as resourceVersion and managedFields): its
// spec, status, labels and annotations stay as they are.
func ownershipOnly(old, new any) bool {
	o, ok := old.(*accessv1.EffectivePermission)
	if !ok {
		return false
	}
	n, ok := new.(*accessv1.EffectivePermission)
	if !ok {
		return false
	}
	return maps.Equal(o.Labels, n.Labels) && maps.Equal(o.Annotations, n.Annotations) &&
		equality.Semantic.DeepEqual(o.Spec, n.Spec) && equality.Semantic.DeepEqual(o.Status, n.Status)
}

func refusal(obj ObjectRef, field, reason, format string, args ...any) Finding {
	return Finding{Object: obj, Field: field, Reason: reason, Severity: Refused, Message: fmt.Sprintf(format, args...)}
}

func isBuiltIn(r ObjectRef) bool {
	return (r.Kind == accessv1.KindRole && r.Name == accessv1.CEORole) || (r.Kind == accessv1.KindPermissionSet && r.Name == accessv1.PartnerAdminPermissionSet)
}

func builtInSpecUnchanged(old, new any) bool {
	switch o := old.(type) {
	case *accessv1.Role:
		n, ok := new.(*accessv1.Role)
		return ok && reflect.DeepEqual(o.Spec, n.Spec)
	case *accessv1.PermissionSet:
		n, ok := new.(*accessv1.PermissionSet)
		return ok && reflect.DeepEqual(o.Spec, n.Spec)
	}
	return false
}

func builtInRole(r ObjectRef) string {
	if r.Kind == accessv1.KindRole {
		return "it is the root of the tenant's role tree"
	}
	return "partner admins hold it in every client"
}

// findingKey identifies a finding across two computations: its message may
// change (counts, lists) while it stays the same finding.
type findingKey struct {
	Object        ObjectRef
	Field, Reason string
}

func keyOf(f Finding) findingKey { return findingKey{f.Object, f.Field, f.Reason} }

// RefOf names an input object (a pointer to one of the seven kinds).
func RefOf(obj any) (ObjectRef, bool) {
	switch o := obj.(type) {
	case *accessv1.Tenant:
		return refOf(accessv1.KindTenant, "", o.Name), true
	case *accessv1.Member:
		return refOf(accessv1.KindMember, o.Namespace, o.Name), true
	case *accessv1.Role:
		return refOf(accessv1.KindRole, o.Namespace, o.Name), true
	case *accessv1.PermissionSet:
		return refOf(accessv1.KindPermissionSet, o.Namespace, o.Name), true
	case *accessv1.PartnerAccess:
		return refOf(accessv1.KindPartnerAccess, o.Namespace, o.Name), true
	case *accessv1.VisibilityPolicy:
		return refOf(accessv1.KindVisibilityPolicy, o.Namespace, o.Name), true
	case *accessv1.EffectivePermission:
		return refOf(accessv1.KindEffectivePermission, o.Namespace, o.Name), true
	}
	return ObjectRef{}, false
}

// without returns a copy of s without the object r names (the copy shares
// the objects, which the engine only reads).
func (s *Snapshot) without(r ObjectRef) *Snapshot {
	return &Snapshot{
		Tenants:              drop(s.Tenants, r),
		Members:              drop(s.Members, r),
		Roles:                drop(s.Roles, r),
		PermissionSets:       drop(s.PermissionSets, r),
		PartnerAccesses:      drop(s.PartnerAccesses, r),
		VisibilityPolicies:   drop(s.VisibilityPolicies, r),
		EffectivePermissions: drop(s.EffectivePermissions, r),
	}
}

// Find returns the object of s that r names, if s holds it.
func (s *Snapshot) Find(r ObjectRef) (metav1.Object, bool) {
	for _, find := range []func(ObjectRef) metav1.Object{
		finder(Pointers(s.Tenants)), finder(s.Members), finder(Pointers(s.Roles)), finder(Pointers(s.PermissionSets)),
		finder(Pointers(s.PartnerAccesses)), finder(Pointers(s.VisibilityPolicies)), finder(Pointers(s.EffectivePermissions)),
	} {
		if o := find(r); o != nil {
			return o, true
		}
	}
	return nil, false
}

// finder looks an object up in objs by the ref RefOf gives it.
func finder[P metav1.Object](objs []P) func(ObjectRef) metav1.Object {
	return func(r ObjectRef) metav1.Object {
		for _, o := range objs {
			if ref, _ := RefOf(o); ref == r {
				return o
			}
		}
		return nil
	}
}

// drop returns a copy of objs without the one r names.
func drop[T any](objs []T, r ObjectRef) []T {
	return slices.DeleteFunc(slices.Clone(objs), func(o T) bool {
		ref, _ := RefOf(objectOf(&o))
		return ref == r
	})
}

// objectOf is what RefOf takes for an element o of a snapshot's list: the
// element itself when the list holds pointers (Members), else its address.
func objectOf[T any](o *T) any {
	if p, ok := any(*o).(metav1.Object); ok {
		return p
	}
	return o
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
