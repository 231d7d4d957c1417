// Package question is one access question asked of a tenant's users — may
// this user use a capability, perform an action on a type at all, or on a
// record — and the two ways of answering it that share one implementation:
// Decide, for one user, and WhoCan, for every user of the tenant.
//
// `accessctl check` and `who-can` read a Question from flags, the decision
// server (internal/decision) from JSON; both validate it with Validate, in
// their own words for its parts, and answer it with an Asker. The answer
// always comes from pkg/check on the user's EffectivePermission, with the
// record owner's role and membership from the engine (engine.Result's
// RecordOwner): nothing here decides access itself.
package question
