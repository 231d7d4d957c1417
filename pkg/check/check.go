package check

import (
	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Record is the record an action is asked about.
type Record struct {
	// Type is the object type, e.g. deals.
	Type string
	// Owner is the owner's e-mail. Empty asks the functional question only:
	// may the user perform the action on the type at all.
	Owner string
	// OwnerRole is the owner's role in the tenant (its department), empty
	// when the owner has none (non-members, Admins, Developers).
	OwnerRole string
	// OwnerActive is true when the owner is an active member of the tenant.
	// Records of anyone else are reachable only through All, Public and
	// Department grants. The zero value (false) fails closed.
	OwnerActive bool
	// Visibility is the visibility the record states; empty when none.
	Visibility accessv1.Visibility
	// Groups are the roles named by an OwnerAndGroups record.
	Groups []string
	// Field, when set, asks about one field: any action is denied when the
	// field is hidden from the user on this record.
	Field string
}

// Decision is the answer to one question.
type Decision struct {
	// Allowed is the decision.
	Allowed bool
	// Access is the user's access to the record (None for functional and
	// capability questions).
	Access accessv1.AccessLevel
	// Reasons say what decided it: the via of the deciding grants and
	// sources, or why nothing allowed it.
	Reasons []string
}
