package engine

import "time"

// ComputeSpelledOut is Compute without its last stage: every
// EffectivePermission with its grants and sources spelled out, as the stages
// read them (and as EffectivePermissions were written before the compact
// shape).
func ComputeSpelledOut(s *Snapshot, now time.Time) *Result {
	w := index(s)
	w.validate()
	w.partnerAccesses(now)
	w.partnerGrants()
	res := w.computeGrants()
	w.summarize(res)
	return res
}
