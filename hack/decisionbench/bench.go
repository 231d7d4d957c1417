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
	Users, Roles, Questions, Lists, EPs, Tuples int
	Allowed, ListedRecords                      int // allowed answers; records listed, summed
	// Paths counts the allowed single checks by each kind of reason
	// access-controller gave ("hierarchy", "role", "permissionSet", ...).
	Paths                      map[string]int
	Converge, FGALoad          time.Duration
	Single, Batch, List, List1 Pair
	DecisionRSS, OpenFGARSS    int64 // bytes, at the end
}

// Pair is one measurement on both servers.
type Pair struct{ AC, FGA Stats }

// Stats are the latencies of one measurement.
type Stats struct {
	Requests int
	Elapsed  time.Duration
	P50, P99 time.Duration
}

// Throughput is requests per second.
func (s Stats) Throughput() float64 {
	if s.Elapsed == 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// Run builds the world, loads it into OpenFGA and (through the controller)
// into the cluster the decision server reads, asks every question of both,
// fails on any different verdict, and then, when timed, measures.
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
	res = &Result{Users: cfg.Users, Roles: cfg.Roles, Questions: len(qs), Lists: len(ls), Paths: map[string]int{}}

	// OpenFGA.
	fga, err := StartOpenFGA(ctx, filepath.Join(cfg.Root, "bin", "openfga"), cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, fga.Stop()) }()
	tuples := w.Tuples(Types)
	res.Tuples = len(tuples)
	start := time.Now()
	if err := fga.Load(ctx, Model(Types), tuples); err != nil {
		return nil, err
	}
	res.FGALoad = time.Since(start)
	logf("OpenFGA: %d tuples written in %s", len(tuples), res.FGALoad.Round(time.Millisecond))

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
	start = time.Now()
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

	if err := compare(ctx, w, ds, fga, qs, ls, res); err != nil {
		return res, err
	}
	logf("verdicts identical: %d checks (%d allowed, by %v), %d batches of %d, %d lists (%d records listed)",
		len(qs), res.Allowed, res.Paths, (len(qs)+BatchSize-1)/BatchSize, BatchSize, len(ls), res.ListedRecords)

	if cfg.Timed {
		if err := measureAll(ctx, cfg, ds, fga, qs, ls, res); err != nil {
			return res, err
		}
	}
	if res.DecisionRSS, err = ds.Process().RSS(); err != nil {
		return res, err
	}
	if res.OpenFGARSS, err = fga.Process().RSS(); err != nil {
		return res, err
	}
	return res, nil
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
					res.Paths[k]++
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
	for _, a := range single {
		if a {
			res.Allowed++
		}
	}
	res.ListedRecords = int(listed.Load())
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

// measureAll runs each measurement on OpenFGA, then on access-controller,
// with the same bodies' questions, callers and duration.
func measureAll(ctx context.Context, cfg Config, ds *DecisionServer, fga *OpenFGA, qs []Question, ls []ListQuestion, res *Result) error {
	type target struct {
		url    string
		header http.Header
		client *http.Client
		bodies [][]byte
	}
	bodies := func(n int, body func(int) []byte) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = body(i)
		}
		return out
	}
	var batches [][]Question
	for i := 0; i < len(qs); i += BatchSize {
		if i+BatchSize <= len(qs) {
			batches = append(batches, qs[i:i+BatchSize])
		}
	}
	run := func(name string, clients int, ac, f target, out *Pair) error {
		var err error
		if out.FGA, err = measure(ctx, clients, cfg.Duration, f.client, f.url, f.header, f.bodies); err != nil {
			return fmt.Errorf("OpenFGA, %s: %w", name, err)
		}
		if out.AC, err = measure(ctx, clients, cfg.Duration, ac.client, ac.url, ac.header, ac.bodies); err != nil {
			return fmt.Errorf("access-controller, %s: %w", name, err)
		}
		cfg.Logf("%s, %d callers: access-controller %.0f/s p50 %s p99 %s; OpenFGA %.0f/s p50 %s p99 %s", name, clients,
			out.AC.Throughput(), out.AC.P50, out.AC.P99, out.FGA.Throughput(), out.FGA.P50, out.FGA.P99)
		return nil
	}
	acT := func(url string, b [][]byte) target { return target{url, ds.header, ds.client, b} }
	fgaT := func(url string, b [][]byte) target { return target{url, fga.header, fga.client, b} }
	if err := run("single checks", cfg.Clients,
		acT(ds.CheckURL(), bodies(len(qs), func(i int) []byte { return ds.CheckBody(qs[i]) })),
		fgaT(fga.CheckURL(), bodies(len(qs), func(i int) []byte { return fga.CheckBody(qs[i]) })), &res.Single); err != nil {
		return err
	}
	if err := run(fmt.Sprintf("batch checks of %d", BatchSize), cfg.Clients,
		acT(ds.BatchURL(), bodies(len(batches), func(i int) []byte { return ds.BatchBody(batches[i]) })),
		fgaT(fga.BatchURL(), bodies(len(batches), func(i int) []byte { return fga.BatchBody(batches[i]) })), &res.Batch); err != nil {
		return err
	}
	lac := acT(ds.ListURL(), bodies(len(ls), func(i int) []byte { return ds.ListBody(ls[i]) }))
	lfga := fgaT(fga.ListURL(), bodies(len(ls), func(i int) []byte { return fga.ListBody(ls[i]) }))
	if err := run("list filter vs ListObjects", cfg.Clients, lac, lfga, &res.List); err != nil {
		return err
	}
	return run("list filter vs ListObjects", 1, lac, lfga, &res.List1)
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
	s := Stats{Requests: len(all), Elapsed: elapsed}
	if len(all) > 0 {
		s.P50, s.P99 = all[len(all)*50/100], all[min(len(all)-1, len(all)*99/100)]
	}
	return s, nil
}
