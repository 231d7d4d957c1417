package decision

import (
	"context"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Options say what a Server reads.
type Options struct {
	// Reader is the cache: the EffectivePermissions, with the field indexes
	// of SetupIndexes, and the engine's inputs.
	Reader client.Reader
	// Live reads the API server itself (the manager's APIReader): answers
	// asked at a freshness the cache has not reached (Consistency). Nil:
	// such questions are refused.
	Live client.Reader
	// Now is the engine's clock (PartnerAccess expiry); default time.Now.
	Now func() time.Time
	// Synced reports whether the cache has synced; until it has, every
	// question is refused with not_ready. Nil: always synced.
	Synced func() bool
	// Registerer registers the metrics (controller-runtime's
	// metrics.Registry in cmd/decision-server); nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// DecisionLog, when set, receives one JSON line per request
	// (DecisionRecord): who asked what and what was answered.
	DecisionLog io.Writer
	// Auth authenticates every /v1 request and authorizes its question.
	// Nil answers anyone: only for tests that call Handler in-process;
	// Setup, and so cmd/decision-server, always sets it.
	Auth *Auth
}

// Server answers access questions from a cache. It is safe for concurrent
// use.
type Server struct {
	reader  client.Reader
	live    client.Reader
	now     func() time.Time
	synced  func() bool
	track   *Tracker
	snaps   snapshots
	perms   compiled
	metrics *metrics
	auth    *Auth
	// decisions is the decision log, nil when off.
	decisions *decisionLog
}

// New returns a Server reading o.Reader. Feed its Tracker the cache's
// events (Setup does).
func New(o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Synced == nil {
		o.Synced = func() bool { return true }
	}
	s := &Server{
		reader: o.Reader, live: o.Live, now: o.Now, synced: o.Synced, auth: o.Auth,
		snaps: snapshots{ns: map[string]*snapshot{}},
		perms: newCompiled(),
	}
	if o.DecisionLog != nil {
		s.decisions = &decisionLog{w: o.DecisionLog}
	}
	s.track = newTracker(time.Now)
	s.track.forget = s.perms.forget
	s.perms.specs = s.tenantSpecs
	m, err := newMetrics(o.Registerer, func() float64 { return s.track.age().Seconds() })
	if err != nil {
		return nil, err
	}
	s.metrics = m
	return s, nil
}

// Tracker is what the cache's event handlers feed.
func (s *Server) Tracker() *Tracker { return s.track }

// Answer is the answer to one check question.
type Answer struct {
	Allowed bool                 `json:"allowed"`
	Access  accessv1.AccessLevel `json:"access"`
	Reasons []string             `json:"reasons"`
	// Freshness is the highest resourceVersion of the tenant's
	// EffectivePermissions the cache had seen when the question was
	// asked: the answer reflects at least that.
	Freshness string `json:"freshness"`
}

// WhoCanAnswer is who may, as `accessctl who-can -o json` prints it, and
// its freshness.
type WhoCanAnswer struct {
	question.WhoCan
	Freshness string `json:"freshness"`
}

// FilterQuestion asks for the filter of the records of one type the user
// may perform one action on.
type FilterQuestion struct {
	Tenant string          `json:"tenant"`
	User   string          `json:"user"`
	Action accessv1.Action `json:"action"`
	Type   string          `json:"type"`
}

// FilterAnswer is pkg/check's Filter (docs/effectivepermission.md,
// "Listing: the filter") and its freshness.
type FilterAnswer struct {
	check.Filter
	Freshness string `json:"freshness"`
}

// Check answers a valid question about one user (question.Validate with a
// user): as `accessctl check` answers it, from the EffectivePermission the
// controller wrote, the owner's role and membership from the engine.
func (s *Server) Check(ctx context.Context, q *question.Question) (Answer, error) {
	return s.check(ctx, q, s.cached(q.Tenant))
}

func (s *Server) check(ctx context.Context, q *question.Question, src source) (Answer, error) {
	ep, err := src.userEP(ctx, q.Tenant, q.User)
	if err != nil {
		return Answer{}, err
	}
	var owners question.Owners
	if ep != nil && q.Capability == "" && q.Owner != "" {
		if owners, err = s.owners(ctx, q.Tenant); err != nil {
			return Answer{}, err
		}
	}
	d, _ := (&question.Asker{Owners: owners, Compile: s.perms.get}).Decide(ep, q)
	reasons := d.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	return Answer{Allowed: d.Allowed, Access: d.Access, Reasons: reasons, Freshness: src.freshness()}, nil
}

// WhoCan answers a valid who-can question (question.Validate without a
// user): as `accessctl who-can` answers it, over the tenant's
// EffectivePermissions in the cache.
func (s *Server) WhoCan(ctx context.Context, q *question.Question) (WhoCanAnswer, error) {
	return s.whoCan(ctx, q, s.cached(q.Tenant))
}

func (s *Server) whoCan(ctx context.Context, q *question.Question, src source) (WhoCanAnswer, error) {
	users, err := src.tenantEPs(ctx, q.Tenant)
	if err != nil {
		return WhoCanAnswer{}, err
	}
	var owners question.Owners
	if len(users) > 0 && q.Capability == "" && q.Owner != "" {
		if owners, err = s.owners(ctx, q.Tenant); err != nil {
			return WhoCanAnswer{}, err
		}
	}
	w := (&question.Asker{Owners: owners, Compile: s.perms.get}).WhoCan(users, q)
	return WhoCanAnswer{WhoCan: w, Freshness: src.freshness()}, nil
}

// Filter answers a valid filter question with pkg/check's Filter of the
// user's EffectivePermission; a user with none gets a filter that allows
// nothing.
func (s *Server) Filter(ctx context.Context, q *FilterQuestion) (FilterAnswer, error) {
	return s.filter(ctx, q, s.cached(q.Tenant))
}

func (s *Server) filter(ctx context.Context, q *FilterQuestion, src source) (FilterAnswer, error) {
	ep, err := src.userEP(ctx, q.Tenant, q.User)
	if err != nil {
		return FilterAnswer{}, err
	}
	var p *check.Permissions
	if ep != nil {
		p = s.perms.get(ep)
	}
	return FilterAnswer{Filter: p.Filter(q.Action, q.Type), Freshness: src.freshness()}, nil
}
