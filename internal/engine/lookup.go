package engine

import (
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Lookup returns the EffectivePermission of user (an e-mail, any case) in the
// tenant named tenant, or nil when the user has none there.
func (r *Result) Lookup(tenant, user string) *accessv1.EffectivePermission {
	i, ok := r.byUser[tenant][strings.ToLower(user)]
	if !ok {
		return nil
	}
	return &r.EffectivePermissions[i]
}

// RecordOwner says what a record owned by email in tenant needs for a
// decision: the owner's role (department) and whether the owner is an active
// member. An unknown owner has no role and is not active.
func (r *Result) RecordOwner(tenant, email string) Owner {
	return r.owners[tenant][strings.ToLower(email)]
}
