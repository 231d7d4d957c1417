package engine_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
)

var benchNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// BenchmarkRender computes every EffectivePermission of one tenant. The
// sizes grow 10× in members and roles so the growth can be read off
// (docs/performance.md).
func BenchmarkRender(b *testing.B) {
	for _, size := range []struct{ members, roles int }{{1000, 100}, {2500, 250}, {5000, 500}, {10000, 1000}} {
		b.Run(fmt.Sprintf("members=%d,roles=%d", size.members, size.roles), func(b *testing.B) {
			snap := fixture.Tenant("acme", size.members, size.roles, 1).Snapshot()
			b.ReportAllocs()
			b.ResetTimer()
			var res *engine.Result
			for b.Loop() {
				res = engine.Compute(snap, benchNow)
			}
			b.StopTimer()
			if len(res.EffectivePermissions) != size.members {
				b.Fatalf("rendered %d EffectivePermissions for %d members", len(res.EffectivePermissions), size.members)
			}
			sizes := epSizes(b, res)
			b.ReportMetric(float64(percentile(sizes, 50)), "EP-p50-bytes")
			b.ReportMetric(float64(percentile(sizes, 99)), "EP-p99-bytes")
			b.ReportMetric(float64(sizes[len(sizes)-1]), "EP-max-bytes")
		})
	}
}

// epSizes returns the sorted JSON sizes of the EffectivePermissions, which is
// what the API server stores and applications read.
func epSizes(tb testing.TB, res *engine.Result) []int {
	sizes := make([]int, 0, len(res.EffectivePermissions))
	for i := range res.EffectivePermissions {
		b, err := json.Marshal(&res.EffectivePermissions[i])
		if err != nil {
			tb.Fatal(err)
		}
		sizes = append(sizes, len(b))
	}
	slices.Sort(sizes)
	return sizes
}

func percentile(sorted []int, p int) int {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// BenchmarkReuse computes a tenant after one role moved under another,
// reusing the specs of everyone whose inputs did not change (what a
// controller pass does), beside computing everyone (docs/performance.md).
func BenchmarkReuse(b *testing.B) {
	for _, size := range []struct{ members, roles int }{{1000, 100}, {10000, 1000}} {
		o := fixture.Tenant("acme", size.members, size.roles, 1)
		(&versions{}).serve(o.Snapshot()) // Members as the controller reads them: with UIDs and generations
		before := engine.ComputeReusing(o.Snapshot(), benchNow, nil)
		reuse := engine.OfferMap(offer(before))
		for i := range o.Roles {
			if o.Roles[i].Name == o.Roles[len(o.Roles)/2].Name {
				o.Roles[i].Spec.ReportsTo = o.Roles[len(o.Roles)-1].Name
			}
		}
		moved := o.Snapshot()
		b.Run(fmt.Sprintf("members=%d,roles=%d/reusing", size.members, size.roles), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				engine.ComputeReusing(moved, benchNow, reuse)
			}
		})
		b.Run(fmt.Sprintf("members=%d,roles=%d/everyone", size.members, size.roles), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				engine.Compute(moved, benchNow)
			}
		})
	}
}

// BenchmarkClassifyMove classifies the EffectivePermissions a role move
// changes in a tenant of 10,000 members (the department heads above the
// role's old and new places): ClassifyDirection, which orders a pass's
// writes, and Classify, which each audit record runs.
func BenchmarkClassifyMove(b *testing.B) {
	o := fixture.Tenant("acme", 10000, 1000, 31)
	before := engine.Compute(o.Snapshot(), benchNow)
	// operations-director-11 under sales, TestBigTenant's move.
	for i := range o.Roles {
		if o.Roles[i].Name == "operations-director-11" {
			o.Roles[i].Spec.ReportsTo = "sales"
		}
	}
	after := engine.Compute(o.Snapshot(), benchNow)
	var olds, news []*accessv1.EffectivePermissionSpec
	for i := range after.EffectivePermissions {
		n := &after.EffectivePermissions[i]
		if old := before.Lookup(n.Spec.Tenant, n.Spec.User); old != nil && !old.Spec.Same(&n.Spec) {
			olds, news = append(olds, &old.Spec), append(news, &n.Spec)
		}
	}
	if len(news) == 0 {
		b.Fatal("the move changes no EffectivePermission")
	}
	b.Run(fmt.Sprintf("changed=%d/direction", len(news)), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range news {
				engine.ClassifyDirection(olds[i], news[i])
			}
		}
	})
	b.Run(fmt.Sprintf("changed=%d/classify", len(news)), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range news {
				engine.Classify(olds[i], news[i])
			}
		}
	})
}
