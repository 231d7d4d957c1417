package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
)

// TestCompactShape: every EffectivePermission the engine writes, in every
// scenario (the three visibility modes among them) and in generated
// tenants, is the compact shape of the spelled-out one: Expanded gives it
// back exactly (and pkg/check compiles what Expanded gives, so the two
// shapes decide every question alike), Compact of that gives the written one
// again, and engine.Classify sees no access change between them: an EffectivePermission written by a release before the compact shape
// and the same one written now differ in shape only.
func TestCompactShape(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	worlds := loadScenarios(t)
	for seed := range int64(3) {
		worlds[fmt.Sprintf("fixture-%d", seed)] = fixture.Tenant(fmt.Sprintf("shape-%d", seed), 300, 30, seed+1).Snapshot()
	}
	var compacted, sources, owns int
	for name, snap := range worlds {
		written := engine.Compute(snap, now).EffectivePermissions
		spelled := engine.ComputeSpelledOut(snap, now).EffectivePermissions
		if len(written) != len(spelled) {
			t.Fatalf("%s: %d EffectivePermissions written, %d spelled out", name, len(written), len(spelled))
		}
		for i := range written {
			w, s := &written[i].Spec, &spelled[i].Spec
			if d := cmp.Diff(s, w.Expanded()); d != "" {
				t.Errorf("%s %s: Expanded() of the written spec is not the spelled-out one (-spelled +expanded):\n%s", name, w.User, d)
			}
			again := s.DeepCopy()
			again.Compact()
			if d := cmp.Diff(w, again); d != "" {
				t.Errorf("%s %s: Compact() of the spelled-out spec is not the written one (-written +compacted):\n%s", name, w.User, d)
			}
			if s.Expanded() != s {
				t.Errorf("%s %s: Expanded() of a spelled-out spec copied it", name, w.User)
			}
			if cs := engine.Classify(s, w); len(cs) != 0 {
				t.Errorf("%s %s: Classify between the two shapes reports %v", name, w.User, cs)
			}
			for _, o := range w.Objects {
				if o.Own != "" {
					owns++
				}
				for _, src := range o.ActionSources {
					if len(src.Actions) == 0 {
						sources++
					}
				}
			}
			if w.Expanded() != w {
				compacted++
			}
		}
	}
	// The test must see the compact shape at work, or it proves nothing.
	if compacted == 0 || sources == 0 || owns == 0 {
		t.Fatalf("compacted specs %d, sources without a list %d, own fields %d: want all > 0", compacted, sources, owns)
	}
	t.Logf("%d compacted specs, %d action sources without a list, %d own fields", compacted, sources, owns)
}
