package controllers

// Exported for the scale run's floor (scale_test.go): the statuses the
// controller writes, sent directly.
var (
	MemberStatus              = memberStatus
	EffectivePermissionStatus = effectivePermissionStatus
)
