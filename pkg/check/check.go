package check

import (
	"fmt"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Record is the record an action is asked about.
type Record struct {
	// Type is the object type, e.g. deals: a lowercase type name (see
	// ValidType). Any other value, "Deals" or "*" included, matches no entry
	// and is denied.
	Type string
	// Owner is the owner's e-mail. Every record question names the owner: a
	// record whose Owner is empty is read as a non-member's record (its
	// OwnerRole and OwnerActive are ignored), which only All, Public and
	// department-default grants reach. To ask whether the user may perform
	// an action on the type at all, ask Functional instead.
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
	// Access is the user's access to the record (None for Functional and
	// Capability questions).
	Access accessv1.AccessLevel
	// Reasons say what decided it: the via of the deciding grants and
	// sources, or why nothing allowed it.
	Reasons []string
}

// maxTypeName is the longest object type name the API accepts.
const maxTypeName = 63

// ValidType reports whether typ is an object type name as the API defines
// them (ObjectTypePolicy.name, PermissionSet types): a lowercase DNS label of
// at most 63 characters, such as deals or business-cards. Functional and
// Action deny any other typ, so an application may check its input with
// ValidType first to tell a malformed type from a denial.
func ValidType(typ string) bool {
	if typ == "" || len(typ) > maxTypeName {
		return false
	}
	for i := 0; i < len(typ); i++ {
		switch c := typ[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && i > 0 && i < len(typ)-1:
		default:
			return false
		}
	}
	return true
}

// notATypeName is the reason a question about typ is denied when typ is not
// an object type name.
func notATypeName(typ string) string {
	return fmt.Sprintf("type %q is not an object type name (a lowercase DNS label such as deals): it matches no entry, not even \"*\"", typ)
}
