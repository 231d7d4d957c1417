package controllers

import (
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/randfill"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

func TestSetConditions(t *testing.T) {
	missingSet := engine.Finding{Field: "spec.permissionSets[0]", Reason: accessv1.ReasonPermissionSetNotFound, Message: "create it"}
	noRole := engine.Finding{Field: "spec.role", Reason: accessv1.ReasonRoleRequired, Message: "set a role"}
	for _, tc := range []struct {
		name                     string
		findings                 []engine.Finding
		ready, degraded          metav1.ConditionStatus
		readyReason, degradedWhy string
		readyMessageContains     string
	}{
		{"no finding: Ready, not Degraded", nil, metav1.ConditionTrue, metav1.ConditionFalse, accessv1.ReasonReady, "AsExpected", "in force"},
		{"a partial drop: not Ready, Degraded", []engine.Finding{missingSet}, metav1.ConditionFalse, metav1.ConditionTrue, accessv1.ReasonPermissionSetNotFound, accessv1.ReasonPermissionSetNotFound, "spec.permissionSets[0]: create it"},
		{"a refusal: not Ready, nothing partial", []engine.Finding{noRole}, metav1.ConditionFalse, metav1.ConditionFalse, accessv1.ReasonRoleRequired, "AsExpected", "spec.role: set a role"},
		{"several: the first reason, every message", []engine.Finding{noRole, missingSet}, metav1.ConditionFalse, metav1.ConditionTrue, accessv1.ReasonRoleRequired, accessv1.ReasonPermissionSetNotFound, "2 problems"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var conds []metav1.Condition
			setConditions(&conds, 3, tc.findings, "the grants are in force", nil)
			r, d := find(conds, accessv1.ConditionReady), find(conds, accessv1.ConditionDegraded)
			if r.Status != tc.ready || r.Reason != tc.readyReason || r.ObservedGeneration != 3 || !strings.Contains(r.Message, tc.readyMessageContains) {
				t.Errorf("Ready = %+v", r)
			}
			if d.Status != tc.degraded || d.Reason != tc.degradedWhy {
				t.Errorf("Degraded = %+v", d)
			}
		})
	}
}

func TestEffectivePermissionStatus(t *testing.T) {
	missingSet := engine.Finding{Object: engine.ObjectRef{Kind: "Member", Namespace: "acme", Name: "stan"}, Field: "spec.permissionSets[1]",
		Reason: accessv1.ReasonPermissionSetNotFound, Message: "create it"}
	badEntry := engine.Finding{Object: engine.ObjectRef{Kind: "PartnerAccess", Namespace: "acme", Name: "agency-x"}, Field: "spec.partnerAdmins[0].email",
		Reason: accessv1.ReasonPartnerAdminInvalid, Message: "name an active Employee"}
	for _, tc := range []struct {
		name            string
		dropped         []engine.Finding
		degraded        metav1.ConditionStatus
		reason, message string
	}{
		{"nothing dropped", nil, metav1.ConditionFalse, "AsExpected", "nothing was dropped"},
		{"one input dropped: named with its object", []engine.Finding{missingSet}, metav1.ConditionTrue, accessv1.ReasonPermissionSetNotFound,
			"Member acme/stan: spec.permissionSets[1]: create it"},
		{"several: the first reason, every input", []engine.Finding{missingSet, badEntry}, metav1.ConditionTrue, accessv1.ReasonPermissionSetNotFound,
			"2 inputs dropped: Member acme/stan: spec.permissionSets[1]: create it; PartnerAccess acme/agency-x: spec.partnerAdmins[0].email: name an active Employee"},
		{"many: the first ten, the rest counted", slices.Repeat([]engine.Finding{missingSet}, 300), metav1.ConditionTrue, accessv1.ReasonPermissionSetNotFound,
			"300 inputs dropped: " + strings.Repeat("Member acme/stan: spec.permissionSets[1]: create it; ", 10) + "and 290 more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := effectivePermissionStatus(accessv1.EffectivePermissionStatus{}, 4, tc.dropped)
			r, d := find(st.Conditions, accessv1.ConditionReady), find(st.Conditions, accessv1.ConditionDegraded)
			if st.ObservedGeneration != 4 || r.Status != metav1.ConditionTrue || r.ObservedGeneration != 4 {
				t.Errorf("observedGeneration %d, Ready %+v: want 4 and True (the EP is in force)", st.ObservedGeneration, r)
			}
			if d.Status != tc.degraded || d.Reason != tc.reason || d.Message != tc.message || d.ObservedGeneration != 4 {
				t.Errorf("Degraded = %+v, want %s %s %q", d, tc.degraded, tc.reason, tc.message)
			}
			// Recomputed with the same inputs, the status is unchanged (no write).
			if again := effectivePermissionStatus(st, 4, tc.dropped); !cmp.Equal(again, st) {
				t.Errorf("an unchanged result changed the status:\n%s", cmp.Diff(st, again))
			}
			// Fixed: Degraded turns False.
			if fixed := find(effectivePermissionStatus(st, 5, nil).Conditions, accessv1.ConditionDegraded); fixed.Status != metav1.ConditionFalse {
				t.Errorf("with nothing dropped any more, Degraded = %+v", fixed)
			}
		})
	}
}

// TestConditionsStable: setting the same result again changes nothing, so a
// resync writes no status (a hot loop otherwise, knative/serving#1181).
func TestConditionsStable(t *testing.T) {
	var conds []metav1.Condition
	setConditions(&conds, 1, nil, "ok", nil)
	conds[0].LastTransitionTime = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	before := append([]metav1.Condition(nil), conds...)
	setConditions(&conds, 1, nil, "ok", nil)
	if diff := cmp.Diff(before, conds); diff != "" {
		t.Errorf("an unchanged result changed the conditions:\n%s", diff)
	}
}

func TestModeChanges(t *testing.T) {
	p := &accessv1.VisibilityPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "acme", Generation: 2},
		Spec: accessv1.VisibilityPolicySpec{Mode: accessv1.ModeDepartment}}
	p.Status.Mode = accessv1.ModePermissionGroup
	res := engine.Compute(&engine.Snapshot{}, time.Now())
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	st := visibilityPolicyStatus(p, res, at)
	want := []accessv1.ModeChange{{From: accessv1.ModePermissionGroup, To: accessv1.ModeDepartment, Generation: 2, ObservedAt: &metav1.Time{Time: at}, Conversions: []accessv1.VisibilityConversion{
		{From: "Public", To: "Public"}, {From: "Group", To: "Public"}, {From: "OwnerAndGroups", To: "Public"}, {From: "Private", To: "Private"}}}}
	if diff := cmp.Diff(want, st.ModeChanges); diff != "" {
		t.Errorf("PermissionGroup → Department (-want +got):\n%s", diff)
	}
	p.Status = st
	// Recomputed later with the mode unchanged, the status is the same:
	// nothing re-stamped (every resync would write otherwise).
	if again := visibilityPolicyStatus(p, res, at.Add(time.Hour)); !cmp.Equal(again, st) {
		t.Errorf("an unchanged mode changed the status:\n%s", cmp.Diff(st, again))
	}
	p.Spec.Mode, p.Generation = accessv1.ModePermissionGroup, 3
	back := visibilityPolicyStatus(p, res, at)
	if diff := cmp.Diff([]accessv1.VisibilityConversion{{From: "Public", To: "Group"}, {From: "Private", To: "Private"}}, back.ModeChanges[1].Conversions); diff != "" {
		t.Errorf("Department → PermissionGroup (-want +got):\n%s", diff)
	}
	// Department → RoleHierarchy → PermissionGroup: the stored values were
	// written in Department mode, so that table applies.
	p.Status = back
	p.Spec.Mode, p.Generation = accessv1.ModeRoleHierarchy, 4
	p.Status = visibilityPolicyStatus(p, res, at)
	if c := p.Status.ModeChanges[2]; c.From != accessv1.ModePermissionGroup || c.To != accessv1.ModeRoleHierarchy || len(c.Conversions) != 0 {
		t.Errorf("PermissionGroup → RoleHierarchy: %+v, want no conversions (RoleHierarchy reads no visibility)", c)
	}
	p.Spec.Mode, p.Generation = accessv1.ModeDepartment, 5
	p.Status = visibilityPolicyStatus(p, res, at)
	if diff := cmp.Diff(want[0].Conversions, p.Status.ModeChanges[3].Conversions); diff != "" {
		t.Errorf("PermissionGroup → RoleHierarchy → Department converts as PermissionGroup → Department (-want +got):\n%s", diff)
	}
	// The history keeps the newest switches.
	for g := int64(6); g < 6+2*maxModeChanges; g++ {
		p.Spec.Mode, p.Generation = []accessv1.VisibilityMode{accessv1.ModePermissionGroup, accessv1.ModeDepartment}[g%2], g
		p.Status = visibilityPolicyStatus(p, res, at)
	}
	if n, last := len(p.Status.ModeChanges), p.Status.ModeChanges[len(p.Status.ModeChanges)-1]; n != maxModeChanges || last.Generation != 5+2*maxModeChanges {
		t.Errorf("after many switches: %d kept, the last of generation %d; want %d and %d", n, last.Generation, maxModeChanges, 5+2*maxModeChanges)
	}
	first := &accessv1.VisibilityPolicy{Spec: accessv1.VisibilityPolicySpec{Mode: accessv1.ModeDepartment}}
	if st := visibilityPolicyStatus(first, res, at); len(st.ModeChanges) != 0 || st.Mode != accessv1.ModeDepartment {
		t.Errorf("a new policy recorded a change: %+v", st)
	}
}

func TestPartnerAccessPendingWithoutTenant(t *testing.T) {
	pa := &accessv1.PartnerAccess{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "nowhere"}, Spec: accessv1.PartnerAccessSpec{Partner: "p"}}
	st := partnerAccessStatus(pa, engine.Compute(&engine.Snapshot{PartnerAccesses: []accessv1.PartnerAccess{*pa}}, time.Now()))
	if st.Phase != accessv1.PhasePending {
		t.Errorf("phase %q, want Pending", st.Phase)
	}
	if r := find(st.Conditions, accessv1.ConditionReady); r.Status != metav1.ConditionFalse || r.Reason != accessv1.ReasonNoTenant {
		t.Errorf("Ready = %+v", r)
	}
}

func find(conds []metav1.Condition, typ string) metav1.Condition {
	for _, c := range conds {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

// Counts the engine did not compute are absent, never 0 nor what they were.
func TestUncomputedCounts(t *testing.T) {
	five := ptr.To(int32(5))
	held := accessv1.TenantStatus{Members: five, ActiveSuperAdmins: five, Roles: five, PartnerAccess: []string{"p"}}
	winner := accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: accessv1.TenantSpec{Namespace: "x"}}
	loser := accessv1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Spec: accessv1.TenantSpec{Namespace: "x"}, Status: held}
	orphan := accessv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "orphan"}, Spec: accessv1.RoleSpec{ReportsTo: "ghost"},
		Status: accessv1.RoleStatus{Depth: five}}
	elsewhere := accessv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "unclaimed", Name: "r"}, Status: accessv1.RoleStatus{Depth: five, Members: five}}
	res := engine.Compute(&engine.Snapshot{Tenants: []accessv1.Tenant{winner, loser}, Roles: []accessv1.Role{orphan, elsewhere}}, time.Now())

	if st := tenantStatus(&loser, res); st.Members != nil || st.ActiveSuperAdmins != nil || st.Roles != nil || st.PartnerAccess != nil {
		t.Errorf("a Tenant that lost its namespace kept counts: %+v", st)
	} else if r := find(st.Conditions, accessv1.ConditionReady); r.Reason != accessv1.ReasonDuplicateTenant {
		t.Errorf("its Ready = %+v, want %s", r, accessv1.ReasonDuplicateTenant)
	}
	if st := roleStatus(&orphan, res); st.Depth != nil || st.Members == nil || *st.Members != 0 {
		t.Errorf("a role outside the tree: depth %v members %v; want no depth and 0 members", st.Depth, st.Members)
	}
	if st := roleStatus(&elsewhere, res); st.Depth != nil || st.Members != nil || st.SubordinateRoles != nil {
		t.Errorf("a role no Tenant claims kept counts: %+v", st)
	}
	if st := roleStatus(&orphan, res); !cmp.Equal(roleStatus(&accessv1.Role{ObjectMeta: orphan.ObjectMeta, Spec: orphan.Spec, Status: st}, res), st) {
		t.Error("a recomputed role status changed")
	}
}

// TestSameStatus holds sameStatus to apiequality.Semantic.DeepEqual on
// random statuses of every kind, each compared with a copy changed in one
// random way (or not at all): a condition's field, its time by a
// nanosecond or in another location (the same instant), a condition more or
// fewer, nil against empty, or one of the kind's own fields.
func TestSameStatus(t *testing.T) {
	testSameStatus[accessv1.TenantStatus](t)
	testSameStatus[accessv1.MemberStatus](t)
	testSameStatus[accessv1.RoleStatus](t)
	testSameStatus[accessv1.PermissionSetStatus](t)
	testSameStatus[accessv1.PartnerAccessStatus](t)
	testSameStatus[accessv1.VisibilityPolicyStatus](t)
	testSameStatus[accessv1.EffectivePermissionStatus](t)
}

func testSameStatus[S any, PS interface {
	*S
	kindStatus
}](t *testing.T) {
	r := rand.New(rand.NewSource(1))
	fill := randfill.New().RandSource(r).NilChance(0.2).NumElements(0, 3)
	agree, differ := 0, 0
	for range 3000 {
		var a S
		fill.Fill(&a)
		b := *deepCopy(&a)
		changeStatus(r, fill, PS(&b))
		want := apiequality.Semantic.DeepEqual(&a, &b)
		if got := sameStatus(PS(&a), PS(&b)); got != want {
			t.Fatalf("%T: sameStatus says %v, Semantic.DeepEqual %v:\n%s", a, got, want, cmp.Diff(a, b))
		}
		if want {
			agree++
		} else {
			differ++
		}
	}
	if agree < 300 || differ < 300 {
		t.Fatalf("%T: %d pairs equal and %d not: the test compares too few of one", *new(S), agree, differ)
	}
}

// deepCopy copies a status with its own DeepCopy.
func deepCopy[S any](s *S) *S {
	return any(s).(interface{ DeepCopy() *S }).DeepCopy()
}

func changeStatus(r *rand.Rand, fill *randfill.Filler, s kindStatus) {
	c := s.Common()
	conds := c.Conditions
	switch n := r.Intn(10); {
	case n == 0: // unchanged
	case n == 1:
		c.ObservedGeneration++
	case n == 2 && len(conds) > 0:
		c.Conditions = conds[1:]
	case n == 3:
		c.Conditions = append(conds, metav1.Condition{Type: "Extra"})
	case n == 4 && len(conds) == 0:
		if conds == nil {
			c.Conditions = []metav1.Condition{}
		} else {
			c.Conditions = nil
		}
	case n < 8 && len(conds) > 0:
		cond := &conds[r.Intn(len(conds))]
		switch r.Intn(7) {
		case 0:
			cond.Type += "x"
		case 1:
			cond.Status += "x"
		case 2:
			cond.Reason += "x"
		case 3:
			cond.Message += "x"
		case 4:
			cond.ObservedGeneration++
		case 5:
			cond.LastTransitionTime = metav1.NewTime(cond.LastTransitionTime.Add(time.Nanosecond))
		case 6:
			cond.LastTransitionTime = metav1.NewTime(cond.LastTransitionTime.In(time.FixedZone("elsewhere", 3600)))
		}
	default: // one of the kind's own fields, filled afresh or emptied
		v := reflect.ValueOf(s).Elem()
		var own []int
		for i := range v.NumField() {
			if v.Type().Field(i).Type != reflect.TypeFor[accessv1.CommonStatus]() {
				own = append(own, i)
			}
		}
		if len(own) == 0 {
			return
		}
		f := v.Field(own[r.Intn(len(own))])
		if r.Intn(3) == 0 {
			f.SetZero()
		} else {
			fill.Fill(f.Addr().Interface())
		}
	}
}
