// Package enginetest builds fixtures for the engine's tests: wrappers around
// the access.tenancy.dev/v1alpha1 types in the style of kueue's testing
// wrappers (MakeMember("acme", "alice").Role("sales").Sets("rep").Obj()), a
// Snap function that assembles an engine.Snapshot from any mix of them, and
// Decide / Capability helpers that ask the check package a question about a
// computed Result exactly the way `accessctl check` does (the record owner's
// role and activity come from Result.RecordOwner; a user without an
// EffectivePermission is denied).
//
// The fixtures are written from the product spec, not from the engine: they
// know nothing about the engine's internals.
package enginetest
