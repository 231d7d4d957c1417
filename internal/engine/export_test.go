package engine

// ComputeSpelledOut is Compute without its last stage: every
// EffectivePermission with its grants and sources spelled out (as
// EffectivePermissions were written before the compact shape).
var ComputeSpelledOut = computeSpelledOut
