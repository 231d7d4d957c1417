package testenv

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

func ep(ns, name, user string) accessv1.EffectivePermission {
	return accessv1.EffectivePermission{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       accessv1.EffectivePermissionSpec{Tenant: ns, User: user, Active: true},
	}
}

// The suites' convergence checks rest on SameEPs: it must tell every way
// the cluster can differ from the render.
func TestSameEPs(t *testing.T) {
	alice, bob := ep("acme", "alice", "alice@acme.example"), ep("acme", "bob", "bob@acme.example")
	other := ep("globex", "carol", "carol@globex.example")
	changed := bob
	changed.Spec.Capabilities = []string{"reports.access"}
	cluster := fake.NewClientBuilder().WithScheme(NewScheme()).WithObjects(alice.DeepCopy(), bob.DeepCopy(), other.DeepCopy()).Build()

	for _, tc := range []struct {
		name       string
		want       []accessv1.EffectivePermission
		namespaces []string
		same       bool
		says       string
	}{
		{"identical", []accessv1.EffectivePermission{alice, bob}, []string{"acme"}, true, ""},
		{"namespaces repeated", []accessv1.EffectivePermission{alice, bob}, []string{"acme", "acme"}, true, ""},
		{"other namespaces are not looked at", []accessv1.EffectivePermission{alice, bob}, []string{"acme", "empty"}, true, ""},
		{"a spec differs", []accessv1.EffectivePermission{alice, changed}, []string{"acme"}, false, "differing [acme/bob]"},
		{"one is missing", []accessv1.EffectivePermission{alice, bob, ep("acme", "dave", "dave@acme.example")}, []string{"acme"}, false, "missing [acme/dave]"},
		{"one is unexpected", []accessv1.EffectivePermission{alice}, []string{"acme"}, false, "unexpected [acme/bob]"},
		{"none wanted", nil, []string{"acme", "globex"}, false, "unexpected [acme/alice acme/bob globex/carol]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			same, why := SameEPs(t, cluster, tc.want, tc.namespaces)
			if same != tc.same || !strings.Contains(why, tc.says) {
				t.Errorf("SameEPs = %v, %q; want %v and a reason containing %q", same, why, tc.same, tc.says)
			}
		})
	}
}

// recorder is a testing.TB that records a fatal failure instead of ending
// the test.
type recorder struct {
	testing.TB
	fatal string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestEventually(t *testing.T) {
	calls := 0
	r := &recorder{TB: t}
	Eventually(r, 5*time.Second, "third time", func() (bool, string) {
		calls++
		return calls == 3, fmt.Sprint(calls)
	})
	if r.fatal != "" || calls != 3 {
		t.Errorf("a condition that holds on the third poll: %d calls, failure %q", calls, r.fatal)
	}

	r = &recorder{TB: t}
	Eventually(r, 250*time.Millisecond, "never", func() (bool, string) { return false, "still not" })
	if want := "never: not within 250ms: still not"; r.fatal != want {
		t.Errorf("a condition that never holds: failure %q, want %q", r.fatal, want)
	}
}
