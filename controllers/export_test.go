package controllers

// Exported for the scale run's floor (scale_test.go): the statuses the
// controller writes, sent directly.
var (
	MemberStatus              = memberStatus
	EffectivePermissionStatus = effectivePermissionStatus
)

// VerifyReadOnly has every pass report, through report, any object it
// changed among those it listed from the cache without copying (readonly.go).
func VerifyReadOnly(report func(what string)) { verifyReadOnly = report }
