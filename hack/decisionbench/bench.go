package decisionbench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Config is one run of the benchmark.
type Config struct {
	// Root is the repository (bin/ holds etcd, kube-apiserver and openfga).
	Root string
	// Dir receives the logs and the kubeconfig.
	Dir string
	// Users and Roles size the client tenant.
	Users, Roles int
	// Questions and Lists are how many checks and list questions are asked
	// of both servers and compared.
	Questions, Lists int
	// Seed makes the world and the questions.
	Seed uint64
	// FGA are the OpenFGA configurations to compare with, one after another.
	FGA []FGAOptions
	// Timed, when set, measures after comparing: Clients concurrent callers
	// for Duration per measurement.
	Timed    bool
	Clients  int
	Duration time.Duration
	// Logf reports progress.
	Logf func(format string, args ...any)
}

// Result is what a run measured.
type Result struct {
	Users, Roles, Questions, Lists, EPs int
	Allowed, ListedRecords              int // allowed answers; records listed, summed
	// Paths counts the allowed single checks by each kind of reason
	// access-controller gave ("hierarchy", "role", "permissionSet", ...).
	Paths    map[string]int
	Converge time.Duration // the controller's cold converge
	AC       Measured
	FGA      []FGAResult
}

// FGAResult is one OpenFGA configuration's part of a run.
type FGAResult struct {
	Options FGAOptions
	Tuples  int
	Load    time.Duration // writing the model and the tuples
	Measured
}

// Measured are one server's measurements and its memory at the end.
type Measured struct {
	Single, Batch, List, List1 Stats
	RSS                        int64 // bytes
}

// Stats are the latencies of one measurement.
type Stats struct {
	Requests int
	Distinct int // how many different requests were sent round-robin
	Elapsed  time.Duration
	P50, P99 time.Duration
}

// Repeated reports whether some request was sent twice, so that a server's
// answer cache may have answered it.
func (s Stats) Repeated() bool { return s.Requests > s.Distinct }

// Throughput is requests per second.
func (s Stats) Throughput() float64 {
	if s.Elapsed == 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// Run builds the world, loads it through the controller into the cluster
// the decision server reads, then, for each OpenFGA configuration, loads it
// into OpenFGA, asks every question of both, fails on any different
// verdict and (when timed) measures OpenFGA; last it measures the decision
// server. Each server is measured while the other is idle (OpenFGA
// stopped, the decision server answering nothing).
func Run(ctx context.Context, cfg Config) (res *Result, err error) {
	logf := cfg.Logf
	for _, b := range []string{"etcd", "kube-apiserver", "openfga"} {
		if _, err := os.Stat(filepath.Join(cfg.Root, "bin", b)); err != nil {
			return nil, fmt.Errorf("%w: bin/%s is missing (make controlplane openfga)", ErrMissing, b)
		}
	}
	w := Generate(cfg.Users, cfg.Roles, cfg.Seed)
	qs := w.Questions(cfg.Questions, cfg.Seed)
	ls := w.ListQuestions(cfg.Lists, cfg.Seed)
	res = &Result{Users: cfg.Users, Roles: cfg.Roles, Questions: len(qs), Lists: len(ls)}

	// access-controller: the control plane, the controller's converge, then
	// the decision server alone.
	binDir := filepath.Join(cfg.Dir, "bin")
	managerBin, decisionBin, err := BuildBinaries(cfg.Root, binDir)
	if err != nil {
		return nil, err
	}
	cluster, err := StartCluster(cfg.Root, cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, cluster.Stop()) }()
	if err := cluster.Apply(ctx, w); err != nil {
		return nil, err
	}
	start := time.Now()
	manager, err := StartManager(ctx, managerBin, cluster.Kubeconfig, filepath.Join(cfg.Dir, "manager.log"))
	if err != nil {
		return nil, err
	}
	if err := cluster.WaitEPs(ctx, w, manager, 20*time.Minute); err != nil {
		_ = manager.Stop()
		return nil, err
	}
	res.Converge = time.Since(start)
	if err := manager.Stop(); err != nil {
		return nil, err
	}
	if res.EPs, err = cluster.EPs(ctx); err != nil {
		return nil, err
	}
	logf("access-controller: %d EffectivePermissions written by the controller in %s; manager stopped", res.EPs, res.Converge.Round(time.Millisecond))
	token, err := cluster.Caller(ctx, w)
	if err != nil {
		return nil, err
	}
	ds, err := StartDecisionServer(ctx, decisionBin, cluster.Kubeconfig, cfg.Dir, token)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, ds.Stop()) }()

	for i, o := range cfg.FGA {
		fr, err := runOpenFGA(ctx, cfg, filepath.Join(cfg.Dir, fmt.Sprintf("openfga-%d", i)), o, w, ds, qs, ls, res)
		if err != nil {
			return res, fmt.Errorf("OpenFGA (%s): %w", o, err)
		}
		res.FGA = append(res.FGA, fr)
	}
	if cfg.Timed {
		if res.AC, err = measureServer(ctx, cfg, "access-controller", ds.endpoints(qs, ls)); err != nil {
			return res, err
		}
	}
	res.AC.RSS, err = ds.Process().RSS()
	return res, err
}

// runOpenFGA runs one OpenFGA configuration: start, load, compare every
// verdict with the decision server's, measure, stop.
func runOpenFGA(ctx context.Context, cfg Config, dir string, o FGAOptions, w *World, ds *DecisionServer, qs []Question, ls []ListQuestion, res *Result) (fr FGAResult, err error) {
	fr.Options = o
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fr, err
	}
	fga, err := StartOpenFGA(ctx, filepath.Join(cfg.Root, "bin", "openfga"), dir, o)
	if err != nil {
		return fr, err
	}
	defer func() { err = errors.Join(err, fga.Stop()) }()
	tuples := w.Tuples(Types)
	fr.Tuples = len(tuples)
	start := time.Now()
	if err := fga.Load(ctx, Model(Types), tuples); err != nil {
		return fr, err
	}
	fr.Load = time.Since(start)
	cfg.Logf("OpenFGA (%s): %d tuples written in %s", o, len(tuples), fr.Load.Round(time.Millisecond))
	if err := compare(ctx, w, ds, fga, qs, ls, res); err != nil {
		return fr, err
	}
	cfg.Logf("OpenFGA (%s): verdicts identical: %d checks (%d allowed, by %v), %d batches of %d, %d lists (%d records listed)",
		o, len(qs), res.Allowed, res.Paths, (len(qs)+BatchSize-1)/BatchSize, BatchSize, len(ls), res.ListedRecords)
	if cfg.Timed {
		if fr.Measured, err = measureServer(ctx, cfg, "OpenFGA ("+o.String()+")", fga.endpoints(qs, ls)); err != nil {
			return fr, err
		}
	}
	fr.RSS, err = fga.Process().RSS()
	return fr, err
}

// ErrMissing says the binaries the run needs are not built.
var ErrMissing = errors.New("binaries missing")

// Mismatch is one question the servers answered differently.
type Mismatch struct {
	What      string
	AC, FGA   any
	ACReasons []string
}

// MismatchError lists every question the servers answered differently.
type MismatchError struct{ Mismatches []Mismatch }

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d questions answered differently by access-controller and OpenFGA:", len(e.Mismatches))
	for i, m := range e.Mismatches {
		if i == 30 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Mismatches)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s access-controller %v %v, OpenFGA %v", m.What, m.AC, m.ACReasons, m.FGA)
	}
	return b.String()
}

// compare asks every question of both servers, one by one and in batches,
// and every list question, and returns a *MismatchError naming each
// question whose verdicts differ.
func compare(ctx context.Context, w *World, ds *DecisionServer, fga *OpenFGA, qs []Question, ls []ListQuestion, res *Result) error {
	var mu sync.Mutex
	var bad []Mismatch
	single := make([]bool, len(qs))
	paths := map[string]int{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, q := range qs {
		g.Go(func() error {
			a, err := ds.Check(gctx, q)
			if err != nil {
				return fmt.Errorf("access-controller, %s: %w", q, err)
			}
			f, err := fga.Check(gctx, q)
			if err != nil {
				return fmt.Errorf("OpenFGA, %s: %w", q, err)
			}
			single[i] = a.Allowed
			if a.Allowed {
				kinds := map[string]bool{}
				for _, r := range a.Reasons {
					kind, _, _ := strings.Cut(r, ":")
					kinds[kind] = true
				}
				mu.Lock()
				for k := range kinds {
					paths[k]++
				}
				mu.Unlock()
			}
			if a.Allowed != f {
				mu.Lock()
				bad = append(bad, Mismatch{What: q.String(), AC: a.Allowed, FGA: f, ACReasons: a.Reasons})
				mu.Unlock()
			}
			return nil
		})
	}
	for i := 0; i < len(qs); i += BatchSize {
		batch := qs[i:min(i+BatchSize, len(qs))]
		g.Go(func() error {
			a, err := ds.BatchCheck(gctx, batch)
			if err != nil {
				return fmt.Errorf("access-controller batch at %d: %w", i, err)
			}
			f, err := fga.BatchCheck(gctx, batch)
			if err != nil {
				return fmt.Errorf("OpenFGA batch at %d: %w", i, err)
			}
			for j := range batch {
				if a[j] != f[j] {
					mu.Lock()
					bad = append(bad, Mismatch{What: "(batch) " + batch[j].String(), AC: a[j], FGA: f[j]})
					mu.Unlock()
				}
			}
			return nil
		})
	}
	var listed atomic.Int64
	for _, q := range ls {
		g.Go(func() error {
			filter, err := ds.Filter(gctx, q)
			if err != nil {
				return fmt.Errorf("access-controller, %s: %w", q, err)
			}
			objs, err := fga.ListObjects(gctx, q)
			if err != nil {
				return fmt.Errorf("OpenFGA, %s: %w", q, err)
			}
			prefix := RecordObject(q.Tenant, q.Type, "")
			objs = slices.DeleteFunc(objs, func(o string) bool { return !strings.HasPrefix(o, prefix) })
			slices.Sort(objs)
			want := w.Allowed(q, filter)
			listed.Add(int64(len(want)))
			if !slices.Equal(want, objs) {
				mu.Lock()
				bad = append(bad, Mismatch{What: q.String(), AC: diffNote(want, objs), FGA: diffNote(objs, want)})
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// A batch must answer as the single checks did (within one server).
	for i := 0; i < len(qs); i += BatchSize {
		batch := qs[i:min(i+BatchSize, len(qs))]
		a, err := ds.BatchCheck(ctx, batch)
		if err != nil {
			return err
		}
		for j := range batch {
			if a[j] != single[i+j] {
				bad = append(bad, Mismatch{What: "(batch against single, access-controller) " + batch[j].String(), AC: a[j], FGA: single[i+j]})
			}
		}
	}
	res.Allowed = 0
	for _, a := range single {
		if a {
			res.Allowed++
		}
	}
	res.ListedRecords, res.Paths = int(listed.Load()), paths
	if len(bad) > 0 {
		slices.SortFunc(bad, func(a, b Mismatch) int { return strings.Compare(a.What, b.What) })
		return &MismatchError{Mismatches: bad}
	}
	return nil
}

// diffNote says how many records a list holds and which (up to five) the
// other lacks.
func diffNote(a, b []string) string {
	var extra []string
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			extra = append(extra, x)
		}
	}
	n := len(extra)
	if n > 5 {
		extra = append(extra[:5], "...")
	}
	return fmt.Sprintf("%d records (%d not in the other: %s)", len(a), n, strings.Join(extra, " "))
}

// endpoints are what measureServer posts to one server: the URLs of its
// check, batch and list endpoints and the bodies of every question.
type endpoints struct {
	client                        *http.Client
	header                        http.Header
	check, batch, list            string
	checks, batches, listRequests [][]byte
}

func bodies[T any](xs []T, body func(T) []byte) [][]byte {
	out := make([][]byte, len(xs))
	for i, x := range xs {
		out[i] = body(x)
	}
	return out
}

// fullBatches are the questions in batches of BatchSize (a last, shorter
// batch left out, so that every timed batch is the same size).
func fullBatches(qs []Question) [][]Question {
	var out [][]Question
	for i := 0; i+BatchSize <= len(qs); i += BatchSize {
		out = append(out, qs[i:i+BatchSize])
	}
	return out
}

func (d *DecisionServer) endpoints(qs []Question, ls []ListQuestion) endpoints {
	return endpoints{client: d.client, header: d.header, check: d.CheckURL(), batch: d.BatchURL(), list: d.ListURL(),
		checks: bodies(qs, d.CheckBody), batches: bodies(fullBatches(qs), d.BatchBody), listRequests: bodies(ls, d.ListBody)}
}

func (f *OpenFGA) endpoints(qs []Question, ls []ListQuestion) endpoints {
	return endpoints{client: f.client, header: f.header, check: f.CheckURL(), batch: f.BatchURL(), list: f.ListURL(),
		checks: bodies(qs, f.CheckBody), batches: bodies(fullBatches(qs), f.BatchBody), listRequests: bodies(ls, f.ListBody)}
}

// measureServer measures single checks, batch checks and lists with
// cfg.Clients callers, and lists again with one caller (unloaded latency).
func measureServer(ctx context.Context, cfg Config, name string, e endpoints) (Measured, error) {
	var m Measured
	for _, r := range []struct {
		what    string
		clients int
		url     string
		bodies  [][]byte
		out     *Stats
	}{
		{"single checks", cfg.Clients, e.check, e.checks, &m.Single},
		{fmt.Sprintf("batch checks of %d", BatchSize), cfg.Clients, e.batch, e.batches, &m.Batch},
		{"lists", cfg.Clients, e.list, e.listRequests, &m.List},
		{"lists", 1, e.list, e.listRequests, &m.List1},
	} {
		s, err := measure(ctx, r.clients, cfg.Duration, e.client, r.url, e.header, r.bodies)
		if err != nil {
			return m, fmt.Errorf("%s, %s: %w", name, r.what, err)
		}
		*r.out = s
		cfg.Logf("%s, %s, %d callers: %.0f/s, p50 %s, p99 %s (%d requests of %d different ones)", name, r.what, r.clients, s.Throughput(), s.P50, s.P99, s.Requests, s.Distinct)
	}
	return m, nil
}

// measure posts the bodies round-robin from clients callers for d (each
// caller finishing its request in flight) and returns throughput and
// latency percentiles. Any answer but 200 is an error.
func measure(ctx context.Context, clients int, d time.Duration, c *http.Client, url string, header http.Header, bodies [][]byte) (Stats, error) {
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	start := time.Now()
	deadline := start.Add(d)
	g, gctx := errgroup.WithContext(ctx)
	for w := range clients {
		g.Go(func() error {
			for time.Now().Before(deadline) {
				i := int(next.Add(1)-1) % len(bodies)
				t0 := time.Now()
				if err := postJSON(gctx, c, url, bodies[i], header, nil); err != nil {
					return err
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Stats{}, err
	}
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	s := Stats{Requests: len(all), Distinct: len(bodies), Elapsed: elapsed}
	if len(all) > 0 {
		s.P50, s.P99 = all[len(all)*50/100], all[min(len(all)-1, len(all)*99/100)]
	}
	return s, nil
}
