package reliability_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// stream is a watch of every EffectivePermission event with the time it
// arrived, which waits can scan.
type stream struct {
	mu     sync.Mutex
	cond   *sync.Cond
	events []seen
	stop   context.CancelFunc
}

type seen struct {
	at      time.Time
	ep      *accessv1.EffectivePermission
	deleted bool
}

func watchStream(t testing.TB) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{stop: cancel}
	s.cond = sync.NewCond(&s.mu)
	var l accessv1.EffectivePermissionList
	if err := k8s.List(ctx, &l); err != nil {
		t.Fatal(err)
	}
	wi, err := k8s.Watch(ctx, &accessv1.EffectivePermissionList{}, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: l.ResourceVersion}})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer wi.Stop()
		for ev := range wi.ResultChan() {
			ep, ok := ev.Object.(*accessv1.EffectivePermission)
			if !ok {
				continue
			}
			s.mu.Lock()
			s.events = append(s.events, seen{at: time.Now(), ep: ep, deleted: ev.Type == watch.Deleted})
			s.cond.Broadcast()
			s.mu.Unlock()
		}
	}()
	t.Cleanup(cancel)
	return s
}

// wait returns when the first event from index from on matches.
func (s *stream) wait(t testing.TB, from int, within time.Duration, match func(seen) bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	timer := time.AfterFunc(within, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := from; ; {
		for ; i < len(s.events); i++ {
			if match(s.events[i]) {
				return s.events[i].at
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching EffectivePermission event within %s", within)
		}
		s.cond.Wait()
	}
}

func (s *stream) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

func percentiles(ds []time.Duration) (p50, p99, max time.Duration) {
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return at(0.50), at(0.99), ds[len(ds)-1]
}

// TestRevocationLatency measures, at about 1,000 EffectivePermissions, how
// long a revocation takes to reach the cluster: a member deactivated → its
// EffectivePermission rewritten inactive; a PartnerAccess deleted → its
// partner admin's EffectivePermission in that client gone; a PartnerAccess
// expiring → the same, counted from the moment of expiry. It reports
// p50/p99 (docs/reliability.md); it asserts only that each revocation
// lands.
func TestRevocationLatency(t *testing.T) {
	samples := envInt("RELIABILITY_LATENCY_SAMPLES", 20)
	clients := envInt("RELIABILITY_LATENCY_CLIENTS", 10)
	ctx := context.Background()
	w := buildWorld(t, "latency", clients, 24, 31)
	mgr := newManager(t, false)
	mgr.start()
	converged(t, 5*time.Minute)
	var eps accessv1.EffectivePermissionList
	if err := k8s.List(ctx, &eps); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, ep := range eps.Items {
		if slices.Contains(w.clients, ep.Namespace) || slices.Contains(w.partners, ep.Namespace) {
			total++
		}
	}
	s := watchStream(t)

	// Deactivations: Standard members of the clients, one at a time.
	var deactivate []time.Duration
	for i := range samples {
		ns := w.clients[i%len(w.clients)]
		name := fmt.Sprintf("u%d", 10+i/len(w.clients))
		mb := &accessv1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		from := s.len()
		if err := update(ctx, mb, func(x *accessv1.Member) bool { x.Spec.Active = ptr.To(false); return true }); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		at := s.wait(t, from, time.Minute, func(e seen) bool {
			return !e.deleted && e.ep.Namespace == ns && e.ep.Spec.User == mb.Spec.Email && !e.ep.Spec.Active
		})
		deactivate = append(deactivate, at.Sub(t0))
	}

	// PartnerAccess deleted: the first partner admin's EP in that client goes.
	var deleted []time.Duration
	for i := range min(samples, len(w.clients)/2) {
		ns := w.clients[i]
		partner := w.partners[i%2]
		admin := fmt.Sprintf("u3@%s.example", partner)
		from := s.len()
		if err := k8s.Delete(ctx, &accessv1.PartnerAccess{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: partner}}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		at := s.wait(t, from, time.Minute, func(e seen) bool {
			return e.ep.Namespace == ns && e.ep.Spec.User == admin && (e.deleted || e.ep.Spec.AccountRole != accessv1.UserRolePartnerAdmin)
		})
		deleted = append(deleted, at.Sub(t0))
	}

	// PartnerAccess expiring: the other half of the clients, each set to
	// expire two seconds ahead, one after another.
	var expired []time.Duration
	for i := len(w.clients) / 2; i < len(w.clients) && len(expired) < samples; i++ {
		ns := w.clients[i]
		partner := w.partners[i%2]
		admin := fmt.Sprintf("u3@%s.example", partner)
		exp := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
		from := s.len()
		pa := &accessv1.PartnerAccess{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: partner}}
		if err := update(ctx, pa, func(x *accessv1.PartnerAccess) bool { x.Spec.ExpiresAt = exp.UTC().Format(time.RFC3339); return true }); err != nil {
			t.Fatal(err)
		}
		at := s.wait(t, from, time.Minute, func(e seen) bool {
			return e.ep.Namespace == ns && e.ep.Spec.User == admin && (e.deleted || e.ep.Spec.AccountRole != accessv1.UserRolePartnerAdmin)
		})
		if at.Before(exp) {
			t.Errorf("%s: the partner admin lost access at %s, before the expiry at %s", ns, at.Format(time.RFC3339Nano), exp.Format(time.RFC3339))
		}
		expired = append(expired, at.Sub(exp))
	}
	for _, r := range []struct {
		what string
		ds   []time.Duration
	}{{"deactivation → EP inactive", deactivate}, {"PartnerAccess deleted → admin EP revoked", deleted}, {"expiry → admin EP revoked", expired}} {
		p50, p99, max := percentiles(r.ds)
		t.Logf("RELIABILITY latency at %d EffectivePermissions: %s: n %d, p50 %s, p99 %s, max %s", total, r.what, len(r.ds),
			p50.Round(time.Millisecond), p99.Round(time.Millisecond), max.Round(time.Millisecond))
	}
}
