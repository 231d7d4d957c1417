package engine_test

import (
	"math"
	"testing"
	"time"

	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

// TestNextExpiry: when the controller must look again so that an expiry
// takes effect at its moment (semantics.md §4), at the extremes. The answer
// is a second after the earliest expiresAt still ahead, and never wraps: a
// PartnerAccess that expires in the year 9999 must not hide the others.
func TestNextExpiry(t *testing.T) {
	now := et.Now // 2026-11-25T12:00:00Z
	pa := func(name, expiresAt string) *et.PartnerAccessWrapper {
		return et.MakePartnerAccess(acme, name).Partner(agency).ApprovedBy(e("carol")).ExpiresAt(expiresAt)
	}
	const far = "9999-12-31T23:59:59Z"
	const max = time.Duration(math.MaxInt64)
	hour := time.Hour + engine.ExpiryMargin

	cases := []struct {
		name string
		objs []any
		want time.Duration
		ok   bool
	}{
		{"no PartnerAccess", nil, 0, false},
		{"a PartnerAccess without expiresAt", []any{et.MakePartnerAccess(acme, "a").Partner(agency)}, 0, false},
		{"one in an hour", []any{pa("a", "2026-11-25T13:00:00Z")}, hour, true},
		{"one at a fraction of a second", []any{pa("a", "2026-11-25T12:00:00.5Z")}, 500*time.Millisecond + engine.ExpiryMargin, true},
		{"one in another time zone", []any{pa("a", "2026-11-25T14:00:00+01:00")}, hour, true},
		{"the year 9999 saturates, never wraps", []any{pa("a", far)}, max, true},
		{"the year 9999 first, one in an hour last", []any{pa("a", far), pa("b", "2026-11-25T13:00:00Z")}, hour, true},
		{"one in an hour first, the year 9999 last", []any{pa("a", "2026-11-25T13:00:00Z"), pa("b", far)}, hour, true},
		{"many, the far ones around the nearest", []any{pa("a", far), pa("b", "2027-01-01T00:00:00Z"), pa("c", "2026-11-25T13:00:00Z"), pa("d", far), pa("e", "2026-12-01T00:00:00Z")}, hour, true},
		{"the margin after still fits a Duration", []any{pa("a", now.Add(max.Truncate(time.Second)-time.Second).Format(time.RFC3339))}, max.Truncate(time.Second) - time.Second + engine.ExpiryMargin, true},
		{"the margin after no longer fits a Duration: saturates", []any{pa("a", now.Add(max-engine.ExpiryMargin/2).Format(time.RFC3339Nano))}, max, true},
		{"the year 1 is past", []any{pa("a", "0001-01-01T00:00:00Z")}, 0, false},
		{"the year 1 beside one in an hour", []any{pa("a", "0001-01-01T00:00:00Z"), pa("b", "2026-11-25T13:00:00Z")}, hour, true},
		{"now exactly at expiry: expired already", []any{pa("a", "2026-11-25T12:00:00Z")}, 0, false},
		{"a second ago", []any{pa("a", "2026-11-25T11:59:59Z")}, 0, false},
		{"a past one beside a future one", []any{pa("a", "2026-11-01T00:00:00Z"), pa("b", "2026-11-25T13:00:00Z")}, hour, true},
		{"an unparseable value counts as expired", []any{pa("a", "next tuesday")}, 0, false},
		{"a date without a time is unparseable", []any{pa("a", "2027-03-31")}, 0, false},
		{"an unparseable one beside a future one", []any{pa("a", "soon"), pa("b", "2026-11-25T13:00:00Z")}, hour, true},
		{"another namespace's expiry is not this one's", []any{et.MakePartnerAccess("globex", "a").Partner(agency).ExpiresAt("2026-11-25T12:30:00Z"), pa("b", "2026-11-25T13:00:00Z")}, hour, true},
		{"a PartnerAccess being deleted has no expiry left", []any{et.Terminating(pa("a", "2026-11-25T12:30:00Z")), pa("b", "2026-11-25T13:00:00Z")}, hour, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := engine.NextExpiry(et.Snap(c.objs...), acme, now)
			if got != c.want || ok != c.ok {
				t.Errorf("NextExpiry = %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
			if got < 0 {
				t.Errorf("NextExpiry = %v: negative", got)
			}
		})
	}
}
