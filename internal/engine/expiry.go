package engine

import (
	"math"
	"time"
)

// ExpiryMargin is how long after an expiry the controller looks again.
const ExpiryMargin = 10 * time.Millisecond

// NextExpiry says when the controller must compute namespace ns again so
// that a PartnerAccess expiry takes effect at its moment, not at the next
// unrelated event (semantics.md §4): ExpiryMargin after the earliest expiresAt
// still ahead of now, among the namespace's PartnerAccess objects that are
// not being deleted. It reports false when none lies ahead: no expiresAt, or
// each one past, unparseable (which counts as expired already) or exactly
// now (access is active only while now < expiresAt).
//
// The arithmetic saturates: an expiry beyond what a time.Duration holds
// (about 292 years, e.g. 9999-12-31T23:59:59Z) gives the largest Duration,
// never a wrapped negative one that would hide every other expiry.
//
// A timer that fires a little early finds the PartnerAccess still active
// and gets a short positive wait again, so the margin only needs to cover
// the clock's granularity; it was a whole second, which delayed every
// expiry's revocation by one (docs/reliability.md).
func NextExpiry(snap *Snapshot, ns string, now time.Time) (time.Duration, bool) {
	var next time.Duration
	found := false
	for i := range snap.PartnerAccesses {
		pa := &snap.PartnerAccesses[i]
		if pa.Namespace != ns || pa.Spec.ExpiresAt == "" || terminating(pa) {
			continue
		}
		exp, err := time.Parse(time.RFC3339, pa.Spec.ExpiresAt)
		if err != nil || !now.Before(exp) {
			continue
		}
		d := exp.Sub(now) // positive; Sub itself saturates
		if d > math.MaxInt64-ExpiryMargin {
			d = math.MaxInt64
		} else {
			d += ExpiryMargin
		}
		if !found || d < next {
			next, found = d, true
		}
	}
	return next, found
}
