package reliability_test

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// TestKillChurn: tenants churn — members deactivated, demoted, moved,
// deleted (some held by another controller's finalizer), PartnerAccess
// changed and deleted, staff entries and permission sets changed — while
// the manager process is SIGKILLed and restarted over and over. No
// EffectivePermission version may grant what no state of the inputs up to
// then granted; after quiescence the cluster holds exactly the engine's
// render of the final inputs.
func TestKillChurn(t *testing.T) {
	mutations := envInt("RELIABILITY_MUTATIONS", 150)
	minKills := envInt("RELIABILITY_KILLS", 10)
	clients := envInt("RELIABILITY_CLIENTS", 18)
	ctx := context.Background()
	w := buildWorld(t, "churn", clients, 24, 1)
	h := &history{}
	h.add(readInputs(t))
	var current atomic.Int64
	mgr := newManager(t)
	mgr.start()
	converged(t, 3*time.Minute)
	watch := watchEPs(t, func() int { return int(current.Load()) })

	rng := rand.New(rand.NewPCG(2, 3))
	stop := make(chan struct{})
	// Kill about every 600 ms: often mid-pass, sometimes before the caches
	// have synced.
	killed := mgr.killer(rng, 600*time.Millisecond, stop)
	mut := newMutator(w, 4, h)
	start := time.Now()
	for mgr.killCount() < minKills || mut.applied < mutations {
		mut.run(t, ctx, 10, 20*time.Millisecond, &current)
	}
	close(stop)
	<-killed
	churn := time.Since(start)
	settle := converged(t, 2*time.Minute)
	versions := watch.close()
	widening, deletes := judge(t, h, versions, time.Now())
	t.Logf("RELIABILITY kill-churn: tenants %d, members %d, mutations %d (%v), kills %d, churn %s, converged %s after, versions checked %d, widening %d, unexplained deletions %d",
		len(w.clients)+len(w.partners), len(h.states[0].Members), mut.applied, mut.kinds, mgr.killCount(), churn.Round(time.Second), settle.Round(time.Millisecond), len(versions), widening, deletes)
}
