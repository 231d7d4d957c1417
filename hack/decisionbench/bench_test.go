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
// both, with OpenFGA on each datastore the full benchmark uses. Nothing is
// timed.
func TestVerdicts(t *testing.T) {
	res := run(t, Config{Users: 100, Roles: 10, Questions: 800, Lists: 40, Seed: 1,
		FGA: []FGAOptions{{Datastore: "memory"}, {Datastore: "sqlite", Cache: true}}})
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
// DECISIONBENCH_CLIENTS callers (16) for DECISIONBENCH_SECONDS each (10),
// over DECISIONBENCH_QUESTIONS checks (20,000) and DECISIONBENCH_LISTS list
// questions (500).
// OpenFGA runs on SQLite with its caches on at both sizes, and on its
// memory datastore at 1k only (it scans every tuple on each read and write:
// at 10k, loading alone takes about nine minutes). DECISIONBENCH_OPENFGA
// (e.g. "memory,sqlite+cache") chooses for every size instead. It asserts
// verdicts only; the numbers go to docs/performance.md.
func TestBenchmark(t *testing.T) {
	if os.Getenv("DECISIONBENCH") == "" {
		t.Skip("set DECISIONBENCH=1 (make bench) to run the full benchmark")
	}
	clients, seconds := envInt(t, "DECISIONBENCH_CLIENTS", 16), envInt(t, "DECISIONBENCH_SECONDS", 10)
	// Enough questions that OpenFGA, with its caches on, does not see one
	// twice within a measurement (each is reported with how many requests of
	// how many different ones it sent).
	questions, lists := envInt(t, "DECISIONBENCH_QUESTIONS", 20000), envInt(t, "DECISIONBENCH_LISTS", 500)
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
	var fixed []FGAOptions
	if s := os.Getenv("DECISIONBENCH_OPENFGA"); s != "" {
		for _, f := range strings.Split(s, ",") {
			ds, cache := strings.CutSuffix(f, "+cache")
			fixed = append(fixed, FGAOptions{Datastore: ds, Cache: cache})
		}
	}
	var report []string
	for _, s := range sizes {
		fga := fixed
		if fga == nil {
			fga = []FGAOptions{{Datastore: "sqlite", Cache: true}}
			if s[0] <= 1000 {
				fga = append(fga, FGAOptions{Datastore: "memory"})
			}
		}
		res := run(t, Config{Users: s[0], Roles: s[1], Questions: questions, Lists: lists, Seed: 1, FGA: fga,
			Timed: true, Clients: clients, Duration: time.Duration(seconds) * time.Second})
		report = append(report, lines(res, clients)...)
	}
	report = append(report, fmt.Sprintf("DECISIONBENCH machine: %d CPUs (%s), %s, %s, %s/%s; load average at the end %s",
		runtime.NumCPU(), procField("/proc/cpuinfo", "model name"), procField("/proc/meminfo", "MemTotal"), runtime.Version(), runtime.GOOS, runtime.GOARCH, loadavg()))
	t.Log("\n" + strings.Join(report, "\n"))
}

// procField is the value of the first "name: value" line of a /proc file.
func procField(file, name string) string {
	b, _ := os.ReadFile(file)
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
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

// lines say one size's numbers and the ratios against each OpenFGA
// configuration.
func lines(r *Result, clients int) []string {
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	stat := func(s Stats, per int) string {
		rate := fmt.Sprintf("%.0f/s", s.Throughput())
		if per > 1 {
			rate = fmt.Sprintf("%.0f/s (%.0f checks/s)", s.Throughput(), s.Throughput()*float64(per))
		}
		rep := ""
		if s.Repeated() {
			rep = fmt.Sprintf(" (%d requests over %d different ones)", s.Requests, s.Distinct)
		}
		return fmt.Sprintf("%s p50 %s p99 %s%s", rate, ms(s.P50), ms(s.P99), rep)
	}
	out := []string{fmt.Sprintf("DECISIONBENCH users=%d roles=%d: %d EPs (controller converge %s); %d checks (%d allowed) and %d lists (%d records) identical on every OpenFGA configuration",
		r.Users, r.Roles, r.EPs, r.Converge.Round(time.Millisecond), r.Questions, r.Allowed, r.Lists, r.ListedRecords)}
	for _, f := range r.FGA {
		out = append(out, fmt.Sprintf("DECISIONBENCH   OpenFGA (%s): %d tuples loaded in %s", f.Options, f.Tuples, f.Load.Round(time.Millisecond)))
	}
	for _, m := range []struct {
		name string
		per  int
		get  func(Measured) Stats
	}{
		{fmt.Sprintf("single checks, %d callers", clients), 1, func(m Measured) Stats { return m.Single }},
		{fmt.Sprintf("batch checks of %d, %d callers", BatchSize, clients), BatchSize, func(m Measured) Stats { return m.Batch }},
		{fmt.Sprintf("list filter vs ListObjects, %d callers", clients), 1, func(m Measured) Stats { return m.List }},
		{"list filter vs ListObjects, 1 caller", 1, func(m Measured) Stats { return m.List1 }},
	} {
		ac := m.get(r.AC)
		out = append(out, fmt.Sprintf("DECISIONBENCH   %s: access-controller %s", m.name, stat(ac, m.per)))
		for _, f := range r.FGA {
			fs := m.get(f.Measured)
			out = append(out, fmt.Sprintf("DECISIONBENCH     OpenFGA (%s): %s; access-controller %.1fx its throughput, p99 1/%.1f of its",
				f.Options, stat(fs, m.per), ratio(ac.Throughput(), fs.Throughput()), ratio(float64(fs.P99), float64(ac.P99))))
		}
	}
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	mem := fmt.Sprintf("DECISIONBENCH   memory (RSS at the end): decision server %.1f MiB = %.1f MiB per 10k EPs", mib(r.AC.RSS), mib(r.AC.RSS)*10000/float64(r.EPs))
	for _, f := range r.FGA {
		mem += fmt.Sprintf("; OpenFGA (%s) %.1f MiB", f.Options, mib(f.RSS))
	}
	return append(out, mem)
}
