package engine

// ComputeSpelledOut is Compute without its last stage: every
// EffectivePermission with its grants and sources spelled out (as
// EffectivePermissions were written before the compact shape).
var ComputeSpelledOut = computeSpelledOut

// SetMemoize turns the sharing of computed parts between people of one pass
// on or off (memoEntry, memberSource).
func SetMemoize(on bool) { memoize = on }
