// Package controllers converges a cluster to the engine's answer.
//
// Two reconcilers, one concern each:
//   - TenantReconciler: the unit of work is a tenant's namespace. It reads a
//     snapshot from the cache (internal/gather), calls the engine, and writes the
//     difference: EffectivePermissions (write.go) and every status
//     (status.go). Nothing else decides access.
//   - BuiltinsReconciler: keeps the built-in ceo Role and partner-admin
//     PermissionSet in every tenant namespace, reverting drift.
package controllers
