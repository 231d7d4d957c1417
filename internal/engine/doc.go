// Package engine computes, from a snapshot of access.tenancy.dev objects and
// the current time, every EffectivePermission and every finding of the spec's
// invariants. It is pure: no Kubernetes client, no I/O, no clock reads, no map
// iteration order in its output. The controller, the admission webhooks and
// accessctl all call it, so the offline answer for a set of manifests is
// exactly what a cluster converges to.
//
// The engine decides grants; the check package (pkg/check) evaluates one
// EffectivePermission against one record. Nothing else decides access.
package engine
