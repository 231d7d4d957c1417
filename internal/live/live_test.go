package live

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// pager serves a fake client's lists in pages, as the API server does
// with limit and continue (the fake client ignores them).
type pager struct {
	client.Reader
	requests int
}

func (p *pager) List(ctx context.Context, l client.ObjectList, opts ...client.ListOption) error {
	o := (&client.ListOptions{}).ApplyOptions(opts)
	p.requests++
	if err := p.Reader.List(ctx, l, client.InNamespace(o.Namespace)); err != nil {
		return err
	}
	items, err := meta.ExtractList(l)
	if err != nil {
		return err
	}
	start := 0
	if o.Continue != "" {
		if start, err = strconv.Atoi(o.Continue); err != nil {
			return err
		}
	}
	end := len(items)
	if o.Limit > 0 {
		end = min(start+int(o.Limit), len(items))
	}
	if err := meta.SetList(l, items[start:end]); err != nil {
		return err
	}
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	l.SetContinue(next)
	return nil
}

func objects() []client.Object {
	meta := func(ns, name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }
	out := []client.Object{
		&accessv1.Tenant{ObjectMeta: meta("", "acme")},
		&accessv1.Tenant{ObjectMeta: meta("", "globex")},
		&accessv1.Role{ObjectMeta: meta("acme", accessv1.CEORole)}, // the controller's built-in: left out
		&accessv1.Role{ObjectMeta: meta("acme", "sales")},
		&accessv1.PermissionSet{ObjectMeta: meta("acme", "sales-rep")},
		&accessv1.VisibilityPolicy{ObjectMeta: meta("acme", "default")},
	}
	for _, name := range []string{"ann", "bob", "cid", "dee", "eve"} {
		out = append(out, &accessv1.Member{ObjectMeta: meta("acme", name), Spec: accessv1.MemberSpec{Email: name + "@acme.example"}})
		out = append(out, &accessv1.EffectivePermission{ObjectMeta: meta("acme", name),
			Spec: accessv1.EffectivePermissionSpec{Tenant: "acme", User: name + "@acme.example"}})
	}
	return out
}

// TestReadInPages: read in pages of two, the cluster is what one request
// per kind gives, and the progress moves page by page through the seven
// kinds up to every object received.
func TestReadInPages(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := accessv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objects()...).Build()
	ctx := context.Background()

	whole, err := Read(ctx, &pager{Reader: c})
	if err != nil {
		t.Fatal(err)
	}
	var seen []Progress
	paged := &pager{Reader: c}
	got, err := ReadWith(ctx, paged, ReadOptions{ChunkSize: 2, Progress: func(p Progress) { seen = append(seen, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, whole) {
		t.Errorf("read in pages of 2 differs from read whole:\n%+v\n%+v", got, whole)
	}
	if n := got.Inputs.Len(); n != 10 {
		t.Errorf("%d inputs, want 10 (the built-in ceo Role left out)", n)
	}
	if n := len(got.EffectivePermissions); n != 5 || got.EffectivePermissions[0].Name != "ann" {
		t.Errorf("EffectivePermissions: %d, first %q; want 5 from ann", n, got.EffectivePermissions[0].Name)
	}
	// Tenants 2 (1 page), Members 5 (3), Roles 2, PermissionSets 1,
	// PartnerAccesses 0, VisibilityPolicies 1 (1 each), EffectivePermissions 5 (3).
	wantRequests := 1 + 3 + 1 + 1 + 1 + 1 + 3
	if paged.requests != wantRequests {
		t.Errorf("%d list requests, want %d", paged.requests, wantRequests)
	}
	want := []Progress{
		{"Tenants", 1, 7, 0}, {"Tenants", 1, 7, 2},
		{"Members", 2, 7, 2}, {"Members", 2, 7, 4}, {"Members", 2, 7, 6}, {"Members", 2, 7, 7},
		{"Roles", 3, 7, 7}, {"Roles", 3, 7, 9},
		{"PermissionSets", 4, 7, 9}, {"PermissionSets", 4, 7, 10},
		{"PartnerAccesses", 5, 7, 10}, {"PartnerAccesses", 5, 7, 10},
		{"VisibilityPolicies", 6, 7, 10}, {"VisibilityPolicies", 6, 7, 11},
		{"EffectivePermissions", 7, 7, 11}, {"EffectivePermissions", 7, 7, 13}, {"EffectivePermissions", 7, 7, 15}, {"EffectivePermissions", 7, 7, 16},
	}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("progress:\n got %v\nwant %v", seen, want)
	}
}

func TestConfig(t *testing.T) {
	kc := t.TempDir() + "/kubeconfig"
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://prod.example:6443"}}, {name: d, cluster: {server: "https://staging.example:6443"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: prod, context: {cluster: c, user: u}}, {name: staging, context: {cluster: d, user: u}}]
current-context: prod
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Config(Target{Kubeconfig: kc, Context: "staging", As: "viewer@acme.example", AsGroups: []string{"auditors"}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://staging.example:6443" || cfg.Impersonate.UserName != "viewer@acme.example" || !reflect.DeepEqual(cfg.Impersonate.Groups, []string{"auditors"}) {
		t.Errorf("config: host %q, impersonate %+v", cfg.Host, cfg.Impersonate)
	}
	if cfg, err := Config(Target{Kubeconfig: kc}); err != nil || cfg.Host != "https://prod.example:6443" || cfg.Impersonate.UserName != "" {
		t.Errorf("current context: %v, %+v", err, cfg)
	}
	names, err := Contexts(kc)
	if err != nil || !reflect.DeepEqual(names, []string{"prod", "staging"}) {
		t.Errorf("Contexts: %v, %v", names, err)
	}
}
