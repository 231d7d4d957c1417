package decision

import (
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/gather"
	"github.com/tenancy-dev/access-controller/internal/question"
)

// snapshots memoizes, per tenant namespace, the engine's result on that
// namespace's snapshot: what record owners are (engine.Result.RecordOwner),
// read exactly as the controller reads the tenant (internal/gather, then
// engine.Compute). An entry stands until an input it read changes
// (Tracker) or a PartnerAccess of the namespace expires.
type snapshots struct {
	mu sync.Mutex
	ns map[string]*snapshot
}

type snapshot struct {
	mu      sync.Mutex // held while computing, so one request computes and the others wait
	seq     uint64     // Tracker.Seq before the reads
	deps    []key      // what was read
	expires time.Time  // zero: no expiry ahead
	res     *engine.Result
}

// owners returns the record owners of tenant: nil when the cache holds no
// Tenant of that name (every owner is then nobody, and every user is
// denied, having no EffectivePermission there either).
func (s *Server) owners(ctx context.Context, tenant string) (question.Owners, error) {
	var t accessv1.Tenant
	if err := s.reader.Get(ctx, client.ObjectKey{Name: tenant}, &t); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	ns := t.NamespaceOrDefault()
	s.snaps.mu.Lock()
	e := s.snaps.ns[ns]
	if e == nil {
		e = &snapshot{}
		s.snaps.ns[ns] = e
	}
	s.snaps.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := s.now()
	if e.res != nil && !s.track.changedSince(e.deps, e.seq) && (e.expires.IsZero() || now.Before(e.expires)) {
		return e.res, nil
	}
	seq := s.track.Seq()
	r := &recorder{Reader: s.reader}
	snap, err := gather.Gather(ctx, r, ns)
	if err != nil {
		return nil, err
	}
	res := engine.Compute(snap, now)
	s.metrics.computes.Inc()
	if r.untracked {
		e.res = nil
		return res, nil
	}
	e.res, e.seq, e.deps, e.expires = res, seq, r.deps, time.Time{}
	if d, ok := engine.NextExpiry(snap, ns, now); ok {
		e.expires = now.Add(d)
	}
	return res, nil
}

// recorder is a reader that records what it reads, as Tracker keys.
type recorder struct {
	client.Reader
	deps []key
	// untracked is set by a read of a kind the Tracker does not follow:
	// its result is not kept (Gather reads none such).
	untracked bool
}

func (r *recorder) Get(ctx context.Context, k client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	r.add(obj, k.Namespace)
	return r.Reader.Get(ctx, k, obj, opts...)
}

func (r *recorder) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	var o client.ListOptions
	o.ApplyOptions(opts)
	r.add(list, o.Namespace)
	return r.Reader.List(ctx, list, opts...)
}

func (r *recorder) add(obj any, ns string) {
	k, ok := kindOf(obj)
	if !ok {
		r.untracked = true
		return
	}
	r.deps = append(r.deps, key{k, ns})
}
