package controllers_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// TestUserRoles: the ClusterRoles config/rbac ships for the people and
// applications that use the kinds, bound as docs/security.md says, give
// exactly what they are for — judged by the API server's own RBAC
// authorizer (SubjectAccessReview).
func TestUserRoles(t *testing.T) {
	ctx := context.Background()
	names := map[string]bool{}
	for _, cr := range clusterRoles(t, "user_roles.yaml") {
		cr.Name = "rbac-test-" + cr.Name
		names[cr.Name] = true
		if err := k8s.Create(ctx, &cr); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k8s.Delete(ctx, &cr) })
	}
	for _, n := range []string{"viewer", "editor", "tenant-admin", "decision-client"} {
		if !names["rbac-test-"+n] {
			t.Fatalf("config/rbac/user_roles.yaml has no ClusterRole %s", n)
		}
	}
	testenv.CreateNamespace(t, k8s, "rbac-acme")
	bind := func(role, user, ns string) {
		subject := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "rbac-test-" + role}
		if ns == "" {
			crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rbac-test-" + user}, RoleRef: ref, Subjects: []rbacv1.Subject{subject}}
			if err := k8s.Create(ctx, crb); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = k8s.Delete(ctx, crb) })
			return
		}
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rbac-test-" + user, Namespace: ns}, RoleRef: ref, Subjects: []rbacv1.Subject{subject}}
		if err := k8s.Create(ctx, rb); err != nil {
			t.Fatal(err)
		}
	}
	bind("editor", "alice", "rbac-acme")
	bind("viewer", "victor", "rbac-acme")
	bind("decision-client", "crm", "rbac-acme")
	bind("tenant-admin", "platform", "")

	for _, tc := range []struct {
		user, verb, resource, subresource, ns string
		allowed                               bool
	}{
		{"alice", "create", "members", "", "rbac-acme", true},
		{"alice", "update", "roles", "", "rbac-acme", true},
		{"alice", "delete", "partneraccesses", "", "rbac-acme", true},
		{"alice", "patch", "visibilitypolicies", "", "rbac-acme", true},
		{"alice", "create", "members", "", "default", false}, // only the namespace bound
		{"alice", "create", "effectivepermissions", "", "rbac-acme", false},
		{"alice", "update", "members", "status", "rbac-acme", false},
		{"alice", "get", "effectivepermissions", "", "rbac-acme", true},
		{"alice", "create", "tenants", "", "", false},
		{"victor", "list", "members", "", "rbac-acme", true},
		{"victor", "get", "members", "status", "rbac-acme", true},
		{"victor", "watch", "effectivepermissions", "", "rbac-acme", true},
		{"victor", "create", "members", "", "rbac-acme", false},
		{"crm", "get", "effectivepermissions", "", "rbac-acme", true},
		{"crm", "list", "effectivepermissions", "", "rbac-acme", true},
		{"crm", "get", "members", "", "rbac-acme", false},
		{"platform", "create", "tenants", "", "", true},
		{"platform", "create", "members", "", "rbac-acme", false},
	} {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: tc.user,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "access.tenancy.dev", Resource: tc.resource,
				Subresource: tc.subresource, Verb: tc.verb, Namespace: tc.ns}}}
		if err := k8s.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		if sar.Status.Allowed != tc.allowed {
			t.Errorf("%s %s %s/%s in %q: allowed %v, want %v (%s)", tc.user, tc.verb, tc.resource, tc.subresource, tc.ns, sar.Status.Allowed, tc.allowed, sar.Status.Reason)
		}
	}
}

// managerUser is the identity config/ deploys the manager as.
const managerUser = "system:serviceaccount:access-controller-system:access-controller-controller-manager"

// TestManagerRole runs the controllers with only the rights
// config/rbac/role.yaml grants them (its ClusterRole bound to an
// impersonated manager), not as the suite's administrator: a cold converge
// (creates, statuses, the built-ins) and a role moved under another, whose
// updates both narrow and widen EffectivePermissions, converge with no
// request refused. A verb the controller uses and its markers do not grant
// fails here rather than in a cluster.
func TestManagerRole(t *testing.T) {
	ctx := context.Background()
	crs := clusterRoles(t, "role.yaml")
	if len(crs) != 1 {
		t.Fatalf("config/rbac/role.yaml has %d ClusterRoles, want the manager's", len(crs))
	}
	cr := &crs[0]
	cr.Name = "rbac-test-manager"
	if err := k8s.Create(ctx, cr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, cr) })
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rbac-test-manager"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: managerUser}}}
	if err := k8s.Create(ctx, crb); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, crb) })

	now := time.Now().UTC().Truncate(time.Second)
	o := fixture.Tenant("rbac-manager", 60, 10, 23)
	ns := o.Tenants[0].NamespaceOrDefault()
	testenv.CreateNamespace(t, k8s, ns)
	createAll(t, o)
	mcfg := rest.CopyConfig(cfg)
	mcfg.Impersonate = rest.ImpersonationConfig{UserName: managerUser,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:access-controller-system", "system:authenticated"}}
	m := startManagerAs(t, mcfg, controllers.Options{Now: func() time.Time { return now }})
	before := engine.Compute(o.Snapshot(), now)
	testenv.Eventually(t, 60*time.Second, "cold converge as the manager", func() (bool, string) {
		return testenv.SameEPs(t, k8s, before.EffectivePermissions, []string{ns})
	})
	settle(m, time.Second)

	role := pickRoleWithSubordinates(o)
	newParent := pickOtherTopRole(o, role)
	testenv.Update(t, k8s, &accessv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: role}},
		func(r *accessv1.Role) { r.Spec.ReportsTo = newParent })
	for i := range o.Roles {
		if o.Roles[i].Name == role {
			o.Roles[i].Spec.ReportsTo = newParent
		}
	}
	after := engine.Compute(o.Snapshot(), now)
	if changedEPs(before, after) == 0 {
		t.Fatalf("moving %s under %s changes no EffectivePermission: pick another role", role, newParent)
	}
	testenv.Eventually(t, 30*time.Second, "converge after the move, as the manager", func() (bool, string) {
		return testenv.SameEPs(t, k8s, after.EffectivePermissions, []string{ns})
	})
	moved := settle(m, time.Second)
	if moved["PUT "+ns+" effectivepermissions"] == 0 {
		t.Errorf("the move updated no EffectivePermission (writes: %s)", describe(moved))
	}
	if refused := m.writes.refusals(); len(refused) != 0 {
		t.Errorf("requests refused to the manager's role: %v", refused)
	}
}

// clusterRoles are the ClusterRoles of config/rbac/file (its other kinds
// left out).
func clusterRoles(t *testing.T, file string) []rbacv1.ClusterRole {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root, "config", "rbac", file))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []rbacv1.ClusterRole
	for {
		var cr rbacv1.ClusterRole
		if err := dec.Decode(&cr); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		if cr.Kind == "ClusterRole" {
			out = append(out, cr)
		}
	}
}
