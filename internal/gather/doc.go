// Package gather reads the engine's snapshot of one tenant from a
// controller-runtime reader: the manager's cache for the reconcilers, and
// the cache joined with a live read of the tenant's own namespace for the
// webhooks' atomic judgements (docs/admission.md). It owns the field
// indexes both rely on, so neither the webhooks nor the reconcilers depend
// on the other having registered them.
package gather
