package enginetest

import (
	"strings"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Rec is the record a question is about, as `accessctl check` takes it:
// type, owner, visibility, groups and field. The owner's role and whether
// the owner is an active member are not given: Decide reads them from the
// Result, as accessctl does.
type Rec struct {
	Type       string
	Owner      string
	Visibility accessv1.Visibility
	Groups     []string
	Field      string
}

// NoEP is the Reasons of a decision for a user without an
// EffectivePermission in the tenant.
const NoEP = "no EffectivePermission"

// Record turns r into the check package's Record, filling the owner's role
// and activity from res exactly as `accessctl check` does.
func Record(res *engine.Result, tenant string, r Rec) check.Record {
	rec := check.Record{
		Type:       r.Type,
		Owner:      r.Owner,
		Visibility: r.Visibility,
		Groups:     r.Groups,
		Field:      r.Field,
	}
	if r.Owner != "" {
		o := res.RecordOwner(tenant, r.Owner)
		rec.OwnerRole, rec.OwnerActive = o.Role, o.Active
	}
	return rec
}

// Decide asks whether user may perform action on the record r in tenant;
// without an owner, whether user may perform action on r's type at all (the
// functional question, as `accessctl check` asks it without --owner). A user
// with no EffectivePermission there is denied with access None.
func Decide(t testing.TB, res *engine.Result, tenant, user string, action accessv1.Action, r Rec) check.Decision {
	t.Helper()
	ep := res.Lookup(tenant, user)
	if ep == nil {
		return check.Decision{Allowed: false, Access: accessv1.AccessNone, Reasons: []string{NoEP}}
	}
	if r.Owner == "" {
		return check.Compile(&ep.Spec).Functional(action, r.Type)
	}
	return check.Compile(&ep.Spec).Action(action, Record(res, tenant, r))
}

// Capability asks whether user holds the capability name in tenant. A user
// with no EffectivePermission there is denied.
func Capability(t testing.TB, res *engine.Result, tenant, user, name string) check.Decision {
	t.Helper()
	ep := res.Lookup(tenant, user)
	if ep == nil {
		return check.Decision{Allowed: false, Access: accessv1.AccessNone, Reasons: []string{NoEP}}
	}
	return check.Compile(&ep.Spec).Capability(name)
}

// EPsOf returns every EffectivePermission of res in namespace ns whose
// spec.user is user (case-insensitively).
func EPsOf(res *engine.Result, ns, user string) []accessv1.EffectivePermission {
	var out []accessv1.EffectivePermission
	for _, ep := range res.EffectivePermissions {
		if ep.Namespace == ns && strings.EqualFold(ep.Spec.User, user) {
			out = append(out, ep)
		}
	}
	return out
}

// FindingKey is what identifies a finding in the findings contract
// (docs/findings.md): the object, the field, the reason and the severity.
type FindingKey struct {
	Kind, Namespace, Name string
	Field                 string
	Reason                string
	Severity              engine.Severity
}

// Key returns f's FindingKey.
func Key(f engine.Finding) FindingKey {
	return FindingKey{
		Kind: f.Object.Kind, Namespace: f.Object.Namespace, Name: f.Object.Name,
		Field: f.Field, Reason: f.Reason, Severity: f.Severity,
	}
}

// FindFinding returns the finding of res with key k, if any.
func FindFinding(res *engine.Result, k FindingKey) (engine.Finding, bool) {
	for _, f := range res.Findings {
		if Key(f) == k {
			return f, true
		}
	}
	return engine.Finding{}, false
}

// DescribeFindings renders every finding of res, one per line, for failure
// messages.
func DescribeFindings(res *engine.Result) string {
	if len(res.Findings) == 0 {
		return "  (no findings)"
	}
	var b strings.Builder
	for _, f := range res.Findings {
		b.WriteString("  ")
		b.WriteString(string(f.Severity))
		b.WriteString(" ")
		b.WriteString(f.Reason)
		b.WriteString(" ")
		b.WriteString(f.String())
		b.WriteString("\n")
	}
	return b.String()
}
