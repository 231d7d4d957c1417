package controllers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// setConditions writes Ready, Degraded, Reconciling and Stalled from an
// object's findings; stalls says which need a person (the engine's answer,
// Result.Stalls). meta.SetStatusCondition moves lastTransitionTime only when
// a status flips, so an unchanged result leaves the conditions
// byte-identical. What kstatus (Flux, kubectl wait) reads from them:
// Current when Ready, Failed when Stalled, InProgress otherwise.
func setConditions(conds *[]metav1.Condition, generation int64, fs []engine.Finding, readyMessage string, stalls func(engine.Finding) bool) {
	ready := metav1.Condition{Type: accessv1.ConditionReady, Status: metav1.ConditionTrue, Reason: accessv1.ReasonReady,
		Message: readyMessage, ObservedGeneration: generation}
	reconciling := metav1.Condition{Type: accessv1.ConditionReconciling, Status: metav1.ConditionFalse, Reason: accessv1.ReasonReconciled,
		Message: "nothing is awaited", ObservedGeneration: generation}
	stalled := metav1.Condition{Type: accessv1.ConditionStalled, Status: metav1.ConditionFalse, Reason: accessv1.ReasonAsExpected,
		Message: "nothing needs a person", ObservedGeneration: generation}
	var dropped, stalling, waiting []engine.Finding
	if len(fs) > 0 {
		ready.Status, ready.Reason, ready.Message = metav1.ConditionFalse, fs[0].Reason, summarize(fs)
		for _, f := range fs {
			if f.Partial() {
				dropped = append(dropped, f)
			}
			if stalls != nil && stalls(f) {
				stalling = append(stalling, f)
			} else {
				waiting = append(waiting, f)
			}
		}
	}
	switch {
	case len(stalling) > 0:
		stalled.Status, stalled.Reason, stalled.Message = metav1.ConditionTrue, stalling[0].Reason, summarize(stalling)
	case len(waiting) > 0:
		reconciling.Status, reconciling.Reason, reconciling.Message = metav1.ConditionTrue, waiting[0].Reason, summarize(waiting)
	}
	meta.SetStatusCondition(conds, ready)
	meta.SetStatusCondition(conds, degradedCondition(generation, dropped, "problems", fieldLine))
	meta.SetStatusCondition(conds, reconciling)
	meta.SetStatusCondition(conds, stalled)
}

// degradedCondition is Degraded for what was dropped: False when nothing
// was, else True with the first reason and the findings as line writes
// them ("N what: ...").
func degradedCondition(generation int64, dropped []engine.Finding, what string, line func(engine.Finding) string) metav1.Condition {
	c := metav1.Condition{Type: accessv1.ConditionDegraded, Status: metav1.ConditionFalse, Reason: accessv1.ReasonAsExpected,
		Message: "nothing was dropped", ObservedGeneration: generation}
	if len(dropped) > 0 {
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, dropped[0].Reason, joinFindings(dropped, what, line)
	}
	return c
}

// summarize joins findings as "field: message" sentences.
func summarize(fs []engine.Finding) string { return joinFindings(fs, "problems", fieldLine) }

// fieldLine writes a finding about the object itself: "field: message".
func fieldLine(f engine.Finding) string { return f.Field + ": " + f.Message }

// maxListed is how many findings a condition message lists; the rest are
// counted. A condition message holds at most 32768 characters, and an
// EffectivePermission's status travels with its spec, so a message too long
// would fail the write of the spec too (a revocation among them).
const maxListed = 10

// joinFindings writes one finding as it is, several as "N what: a; b; ...",
// listing the first maxListed and counting the others.
func joinFindings(fs []engine.Finding, what string, line func(engine.Finding) string) string {
	if len(fs) == 1 {
		return line(fs[0])
	}
	parts := make([]string, 0, min(len(fs), maxListed)+1)
	for _, f := range fs[:min(len(fs), maxListed)] {
		parts = append(parts, line(f))
	}
	if len(fs) > maxListed {
		parts = append(parts, fmt.Sprintf("and %d more", len(fs)-maxListed))
	}
	return fmt.Sprintf("%d %s: %s", len(fs), what, strings.Join(parts, "; "))
}

func tenantStatus(t *accessv1.Tenant, res *engine.Result) accessv1.TenantStatus {
	st := *t.Status.DeepCopy()
	st.ObservedGeneration = t.Generation
	sum, ok := res.Tenant(t.Name)
	fs := res.FindingsFor(engine.ObjectRef{Kind: accessv1.KindTenant, Name: t.Name})
	st.Members, st.ActiveSuperAdmins, st.Roles, st.PartnerAccess, st.Clients = nil, nil, nil, nil, nil // a Tenant that computes nothing counts nothing
	if ok {
		st.Members, st.ActiveSuperAdmins, st.Roles = ptr.To(sum.Members), ptr.To(sum.ActiveSuperAdmins), ptr.To(sum.Roles)
		st.PartnerAccess, st.Clients = sum.PartnerAccess, sum.Clients
	}
	setConditions(&st.Conditions, t.Generation, fs, fmt.Sprintf("%d members, %d active super admins", ptr.Deref(st.Members, 0), ptr.Deref(st.ActiveSuperAdmins, 0)), res.Stalls)
	return st
}

func memberStatus(m *accessv1.Member, res *engine.Result) accessv1.MemberStatus {
	st := *m.Status.DeepCopy()
	st.ObservedGeneration = m.Generation
	st.Clients = res.Clients(m.Namespace, m.Name)
	setConditions(&st.Conditions, m.Generation, res.FindingsFor(engine.ObjectRef{Kind: accessv1.KindMember, Namespace: m.Namespace, Name: m.Name}), "the member's grants are in force", res.Stalls)
	return st
}

func roleStatus(r *accessv1.Role, res *engine.Result) accessv1.RoleStatus {
	st := *r.Status.DeepCopy()
	st.ObservedGeneration = r.Generation
	// Counts the engine did not compute (no Tenant claims the namespace;
	// no depth outside the tree) are absent, not 0 nor left as they were.
	st.Depth, st.Members, st.SubordinateRoles = nil, nil, nil
	if sum, ok := res.Role(r.Namespace, r.Name); ok {
		st.Members, st.SubordinateRoles = ptr.To(sum.Members), ptr.To(sum.SubordinateRoles)
		if sum.InTree {
			st.Depth = ptr.To(sum.Depth)
		}
	}
	setConditions(&st.Conditions, r.Generation, res.FindingsFor(engine.ObjectRef{Kind: accessv1.KindRole, Namespace: r.Namespace, Name: r.Name}), "the role is in the tree", res.Stalls)
	return st
}

func permissionSetStatus(ps *accessv1.PermissionSet, res *engine.Result) accessv1.PermissionSetStatus {
	st := *ps.Status.DeepCopy()
	st.ObservedGeneration = ps.Generation
	st.Members = ptr.To(res.PermissionSetUsers(ps.Namespace, ps.Name))
	setConditions(&st.Conditions, ps.Generation, res.FindingsFor(engine.ObjectRef{Kind: accessv1.KindPermissionSet, Namespace: ps.Namespace, Name: ps.Name}), "the set is valid", res.Stalls)
	return st
}

func partnerAccessStatus(pa *accessv1.PartnerAccess, res *engine.Result) accessv1.PartnerAccessStatus {
	st := *pa.Status.DeepCopy()
	st.ObservedGeneration = pa.Generation
	sum := res.PartnerAccess(pa.Namespace, pa.Name)
	st.Phase, st.PartnerAdmins, st.Staff = sum.Phase, sum.PartnerAdmins, ptr.To(sum.Staff)
	if st.Phase == "" {
		st.Phase = accessv1.PhasePending // no Tenant claims the namespace yet
	}
	setConditions(&st.Conditions, pa.Generation, res.FindingsFor(engine.ObjectRef{Kind: accessv1.KindPartnerAccess, Namespace: pa.Namespace, Name: pa.Name}),
		fmt.Sprintf("partner %s is active here with %d partner admins and %d staff", pa.Spec.Partner, len(st.PartnerAdmins), sum.Staff), res.Stalls)
	return st
}

// maxModeChanges is how many mode switches a VisibilityPolicy's status
// keeps (the CRD's MaxItems); the oldest go first.
const maxModeChanges = 32

func visibilityPolicyStatus(p *accessv1.VisibilityPolicy, res *engine.Result, now time.Time) accessv1.VisibilityPolicyStatus {
	st := *p.Status.DeepCopy()
	st.ObservedGeneration = p.Generation
	mode := p.ModeOrDefault()
	if st.Mode != "" && st.Mode != mode {
		st.ModeChanges = append(st.ModeChanges, accessv1.ModeChange{From: st.Mode, To: mode, Generation: p.Generation,
			ObservedAt: &metav1.Time{Time: now.UTC().Truncate(time.Second)}, Conversions: conversions(lastVisibilityMode(st), mode)})
		if n := len(st.ModeChanges); n > maxModeChanges {
			st.ModeChanges = slices.Clone(st.ModeChanges[n-maxModeChanges:])
		}
	}
	st.Mode = mode
	setConditions(&st.Conditions, p.Generation, res.FindingsFor(engine.ObjectRef{Kind: accessv1.KindVisibilityPolicy, Namespace: p.Namespace, Name: p.Name}), "the policy is in force", res.Stalls)
	return st
}

// lastVisibilityMode is the last mode whose records carry a visibility
// (PermissionGroup or Department) in force before a switch from st.Mode:
// the stored values were written under it, even when a RoleHierarchy spell
// came in between.
func lastVisibilityMode(st accessv1.VisibilityPolicyStatus) accessv1.VisibilityMode {
	uses := func(m accessv1.VisibilityMode) bool {
		return m == accessv1.ModePermissionGroup || m == accessv1.ModeDepartment
	}
	if uses(st.Mode) {
		return st.Mode
	}
	for i := len(st.ModeChanges) - 1; i >= 0; i-- {
		if c := st.ModeChanges[i]; uses(c.From) {
			return c.From
		}
	}
	return st.Mode
}

// conversions is Hot Profile's table of how stored record visibilities read
// after a mode switch (semantics.md §3).
func conversions(from, to accessv1.VisibilityMode) []accessv1.VisibilityConversion {
	c := func(a, b accessv1.Visibility) accessv1.VisibilityConversion {
		return accessv1.VisibilityConversion{From: a, To: b}
	}
	switch {
	case from == accessv1.ModePermissionGroup && to == accessv1.ModeDepartment:
		return []accessv1.VisibilityConversion{c("Public", "Public"), c("Group", "Public"), c("OwnerAndGroups", "Public"), c("Private", "Private")}
	case from == accessv1.ModeDepartment && to == accessv1.ModePermissionGroup:
		return []accessv1.VisibilityConversion{c("Public", "Group"), c("Private", "Private")}
	}
	return nil
}

// effectivePermissionStatus is the status of an EffectivePermission written
// now as generation. The kind has no status subresource: the controller, its
// only writer, sends the status in the same request as the spec, so a
// converge costs one request per EffectivePermission instead of two. Any
// write that changes more than metadata makes the API server set
// metadata.generation to the previous one plus one (1 on create), and every
// such write of ours carries its status, so generation is the one the write
// produces.
//
// Ready is True: the EP is the engine's answer for the current inputs and in
// force. Degraded is True when part of what the user's own entries would
// give was dropped (engine.Result.Dropped); its message names each object,
// field and reason, since they are other objects than the EP itself.
func effectivePermissionStatus(old accessv1.EffectivePermissionStatus, generation int64, dropped []engine.Finding) accessv1.EffectivePermissionStatus {
	st := *old.DeepCopy()
	st.ObservedGeneration = generation
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: accessv1.ConditionReady, Status: metav1.ConditionTrue,
		Reason: accessv1.ReasonReady, Message: "computed from the current inputs", ObservedGeneration: generation})
	meta.SetStatusCondition(&st.Conditions, degradedCondition(generation, dropped, "inputs dropped", engine.Finding.String))
	return st
}
