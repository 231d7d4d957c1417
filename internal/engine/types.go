package engine

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Snapshot is every input object the engine reads. Order does not matter:
// the engine sorts what it needs. The engine never changes a snapshot or
// anything it points to.
type Snapshot struct {
	Tenants []accessv1.Tenant
	// Members are held by pointer: a tenant may have tens of thousands,
	// and the controller's pass takes them from its cache's store as they
	// are, without copying them (every other kind is copied in; a tenant
	// has few of them).
	Members            []*accessv1.Member
	Roles              []accessv1.Role
	PermissionSets     []accessv1.PermissionSet
	PartnerAccesses    []accessv1.PartnerAccess
	VisibilityPolicies []accessv1.VisibilityPolicy
	// EffectivePermissions found among the inputs. Offline (accessctl) they
	// are user-written and reported (only the controller writes them); the
	// controller leaves this empty.
	EffectivePermissions []accessv1.EffectivePermission
}

// Pointers points at each of objs (Snapshot.Members from a list's items).
func Pointers[T any](objs []T) []*T {
	out := make([]*T, len(objs))
	for i := range objs {
		out[i] = &objs[i]
	}
	return out
}

// Add files an object of one of the seven kinds under its kind, and reports
// false for anything else.
func (s *Snapshot) Add(obj any) bool {
	switch o := obj.(type) {
	case *accessv1.Tenant:
		s.Tenants = append(s.Tenants, *o)
	case *accessv1.Member:
		m := *o // a copy, as the other kinds are
		s.Members = append(s.Members, &m)
	case *accessv1.Role:
		s.Roles = append(s.Roles, *o)
	case *accessv1.PermissionSet:
		s.PermissionSets = append(s.PermissionSets, *o)
	case *accessv1.PartnerAccess:
		s.PartnerAccesses = append(s.PartnerAccesses, *o)
	case *accessv1.VisibilityPolicy:
		s.VisibilityPolicies = append(s.VisibilityPolicies, *o)
	case *accessv1.EffectivePermission:
		s.EffectivePermissions = append(s.EffectivePermissions, *o)
	default:
		return false
	}
	return true
}

// Severity says how the API server treats a finding's invariant.
type Severity string

const (
	// Refused findings break an invariant the API server refuses (CEL or a
	// validating webhook). Offline they make `accessctl validate` fail.
	Refused Severity = "Refused"
	// Reported findings are accepted by the API server but shown as a
	// condition; nothing is granted from the broken part.
	Reported Severity = "Reported"
)

// ObjectRef names an input object.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String renders "Kind namespace/name", or "Kind name" when cluster-scoped.
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// Finding is one broken invariant: which object, which field, why (a Reason*
// constant of the API package), and a message for people that says what to do.
type Finding struct {
	Object   ObjectRef `json:"object"`
	Field    string    `json:"field"`
	Reason   string    `json:"reason"`
	Message  string    `json:"message"`
	Severity Severity  `json:"severity"`
	// Tenant is the tenant the finding belongs to, when there is one.
	Tenant string `json:"tenant,omitempty"`
}

// partialReasons are the reasons of findings that drop only part of an
// object: the rest of it still grants.
var partialReasons = map[string]bool{
	accessv1.ReasonPermissionSetNotFound:  true,
	accessv1.ReasonPartnerAdminInvalid:    true,
	accessv1.ReasonDelegationExceeded:     true,
	accessv1.ReasonNeverGranted:           true,
	accessv1.ReasonGranterNotPartnerAdmin: true,
	accessv1.ReasonNoPartnerAccess:        true,
	accessv1.ReasonRoleNotFound:           true,
	accessv1.ReasonMigrationInvalid:       true,
	accessv1.ReasonBeyondPartnerCeiling:   true,
}

// Partial reports whether the finding drops only part of its object, the
// rest still granting: such a finding makes the object Degraded (every
// finding makes it not Ready).
func (f Finding) Partial() bool { return partialReasons[f.Reason] }

// Stalls reports whether finding f of this result needs a person to change
// an object: a broken invariant (Refused) that no object yet to arrive could
// clear. Its object is then Stalled (kstatus: Failed). Any other finding —
// a reference not there yet, an expired or unapproved access — leaves the
// object Reconciling (kstatus: InProgress): it waits for an input.
func (r *Result) Stalls(f Finding) bool { return f.Severity == Refused && !r.pending[f] }

// String renders "Kind namespace/name: field: message".
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s", f.Object, f.Field, f.Message)
}

// Result is everything the engine computes from a snapshot.
type Result struct {
	// EffectivePermissions of every user of every tenant, sorted by
	// namespace and name. Each carries TypeMeta, metadata.name,
	// metadata.namespace, metadata.labels and spec; never status.
	EffectivePermissions []accessv1.EffectivePermission
	// Findings, sorted by object, field and reason.
	Findings []Finding

	// owners are, per tenant name, the record owners (recordOwners);
	// lookups indexes them and the EPs on first use.
	owners  map[string][]recordOwner
	lookups *lookups
	// sum holds the status summaries (summary.go).
	sum summaries
	// pending marks Refused findings that objects yet to arrive could clear.
	pending map[Finding]bool
	// people says, beside each EffectivePermission (same index), what it is
	// computed from; reused is how many kept the spec offered.
	people []person
	reused int
}

// person is what a Result knows of one EffectivePermission besides it.
type person struct {
	// sources are the objects it is computed from (Result.Sources), and
	// their UIDs.
	sources []ObjectRef
	uids    []types.UID
	// fingerprint is set when fingerprinted (ComputeReusing only).
	fingerprint   Fingerprint
	fingerprinted bool
	// reused is true when the spec is the one offered (ComputeReusing).
	reused bool
}

// Owner is what the check package needs to know about a record's owner.
type Owner struct {
	// Role is the owner's role (its department), empty when it has none:
	// non-members, Admins, Developers, roles that name no Role.
	Role string
	// Active is true when the owner is an active member of the tenant.
	Active bool
}
