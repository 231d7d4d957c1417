package engine

import (
	"strings"
	"sync"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Lookup returns the EffectivePermission of user (an e-mail, any case) in the
// tenant named tenant, or nil when the user has none there.
func (r *Result) Lookup(tenant, user string) *accessv1.EffectivePermission {
	i, ok := r.index().byUser[tenant][strings.ToLower(user)]
	if !ok {
		return nil
	}
	return &r.EffectivePermissions[i]
}

// RecordOwner says what a record owned by email in tenant needs for a
// decision: the owner's role (department) and whether the owner is an active
// member. An unknown owner has no role and is not active.
func (r *Result) RecordOwner(tenant, email string) Owner {
	return r.index().owners[tenant][strings.ToLower(email)]
}

// lookups are a Result's indexes by user and by record owner, made on first
// use: a controller pass asks neither (it writes every EffectivePermission
// by name), accessctl and the tests ask both.
type lookups struct {
	once   sync.Once
	byUser map[string]map[string]int   // tenant name → lowercase e-mail → EP
	owners map[string]map[string]Owner // tenant name → lowercase e-mail → owner
}

func (r *Result) index() *lookups {
	l := r.lookups
	if l == nil { // a Result not made by Compute: it holds nothing
		return &lookups{}
	}
	l.once.Do(func() {
		l.byUser = make(map[string]map[string]int, len(r.owners))
		for i := range r.EffectivePermissions {
			spec := &r.EffectivePermissions[i].Spec
			if l.byUser[spec.Tenant] == nil {
				l.byUser[spec.Tenant] = map[string]int{}
			}
			l.byUser[spec.Tenant][spec.User] = i
		}
		l.owners = make(map[string]map[string]Owner, len(r.owners))
		for tenant, os := range r.owners {
			m := make(map[string]Owner, len(os))
			for _, o := range os {
				m[o.email] = o.Owner
			}
			l.owners[tenant] = m
		}
	})
	return l
}
