package controllers_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// TestLifecycle runs the partners scenario through the changes people make
// and checks the cluster follows: revocations take effect, time ends
// access, hand edits and deleted built-ins are reverted, and objects no
// Tenant claims are reported.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	startManager(t, time.Now)
	set, err := manifest.Load("../testdata/scenarios/partners")
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range set.Snapshot.Tenants {
		testenv.CreateNamespace(t, k8s, tn.NamespaceOrDefault())
	}
	for _, o := range set.Objects() {
		if err := k8s.Create(ctx, o.Resource.DeepCopyObject().(client.Object)); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 20*time.Second, "converge", func() (bool, string) {
		return testenv.SameEPs(t, k8s, expected(t, set.Objects()), namespaces(set))
	})

	t.Run("an EffectivePermission edited by hand is reverted", func(t *testing.T) {
		ep := getEP(t, "rita")
		want := ep.Spec.DeepCopy()
		ep.Spec.Capabilities = []string{accessv1.AllCapabilities}
		if err := k8s.Update(ctx, ep); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 10*time.Second, "revert", func() (bool, string) {
			got := getEP(t, "rita")
			return len(got.Spec.Capabilities) == len(want.Capabilities), "capabilities still " + strings.Join(got.Spec.Capabilities, ",")
		})
		statusCurrent(t, "acme")

		// Its status is the controller's too (no status subresource): a hand
		// edit of it is put back, observing the generation it produces.
		ep = getEP(t, "rita")
		ep.Status.Conditions = nil
		ep.Status.ObservedGeneration = 0
		if err := k8s.Update(ctx, ep); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 10*time.Second, "status restored", func() (bool, string) {
			got := getEP(t, "rita")
			return got.Status.ObservedGeneration == got.Generation && len(got.Status.Conditions) > 0,
				fmt.Sprintf("generation %d, status %+v", got.Generation, got.Status)
		})
		statusCurrent(t, "acme")
	})

	t.Run("deleted built-ins are recreated", func(t *testing.T) {
		for _, obj := range []client.Object{
			&accessv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: accessv1.CEORole}},
			&accessv1.PermissionSet{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: accessv1.PartnerAdminPermissionSet}},
		} {
			testenv.Eventually(t, 10*time.Second, "built-in "+obj.GetName()+" exists", func() (bool, string) {
				return k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj) == nil, "missing"
			})
			uid := obj.GetUID()
			if err := k8s.Delete(ctx, obj); err != nil {
				t.Fatal(err)
			}
			testenv.Eventually(t, 10*time.Second, "built-in "+obj.GetName()+" recreated", func() (bool, string) {
				err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj)
				return err == nil && obj.GetUID() != uid, "not yet"
			})
		}
	})

	t.Run("edited built-ins are reverted", func(t *testing.T) {
		var ps accessv1.PermissionSet
		key := client.ObjectKey{Namespace: "acme", Name: accessv1.PartnerAdminPermissionSet}
		testenv.Eventually(t, 10*time.Second, "built-in exists", func() (bool, string) { return k8s.Get(ctx, key, &ps) == nil, "missing" })
		want := ps.Spec.DeepCopy()
		testenv.Update(t, k8s, &ps, func(ps *accessv1.PermissionSet) {
			ps.Spec.Capabilities = append(ps.Spec.Capabilities, "payments.instruments")
			ps.Spec.Description = "edited by hand"
		})
		testenv.Eventually(t, 10*time.Second, "revert", func() (bool, string) {
			if err := k8s.Get(ctx, key, &ps); err != nil {
				t.Fatal(err)
			}
			return len(ps.Spec.Capabilities) == len(want.Capabilities) && ps.Spec.Description == want.Description, "still " + strings.Join(ps.Spec.Capabilities, ",")
		})
	})

	t.Run("an EffectivePermission says Degraded while an entry of its user is dropped", func(t *testing.T) {
		degraded := func(ns, name string) *metav1.Condition {
			var ep accessv1.EffectivePermission
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ep); err != nil {
				t.Fatal(err)
			}
			if r := meta.FindStatusCondition(ep.Status.Conditions, accessv1.ConditionReady); r == nil || r.Status != metav1.ConditionTrue {
				t.Errorf("%s/%s: Ready %+v, want True: the EffectivePermission is in force", ns, name, r)
			}
			return meta.FindStatusCondition(ep.Status.Conditions, accessv1.ConditionDegraded)
		}
		for _, tc := range []struct {
			ns, member, epNS, ep string
			why                  string // in the Degraded message
			drop, restore        func(*accessv1.Member)
		}{
			{"acme", "rita", "acme", "rita", "Member acme/rita: spec.permissionSets[1]: member \"rita\" names PermissionSet \"ghost\"",
				func(m *accessv1.Member) { m.Spec.PermissionSets = append(m.Spec.PermissionSets, "ghost") },
				func(m *accessv1.Member) { m.Spec.PermissionSets = m.Spec.PermissionSets[:len(m.Spec.PermissionSets)-1] }},
			// Across namespaces: a partner's staff template, on the EP in the client.
			{"agency-x", "frank", "acme", "agency-x.frank", "Member agency-x/frank: spec.clientAccess[0].permissionSets[1]",
				func(m *accessv1.Member) {
					m.Spec.ClientAccess[0].PermissionSets = append(m.Spec.ClientAccess[0].PermissionSets, "ghost")
				},
				func(m *accessv1.Member) {
					ps := m.Spec.ClientAccess[0].PermissionSets
					m.Spec.ClientAccess[0].PermissionSets = ps[:len(ps)-1]
				}},
		} {
			before := getEPIn(t, tc.epNS, tc.ep)
			testenv.Update(t, k8s, &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: tc.ns, Name: tc.member}}, tc.drop)
			testenv.Eventually(t, 10*time.Second, tc.epNS+"/"+tc.ep+" Degraded", func() (bool, string) {
				d := degraded(tc.epNS, tc.ep)
				return d != nil && d.Status == metav1.ConditionTrue && d.Reason == accessv1.ReasonPermissionSetNotFound && strings.Contains(d.Message, tc.why),
					fmt.Sprintf("Degraded %+v", d)
			})
			if after := getEPIn(t, tc.epNS, tc.ep); !apiequality.Semantic.DeepEqual(before.Spec, after.Spec) {
				t.Errorf("%s/%s: a name that grants nothing changed the spec", tc.epNS, tc.ep)
			}
			testenv.Update(t, k8s, &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: tc.ns, Name: tc.member}}, tc.restore)
			testenv.Eventually(t, 10*time.Second, tc.epNS+"/"+tc.ep+" no longer Degraded", func() (bool, string) {
				d := degraded(tc.epNS, tc.ep)
				return d != nil && d.Status == metav1.ConditionFalse, fmt.Sprintf("Degraded %+v", d)
			})
		}
		statusCurrent(t, "acme")
	})

	t.Run("a deleted Member loses its EffectivePermission", func(t *testing.T) {
		m := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "rita"}}
		if err := k8s.Delete(ctx, m); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 10*time.Second, "EP deleted", func() (bool, string) {
			return !hasEP("acme", "rita"), "acme/rita still there"
		})
	})

	t.Run("a deactivated partner employee loses every grant in every client", func(t *testing.T) {
		dave := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "agency-x", Name: "dave"}}
		testenv.Update(t, k8s, dave, func(m *accessv1.Member) { m.Spec.Active = new(bool) })
		testenv.Eventually(t, 10*time.Second, "dave's and frank's grants gone", func() (bool, string) {
			// frank's only client access was granted by dave.
			return !hasEP("acme", "agency-x.dave") && !hasEP("acme", "agency-x.frank"), "still there"
		})
	})

	t.Run("an expired PartnerAccess grants nothing within seconds, phase Expired", func(t *testing.T) {
		pa := accessv1.PartnerAccess{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "agency-x"}}
		expires := time.Now().Add(3 * time.Second).UTC().Truncate(time.Second)
		testenv.Update(t, k8s, &pa, func(pa *accessv1.PartnerAccess) { pa.Spec.ExpiresAt = expires.Format(time.RFC3339) })
		testenv.Eventually(t, 15*time.Second, "partner grants gone", func() (bool, string) {
			bob := getEP(t, "bob") // a Member too: keeps its own grants, loses the partner ones
			return !hasEP("acme", "agency-x.erin") && bob.Spec.Partner == "", "partner grants still in force"
		})
		if late := time.Since(expires); late > 8*time.Second {
			t.Errorf("grants ended %s after expiresAt", late)
		}
		testenv.Eventually(t, 10*time.Second, "phase Expired", func() (bool, string) {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(&pa), &pa); err != nil {
				t.Fatal(err)
			}
			return pa.Status.Phase == accessv1.PhaseExpired, "phase " + string(pa.Status.Phase)
		})
		testenv.Eventually(t, 10*time.Second, "a Warning Event says the access expired", func() (bool, string) {
			var evs eventsv1.EventList
			if err := k8s.List(ctx, &evs, client.InNamespace("acme")); err != nil {
				t.Fatal(err)
			}
			for _, e := range evs.Items {
				if e.Regarding.Kind == "PartnerAccess" && e.Regarding.Name == "agency-x" && e.Reason == accessv1.ReasonExpired && e.Type == "Warning" {
					return true, ""
				}
			}
			return false, strconv.Itoa(len(evs.Items)) + " events, none about the expiry"
		})
	})

	t.Run("objects in a namespace no Tenant claims are reported", func(t *testing.T) {
		testenv.CreateNamespace(t, k8s, "orphans")
		m := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "orphans", Name: "olga"},
			Spec: accessv1.MemberSpec{Email: "olga@orphans.example", AccountRole: accessv1.AccountRoleSuperAdmin}}
		if err := k8s.Create(ctx, m); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 10*time.Second, "NoTenant reported", func() (bool, string) {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(m), m); err != nil {
				t.Fatal(err)
			}
			c := meta.FindStatusCondition(m.Status.Conditions, accessv1.ConditionReady)
			return c != nil && c.Status == metav1.ConditionFalse && c.Reason == accessv1.ReasonNoTenant, "conditions: " + condString(m.Status.Conditions)
		})
		if hasEP("orphans", "olga") {
			t.Error("an object in a namespace no Tenant claims was granted an EffectivePermission")
		}
	})

	// Refused at admission (not installed in this suite); if it slips in,
	// the second Tenant's own status says why it computes nothing.
	t.Run("a second Tenant claiming a namespace says so", func(t *testing.T) {
		second := &accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "zz-acme"}, Spec: accessv1.TenantSpec{Namespace: "acme"}}
		if err := k8s.Create(ctx, second); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k8s.Delete(ctx, second) })
		testenv.Eventually(t, 10*time.Second, "DuplicateTenantNamespace on zz-acme", func() (bool, string) {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(second), second); err != nil {
				t.Fatal(err)
			}
			c := meta.FindStatusCondition(second.Status.Conditions, accessv1.ConditionReady)
			return c != nil && c.Status == metav1.ConditionFalse && c.Reason == accessv1.ReasonDuplicateTenant && second.Status.Members == nil,
				"conditions: " + condString(second.Status.Conditions)
		})
	})
}

// getEP reads an EffectivePermission of the acme tenant.
func getEP(t *testing.T, name string) *accessv1.EffectivePermission {
	t.Helper()
	const ns = "acme"
	ep := &accessv1.EffectivePermission{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, ep); err != nil {
		t.Fatalf("EffectivePermission %s/%s: %v", ns, name, err)
	}
	return ep
}

func hasEP(ns, name string) bool {
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &accessv1.EffectivePermission{})
	return err == nil
}

func condString(cs []metav1.Condition) string {
	out := ""
	for _, c := range cs {
		out += c.Type + "=" + string(c.Status) + "(" + c.Reason + ") "
	}
	return out
}

func getEPIn(t *testing.T, ns, name string) *accessv1.EffectivePermission {
	t.Helper()
	var ep accessv1.EffectivePermission
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ep); err != nil {
		t.Fatal(err)
	}
	return &ep
}
