package decisionbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireEnv, when set (as `make test` sets it), turns missing binaries into
// a failure instead of a skip.
const requireEnv = "ACCESS_CONTROLLER_REQUIRE_ENVTEST"

// run runs the benchmark with cfg in a directory of its own, kept (and
// named) when the run fails so that the servers' logs can be read.
func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "decisionbench-")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Root, cfg.Dir, cfg.Logf = root, dir, t.Logf
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	defer cancel()
	res, err := Run(ctx, cfg)
	switch {
	case errors.Is(err, ErrMissing) && os.Getenv(requireEnv) == "":
		_ = os.RemoveAll(dir)
		t.Skip(err)
	case err != nil:
		t.Fatalf("%d users / %d roles: %v\n(logs and kubeconfig kept in %s)", cfg.Users, cfg.Roles, err, dir)
	}
	_ = os.RemoveAll(dir)
	return res
}

// TestVerdicts is the short fixture `make test` runs: a client of 100
// users and 10 roles with its partner agency, loaded into OpenFGA and,
// through the controller, into the decision server; 800 checks (one by one
// and in batches) and 40 list questions must get the same verdict from
// both. Nothing is timed.
func TestVerdicts(t *testing.T) {
	res := run(t, Config{Users: 100, Roles: 10, Questions: 800, Lists: 40, Seed: 1})
	// The questions must reach both verdicts and every path of the model,
	// or identity says little.
	if res.Allowed < res.Questions/10 || res.Allowed > res.Questions*9/10 {
		t.Errorf("%d of %d questions allowed: the question mix no longer exercises both verdicts", res.Allowed, res.Questions)
	}
	for _, path := range []string{"accountRole", "hierarchy", "modifyAll", "owner", "partnerAccess", "peers", "permissionSet", "role", "sharingRule", "viewAll"} {
		if res.Paths[path] == 0 {
			t.Errorf("no question was allowed by a %q path (allowed by %v): the question mix no longer exercises it", path, res.Paths)
		}
	}
	if res.ListedRecords == 0 {
		t.Error("no list question allowed any record")
	}
}

// TestBenchmark is the full benchmark of `make bench` (DECISIONBENCH=1):
// 1k users / 100 roles and 10k users / 1k roles, every verdict compared,
// then single checks, batch checks and list filtering measured at
// DECISIONBENCH_CLIENTS callers (16) for DECISIONBENCH_SECONDS each (10).
// It asserts verdicts only; the numbers go to docs/performance.md.
func TestBenchmark(t *testing.T) {
	if os.Getenv("DECISIONBENCH") == "" {
		t.Skip("set DECISIONBENCH=1 (make bench) to run the full benchmark")
	}
	clients, seconds := envInt(t, "DECISIONBENCH_CLIENTS", 16), envInt(t, "DECISIONBENCH_SECONDS", 10)
	sizes := [][2]int{{1000, 100}, {10000, 1000}}
	if s := os.Getenv("DECISIONBENCH_SIZES"); s != "" { // e.g. 1000/100,10000/1000
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			var u, r int
			if _, err := fmt.Sscanf(f, "%d/%d", &u, &r); err != nil {
				t.Fatalf("DECISIONBENCH_SIZES: %q is not users/roles", f)
			}
			sizes = append(sizes, [2]int{u, r})
		}
	}
	var rows []string
	for _, s := range sizes {
		res := run(t, Config{Users: s[0], Roles: s[1], Questions: 2 * s[0], Lists: max(40, s[0]/50), Seed: 1,
			Timed: true, Clients: clients, Duration: time.Duration(seconds) * time.Second})
		rows = append(rows, report(t, res, clients))
	}
	t.Logf("DECISIONBENCH machine: %d CPUs, %s, %s/%s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, r := range rows {
		t.Log(r)
	}
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000) }

// report logs one size's numbers and ratios and returns them as a line.
func report(t *testing.T, r *Result, clients int) string {
	t.Helper()
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	rate := func(s Stats, per int) string {
		if per == 1 {
			return fmt.Sprintf("%.0f/s", s.Throughput())
		}
		return fmt.Sprintf("%.0f/s (%.0f checks/s)", s.Throughput(), s.Throughput()*float64(per))
	}
	line := func(name string, p Pair, per int) string {
		return fmt.Sprintf("%s: access-controller %s p50 %s p99 %s; OpenFGA %s p50 %s p99 %s; throughput %.1fx, p99 1/%.1f",
			name, rate(p.AC, per), ms(p.AC.P50), ms(p.AC.P99), rate(p.FGA, per), ms(p.FGA.P50), ms(p.FGA.P99),
			ratio(p.AC.Throughput(), p.FGA.Throughput()), ratio(float64(p.FGA.P99), float64(p.AC.P99)))
	}
	lines := []string{
		fmt.Sprintf("DECISIONBENCH users=%d roles=%d: %d EPs, %d tuples (OpenFGA load %s), controller converge %s; %d checks (%d allowed) and %d lists (%d records) identical",
			r.Users, r.Roles, r.EPs, r.Tuples, r.FGALoad.Round(time.Millisecond), r.Converge.Round(time.Millisecond), r.Questions, r.Allowed, r.Lists, r.ListedRecords),
		"DECISIONBENCH   " + line(fmt.Sprintf("single checks, %d callers", clients), r.Single, 1),
		"DECISIONBENCH   " + line(fmt.Sprintf("batch checks of %d, %d callers", BatchSize, clients), r.Batch, BatchSize),
		"DECISIONBENCH   " + line(fmt.Sprintf("list (filter vs ListObjects), %d callers", clients), r.List, 1),
		"DECISIONBENCH   " + line("list (filter vs ListObjects), 1 caller", r.List1, 1),
		fmt.Sprintf("DECISIONBENCH   memory: decision server RSS %.1f MiB (%.1f MiB per 10k EPs), OpenFGA RSS %.1f MiB",
			float64(r.DecisionRSS)/(1<<20), float64(r.DecisionRSS)/(1<<20)*10000/float64(r.EPs), float64(r.OpenFGARSS)/(1<<20)),
	}
	for _, l := range lines {
		t.Log(l)
	}
	return strings.Join(lines, "\n")
}
