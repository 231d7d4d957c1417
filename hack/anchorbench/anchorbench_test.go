package anchorbench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestVerdicts is what `make test` runs: 200 users / 20 roles, 512
// questions, every engine and configuration asked each one, verdicts only.
func TestVerdicts(t *testing.T) {
	s := load(t, 200, 20, 512)
	verdicts(t, s)
}

func load(t *testing.T, users, roles, questions int) *Setup {
	t.Helper()
	start := time.Now()
	b := Build(users, roles, questions, 1)
	s, err := Load(context.Background(), b, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	t.Logf("%d users / %d roles: loaded in %s", users, roles, time.Since(start).Round(time.Millisecond))
	return s
}

// verdicts fails on any question the engines answer differently, and when
// the mix stops exercising both verdicts.
func verdicts(t *testing.T, s *Setup) {
	t.Helper()
	start := time.Now()
	ms, allowed, err := s.Verdicts()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if i == 20 {
			t.Errorf("... and %d more", len(ms)-i)
			break
		}
		t.Errorf("different verdicts on %s", m)
	}
	n := len(s.Bench.Questions)
	t.Logf("%d questions asked of %d engines in %s: %d mismatches, %d allowed", n, len(s.Engines), time.Since(start).Round(time.Millisecond), len(ms), allowed)
	if allowed < n/10 || allowed > n*9/10 {
		t.Errorf("%d of %d questions allowed: the mix no longer exercises both verdicts", allowed, n)
	}
}

// TestMismatchIsReported holds the comparison to its word: an engine that
// answers one question differently is caught, with every engine's answer.
func TestMismatchIsReported(t *testing.T) {
	b := Build(40, 4, 64, 3)
	s := &Setup{Bench: b, Engines: []Engine{
		{Name: "yes", Ask: func(int) (bool, error) { return true, nil }},
		{Name: "yes but 7", Ask: func(i int) (bool, error) { return i != 7, nil }},
	}}
	ms, allowed, err := s.Verdicts()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Index != 7 || allowed != 64 {
		t.Fatalf("got %d mismatches (%v), %d allowed; want question 7 alone, 64 allowed", len(ms), ms, allowed)
	}
	if got := ms[0].String(); !strings.Contains(got, "yes but 7:") || !strings.Contains(got, b.Questions[7].User) {
		t.Errorf("the report does not name the question and each answer:\n%s", got)
	}
}

// TestAnchors is the full run (ANCHORBENCH=1, `make bench`): at 1k users /
// 100 roles and 10k users / 1k roles (ANCHORBENCH_SIZES, e.g. "1000/100"),
// ANCHORBENCH_QUESTIONS questions (4,096) asked of every engine and
// compared, then each engine timed over whole passes, ANCHORBENCH_RUNS
// times (1), and the tables printed (lines starting ANCHORBENCH).
func TestAnchors(t *testing.T) {
	if os.Getenv("ANCHORBENCH") == "" {
		t.Skip("the full run: ANCHORBENCH=1")
	}
	sizes := [][2]int{{1000, 100}, {10000, 1000}}
	if v := os.Getenv("ANCHORBENCH_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			var u, r int
			if _, err := fmt.Sscanf(f, "%d/%d", &u, &r); err != nil {
				t.Fatalf("ANCHORBENCH_SIZES=%q: %v", v, err)
			}
			sizes = append(sizes, [2]int{u, r})
		}
	}
	questions, runs := envInt(t, "ANCHORBENCH_QUESTIONS", 4096), envInt(t, "ANCHORBENCH_RUNS", 1)
	var reports []*Report
	for _, size := range sizes {
		s := load(t, size[0], size[1], questions)
		verdicts(t, s)
		if t.Failed() {
			t.FailNow()
		}
		rep := &Report{Users: size[0], Roles: size[1], Questions: questions, Setup: s}
		rep.RenderNs, rep.RenderAllocs = timeIt(func() { s.Bench.Render() })
		rep.CompileNs, _ = timeIt(func() { NewAC(s.Result, false) })
		rep.CompileSharedNs, _ = timeIt(func() { NewAC(s.Result, true) })
		for run := range runs {
			ms, err := s.Measure(t.Logf)
			if err != nil {
				t.Fatal(err)
			}
			rep.Runs = append(rep.Runs, ms)
			t.Logf("size %d/%d: run %d of %d measured", size[0], size[1], run+1, runs)
		}
		reports = append(reports, rep)
		for _, line := range strings.Split(rep.Tables(), "\n") {
			t.Log("ANCHORBENCH " + line)
		}
		s.Close()
	}
	for _, line := range strings.Split(Growth(reports), "\n") {
		t.Log("ANCHORBENCH " + line)
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// timeIt is the CPU time (the fastest of three testing.Benchmark rounds)
// and allocations per op of f.
func timeIt(f func()) (cpuNsPerOp float64, allocs int64) {
	for range 3 {
		var cpu time.Duration
		r := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			c0 := cpuNow()
			for b.Loop() {
				f()
			}
			cpu = cpuNow() - c0
		})
		if v := float64(cpu.Nanoseconds()) / float64(r.N); cpuNsPerOp == 0 || v < cpuNsPerOp {
			cpuNsPerOp = v
		}
		allocs = r.AllocsPerOp()
	}
	return cpuNsPerOp, allocs
}

// BenchmarkPkgCheck is pkg/check alone over the same questions at both
// sizes, for profiling (go test -run '^$' -bench PkgCheck -cpuprofile):
// one op is one check; cpu-ns/op is the process's CPU time per check.
func BenchmarkPkgCheck(b *testing.B) {
	for _, size := range [][2]int{{1000, 100}, {10000, 1000}} {
		bench := Build(size[0], size[1], 4096, 1)
		res := bench.Render()
		for _, shared := range []bool{false, true} {
			ac := NewAC(res, shared)
			qs := ac.prepare(bench.Questions)
			how := "compile"
			if shared {
				how = "compiler"
			}
			b.Run(fmt.Sprintf("users=%d,roles=%d/%s/lookup+decide", size[0], size[1], how), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				cpu := cpuNow()
				for b.Loop() {
					ac.ask(&qs[i&4095])
					i++
				}
				b.ReportMetric(float64((cpuNow()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
			b.Run(fmt.Sprintf("users=%d,roles=%d/%s/decide", size[0], size[1], how), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				cpu := cpuNow()
				for b.Loop() {
					q := &qs[i&4095]
					decide(q, q.p)
					i++
				}
				b.ReportMetric(float64((cpuNow()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
