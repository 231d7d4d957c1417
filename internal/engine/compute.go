package engine

import "time"

// Compute computes every EffectivePermission and finding of the snapshot at
// time now. It never panics on bad input and never reads the clock.
func Compute(s *Snapshot, now time.Time) *Result {
	_ = now
	return &Result{}
}
