package controllers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// lines is a goroutine-safe buffer of JSON lines.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) records(t *testing.T) []controllers.AuditRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []controllers.AuditRecord
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r controllers.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// TestAuditTrail: every widening or narrowing of an EffectivePermission
// writes an audit record saying who gained or lost what, through which
// path, caused by which input change (and its field manager): a role
// moved, a member deactivated, a partner admin added, an expiry.
func TestAuditTrail(t *testing.T) {
	ctx := context.Background()
	const client1, partner = "audit-a", "audit-p"
	for _, ns := range []string{client1, partner} {
		testenv.CreateNamespace(t, k8s, ns)
	}
	var audit lines
	m, err := testenv.StartManager(cfg, scheme, testenv.ManagerOptions{Run: []testenv.Runner{
		func(ctx context.Context, mgr ctrl.Manager, now func() time.Time) error {
			return controllers.SetupWith(ctx, mgr, controllers.Options{Now: now, Audit: &audit})
		}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Stop() })
	for _, o := range []client.Object{
		MakeTenant(client1).Obj(),
		MakeMember(client1, "carol").SuperAdmin().Obj(),
		MakeRole(client1, "vp").Obj(), MakeRole(client1, "sales").ReportsTo("vp").Obj(), MakeRole(client1, "support").Obj(),
		MakePermissionSet(client1, "rep").Objects([]string{"deals"}, "view", "edit").Obj(),
		MakeMember(client1, "vera").Role("vp").Sets("rep").Obj(),
		MakeMember(client1, "sam").Role("sales").Sets("rep").Obj(),
		MakeTenant(partner).Partner(accessv1.TierSolutionsPartner).Obj(),
		MakeMember(partner, "owner").SuperAdmin().Obj(),
		MakeMember(partner, "dave").Role("ceo").Employee().Seat().Obj(),
	} {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	find := func(what, user, direction string, ok func(controllers.AuditRecord) bool) controllers.AuditRecord {
		t.Helper()
		var found controllers.AuditRecord
		testenv.Eventually(t, 30*time.Second, what, func() (bool, string) {
			recs := audit.records(t)
			for _, r := range recs {
				if r.User == user && r.Direction == direction && (ok == nil || ok(r)) {
					found = r
					return true, ""
				}
			}
			return false, fmt.Sprintf("%d records, none %s for %s", len(recs), direction, user)
		})
		return found
	}
	caused := func(kind, name string) func(controllers.AuditRecord) bool {
		return func(r controllers.AuditRecord) bool {
			for _, c := range r.Causes {
				if c.Kind == kind && c.Name == name {
					return true
				}
			}
			return false
		}
	}
	// The users' first grants are recorded too (widen, created).
	find("vera's first grants", "vera@audit-a.example", "widen", nil)

	// A role moved: vera loses sales as a subordinate, through the hierarchy.
	testenv.Update(t, k8s, &accessv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: client1, Name: "sales"}},
		func(r *accessv1.Role) { r.Spec.ReportsTo = "support" })
	r := find("vera narrowed by the role move", "vera@audit-a.example", "narrow", caused(accessv1.KindRole, "sales"))
	via := ""
	for _, c := range r.Changes {
		via += strings.Join(c.Via, ",") + ";"
	}
	if !strings.Contains(via, "hierarchy") {
		t.Errorf("the role move's record for vera names no hierarchy path: %+v", r.Changes)
	}
	for _, c := range r.Causes {
		if c.Kind == accessv1.KindRole && c.Name == "sales" && c.Manager == "" {
			t.Errorf("the cause names no field manager: %+v", c)
		}
	}
	testenv.Eventually(t, 20*time.Second, "an AccessNarrowed Event on vera's EffectivePermission", func() (bool, string) {
		var evs eventsv1.EventList
		if err := k8s.List(ctx, &evs, client.InNamespace(client1)); err != nil {
			return false, err.Error()
		}
		for _, e := range evs.Items {
			if e.Reason == "AccessNarrowed" && e.Regarding.Name == "vera" {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d Events", len(evs.Items))
	})

	// A member deactivated.
	testenv.Update(t, k8s, &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: client1, Name: "sam"}},
		func(m *accessv1.Member) { m.Spec.Active = ptr.To(false) })
	find("sam's deactivation", "sam@audit-a.example", "narrow", caused(accessv1.KindMember, "sam"))

	// A partner admin added, with access that expires in a few seconds.
	expires := time.Now().Add(4 * time.Second).UTC().Truncate(time.Second).Format(time.RFC3339)
	if err := k8s.Create(ctx, MakePartnerAccess(client1, "agency").Partner(partner).ApprovedBy("carol@audit-a.example").
		Admin("dave@audit-p.example").ExpiresAt(expires).Obj()); err != nil {
		t.Fatal(err)
	}
	find("dave added as partner admin", "dave@audit-p.example", "widen", caused(accessv1.KindPartnerAccess, "agency"))
	// The expiry: no input changes, the clock does; the record says what
	// dave lost through the PartnerAccess.
	exp := find("dave's access expired", "dave@audit-p.example", "narrow", nil)
	lost := ""
	for _, c := range exp.Changes {
		lost += strings.Join(c.Via, ",")
	}
	if !strings.Contains(lost, "partnerAccess: agency") {
		t.Errorf("the expiry's record names no partnerAccess path: %+v", exp.Changes)
	}
}
