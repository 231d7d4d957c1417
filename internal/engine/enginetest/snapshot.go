package enginetest

import (
	"fmt"
	"reflect"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Deletion, passed to Snap, removes an object given earlier (so that a test
// can start from a shared world and delete one object of it).
type Deletion struct{ Kind, Namespace, Name string }

// Delete removes the object kind namespace/name from a Snap (namespace ""
// for a Tenant).
func Delete(kind, namespace, name string) Deletion {
	return Deletion{Kind: kind, Namespace: namespace, Name: name}
}

type key struct{ kind, ns, name string }

// Snap assembles a Snapshot from wrappers, API objects (pointers or values),
// slices of any of them ([]any), nested Snapshots and Deletions. A later
// object with the same kind, namespace and name replaces an earlier one in
// place, so a test can start from a shared world and override one object;
// a Deletion removes it. The given objects are deep-copied.
func Snap(objs ...any) *engine.Snapshot {
	var order []key
	byKey := map[key]any{}
	var add func(o any)
	put := func(k key, v any) {
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = v
	}
	add = func(o any) {
		if rv := reflect.ValueOf(o); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return // a typed nil (an absent optional object)
		}
		switch v := o.(type) {
		case nil:
		case []any:
			for _, x := range v {
				add(x)
			}
		case Deletion:
			k := key{v.Kind, v.Namespace, v.Name}
			if _, ok := byKey[k]; !ok {
				panic(fmt.Sprintf("enginetest.Snap: Delete(%q, %q, %q): no such object", v.Kind, v.Namespace, v.Name))
			}
			delete(byKey, k)
		case *engine.Snapshot:
			for i := range v.Tenants {
				add(&v.Tenants[i])
			}
			for i := range v.Members {
				add(v.Members[i])
			}
			for i := range v.Roles {
				add(&v.Roles[i])
			}
			for i := range v.PermissionSets {
				add(&v.PermissionSets[i])
			}
			for i := range v.PartnerAccesses {
				add(&v.PartnerAccesses[i])
			}
			for i := range v.VisibilityPolicies {
				add(&v.VisibilityPolicies[i])
			}
			for i := range v.EffectivePermissions {
				add(&v.EffectivePermissions[i])
			}
		case *TenantWrapper:
			add(v.Obj())
		case *MemberWrapper:
			add(v.Obj())
		case *RoleWrapper:
			add(v.Obj())
		case *PermissionSetWrapper:
			add(v.Obj())
		case *PartnerAccessWrapper:
			add(v.Obj())
		case *PolicyWrapper:
			add(v.Obj())
		case *EffectivePermissionWrapper:
			add(v.Obj())
		case *accessv1.Tenant:
			put(key{accessv1.KindTenant, "", v.Name}, v.DeepCopy())
		case accessv1.Tenant:
			add(&v)
		case *accessv1.Member:
			put(key{accessv1.KindMember, v.Namespace, v.Name}, v.DeepCopy())
		case accessv1.Member:
			add(&v)
		case *accessv1.Role:
			put(key{accessv1.KindRole, v.Namespace, v.Name}, v.DeepCopy())
		case accessv1.Role:
			add(&v)
		case *accessv1.PermissionSet:
			put(key{accessv1.KindPermissionSet, v.Namespace, v.Name}, v.DeepCopy())
		case accessv1.PermissionSet:
			add(&v)
		case *accessv1.PartnerAccess:
			put(key{accessv1.KindPartnerAccess, v.Namespace, v.Name}, v.DeepCopy())
		case accessv1.PartnerAccess:
			add(&v)
		case *accessv1.VisibilityPolicy:
			put(key{accessv1.KindVisibilityPolicy, v.Namespace, v.Name}, v.DeepCopy())
		case accessv1.VisibilityPolicy:
			add(&v)
		case *accessv1.EffectivePermission:
			put(key{accessv1.KindEffectivePermission, v.Namespace, v.Name}, v.DeepCopy())
		case accessv1.EffectivePermission:
			add(&v)
		default:
			panic(fmt.Sprintf("enginetest.Snap: unsupported %T", o))
		}
	}
	for _, o := range objs {
		add(o)
	}

	s := &engine.Snapshot{}
	for _, k := range order {
		o, ok := byKey[k]
		if !ok {
			continue
		}
		s.Add(o)
	}
	return s
}

// Compute assembles a Snapshot from objs (see Snap) and computes it at Now.
func Compute(objs ...any) *engine.Result {
	return engine.Compute(Snap(objs...), Now)
}

// Reversed returns a copy of s with every list in reverse order (for
// determinism tests: input order must not matter).
func Reversed(s *engine.Snapshot) *engine.Snapshot {
	r := &engine.Snapshot{}
	for i := len(s.Tenants) - 1; i >= 0; i-- {
		r.Tenants = append(r.Tenants, *s.Tenants[i].DeepCopy())
	}
	for i := len(s.Members) - 1; i >= 0; i-- {
		r.Members = append(r.Members, s.Members[i].DeepCopy())
	}
	for i := len(s.Roles) - 1; i >= 0; i-- {
		r.Roles = append(r.Roles, *s.Roles[i].DeepCopy())
	}
	for i := len(s.PermissionSets) - 1; i >= 0; i-- {
		r.PermissionSets = append(r.PermissionSets, *s.PermissionSets[i].DeepCopy())
	}
	for i := len(s.PartnerAccesses) - 1; i >= 0; i-- {
		r.PartnerAccesses = append(r.PartnerAccesses, *s.PartnerAccesses[i].DeepCopy())
	}
	for i := len(s.VisibilityPolicies) - 1; i >= 0; i-- {
		r.VisibilityPolicies = append(r.VisibilityPolicies, *s.VisibilityPolicies[i].DeepCopy())
	}
	for i := len(s.EffectivePermissions) - 1; i >= 0; i-- {
		r.EffectivePermissions = append(r.EffectivePermissions, *s.EffectivePermissions[i].DeepCopy())
	}
	return r
}
