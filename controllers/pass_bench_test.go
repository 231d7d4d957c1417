package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
)

// coldPause is how long a cold pass waits before it starts.
const coldPause = 500 * time.Millisecond

// BenchmarkPass times, without an API server, the parts of a pass over one
// big tenant whose EffectivePermissions are all stored and unchanged (what
// every pass after a small change does for everyone it does not compute):
// offering the stored specs, computing with them, planning the writes (none)
// and remembering the fingerprints. TestBigTenant times the same phases on
// an API server; docs/performance.md compares the two.
func BenchmarkPass(b *testing.B) {
	for _, size := range []struct{ members, roles int }{{1000, 100}, {10000, 1000}} {
		o := fixture.Tenant("big", size.members, size.roles, 31)
		for i := range o.Members { // as an API server serves them
			o.Members[i].UID = types.UID("member-" + strconv.Itoa(i))
			o.Members[i].ResourceVersion, o.Members[i].Generation = strconv.Itoa(i+1), 1
		}
		for i := range o.Roles {
			o.Roles[i].UID = types.UID("role-" + strconv.Itoa(i))
			o.Roles[i].ResourceVersion, o.Roles[i].Generation = "r"+strconv.Itoa(i+1), 1
		}
		now := time.Now()
		snap := o.Snapshot()
		// In the order a cache lists them: none.
		shuffle := rand.New(rand.NewPCG(1, 2)).Shuffle
		shuffle(len(snap.Members), func(i, j int) { snap.Members[i], snap.Members[j] = snap.Members[j], snap.Members[i] })
		// Each decoded on its own, as an informer's store holds them: their
		// strings and structs scattered across the heap, not side by side
		// in the fixture's arrays (a pass over them takes 1.4× as long).
		for i, m := range snap.Members {
			snap.Members[i] = decoded(b, m)
		}
		ns := o.Tenants[0].NamespaceOrDefault()
		// What the API server stores after a first pass wrote everything.
		res := engine.ComputeReusing(snap, now, nil)
		lo, hi := nsRange(res.EffectivePermissions, ns)
		desired := res.EffectivePermissions[lo:hi]
		plan(res, lo, hi, newStoredEPs(ns, nil, nil))
		current := make([]*accessv1.EffectivePermission, len(desired))
		for i := range desired {
			current[i] = desired[i].DeepCopy()
			current[i].UID = types.UID("ep-" + strconv.Itoa(i))
			current[i].ResourceVersion = strconv.Itoa(size.members + i + 1)
		}
		shuffle(len(current), func(i, j int) { current[i], current[j] = current[j], current[i] })
		for i, ep := range current {
			current[i] = decoded(b, ep)
		}
		store := indexerOf(b, current) // the informer's
		stored := newStoredEPs(ns, current, store)
		var known fingerprints
		known.remember(ns, res, lo, hi, stored, map[string]string{})
		res = engine.ComputeReusing(snap, now, known.offer(ns, stored))
		if res.Reused() != len(current) {
			b.Fatalf("%d of %d reused", res.Reused(), len(current))
		}
		name := fmt.Sprintf("members=%d,roles=%d", size.members, size.roles)
		b.Run(name+"/offer", func(b *testing.B) {
			for b.Loop() {
				known.offer(ns, newStoredEPs(ns, current, store))
			}
		})
		b.Run(name+"/compute", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				engine.ComputeReusing(snap, now, known.offer(ns, newStoredEPs(ns, current, store)))
			}
		})
		// TestBigTenant's move (operations-director-11 under sales): the
		// people whose specs it changes are computed, the others reused.
		moved := *snap
		moved.Roles = slices.Clone(snap.Roles)
		for i := range moved.Roles {
			if moved.Roles[i].Name == "operations-director-11" {
				moved.Roles[i].Spec.ReportsTo = "sales"
				moved.Roles[i].Generation++
			}
		}
		if size.members == 10000 {
			b.Run(name+"/compute-move", func(b *testing.B) {
				b.ReportAllocs()
				var computed int
				for b.Loop() {
					r := engine.ComputeReusing(&moved, now, known.offer(ns, newStoredEPs(ns, current, store)))
					computed = len(r.EffectivePermissions) - r.Reused()
				}
				b.ReportMetric(float64(computed), "computed")
			})
			// The same move as a controller meets it: after a pause. On
			// this machine (a VM whose cache the host shares) what a pass
			// read is no longer in the cache half a second later, and a
			// pass reads every person's objects: the pause, not the code,
			// makes it up to twice as slow (docs/performance.md).
			b.Run(name+"/compute-move-cold", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					runtime.GC() // not charged to the pass, as in TestBigTenant
					time.Sleep(coldPause)
					b.StartTimer()
					engine.ComputeReusing(&moved, now, known.offer(ns, newStoredEPs(ns, current, store)))
				}
			})
		}
		b.Run(name+"/plan", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w := plan(res, lo, hi, newStoredEPs(ns, current, store)); len(w) != 0 {
					b.Fatalf("%d writes planned for unchanged EffectivePermissions", len(w))
				}
			}
		})
		// Every status as the first pass wrote it.
		for i := range snap.Tenants {
			snap.Tenants[i].Status = tenantStatus(&snap.Tenants[i], res)
		}
		for _, m := range snap.Members {
			m.Status = memberStatus(m, res)
		}
		for i := range snap.Roles {
			snap.Roles[i].Status = roleStatus(&snap.Roles[i], res)
		}
		for i := range snap.PermissionSets {
			snap.PermissionSets[i].Status = permissionSetStatus(&snap.PermissionSets[i], res)
		}
		for i := range snap.PartnerAccesses {
			snap.PartnerAccesses[i].Status = partnerAccessStatus(&snap.PartnerAccesses[i], res)
		}
		for i := range snap.VisibilityPolicies {
			snap.VisibilityPolicies[i].Status = visibilityPolicyStatus(&snap.VisibilityPolicies[i], res, now)
		}
		for i := range current {
			current[i].Status = effectivePermissionStatus(current[i].Status, current[i].Generation, res.Dropped(ns, current[i].Name))
		}
		b.Run(name+"/statuses", func(b *testing.B) {
			b.ReportAllocs()
			r := &TenantReconciler{}
			var recorded atomic.Bool
			for b.Loop() {
				if jobs := r.statusWrites(context.Background(), ns, snap, current, res, now, nil, &recorded); len(jobs) != 0 {
					b.Fatalf("%d status writes planned for unchanged statuses", len(jobs))
				}
			}
		})
		b.Run(name+"/remember", func(b *testing.B) {
			for b.Loop() {
				known.remember(ns, res, lo, hi, newStoredEPs(ns, current, store), map[string]string{})
			}
		})
	}
}

// decoded is o as a cache holds it: encoded and decoded on its own.
func decoded[T any](b *testing.B, o *T) *T {
	js, err := json.Marshal(o)
	if err != nil {
		b.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(js, &out); err != nil {
		b.Fatal(err)
	}
	return &out
}

// indexerOf is an informer's store holding eps.
func indexerOf(tb testing.TB, eps []*accessv1.EffectivePermission) toolscache.Indexer {
	store := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, toolscache.Indexers{})
	for _, ep := range eps {
		if err := store.Add(ep); err != nil {
			tb.Fatal(err)
		}
	}
	return store
}
