package anchorbench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Engine is one engine or configuration, asked question i of the run.
type Engine struct {
	Name string
	// Ask answers question i.
	Ask func(i int) (bool, error)
	// Warm means measured after every question was asked once more (a
	// cache's steady state).
	Warm bool
}

// PkgCheck and PkgCheckDecide name access-controller's two measurements:
// the user's compiled EffectivePermission looked up by tenant and user then
// asked (what an application serving many users does), and asked with it
// in hand.
// PkgCheckShared and PkgCheckSharedDecide are the same with each tenant's
// EffectivePermissions compiled by one check.Compiler.
const (
	PkgCheck             = "pkg/check (lookup + decide)"
	PkgCheckDecide       = "pkg/check (decide only)"
	PkgCheckShared       = "pkg/check Compiler (lookup + decide)"
	PkgCheckSharedDecide = "pkg/check Compiler (decide only)"
)

// Setup is one size's world loaded into every engine.
type Setup struct {
	Bench   *Bench
	Engines []Engine
	// Render is one render of the whole world by the engine; Compile is
	// compiling every EffectivePermission of it (what an application
	// redoes, at most, after a change); EPs how many there are.
	// CompileShared is the same with a check.Compiler per tenant.
	Render, Compile, CompileShared time.Duration
	EPs                            int
	Result                         *engine.Result
	// Allowed counts the questions pkg/check allowed (set by Verdicts).
	Allowed int
	// Lines counts each Casbin model's policy lines and role links;
	// Tuples OpenFGA's tuples and FGALoad the time writing them took.
	Lines   map[string]int
	Tuples  int
	FGALoad time.Duration
	close   []func()
}

// Close stops what Load started.
func (s *Setup) Close() {
	for _, c := range s.close {
		c()
	}
	s.close = nil
}

// Load renders the world and loads it into every engine.
func Load(ctx context.Context, b *Bench, logf func(string, ...any)) (*Setup, error) {
	s := &Setup{Bench: b, Lines: map[string]int{}}
	snap := b.Snapshot()
	start := time.Now()
	res := engine.Compute(snap, Now)
	s.Render = time.Since(start)
	s.EPs, s.Result = len(res.EffectivePermissions), res
	start = time.Now()
	ac := NewAC(res, false)
	s.Compile = time.Since(start)
	start = time.Now()
	shared := NewAC(res, true)
	s.CompileShared = time.Since(start)
	logf("access-controller: %d EffectivePermissions rendered in %s, compiled in %s (each alone), %s (a Compiler per tenant)",
		s.EPs, s.Render.Round(time.Microsecond), s.Compile.Round(time.Microsecond), s.CompileShared.Round(time.Microsecond))
	aq, sq := ac.prepare(b.Questions), shared.prepare(b.Questions)
	s.Engines = append(s.Engines,
		Engine{Name: PkgCheck, Ask: func(i int) (bool, error) { return ac.ask(&aq[i]), nil }},
		Engine{Name: PkgCheckDecide, Ask: func(i int) (bool, error) { return decide(&aq[i], aq[i].p), nil }},
		Engine{Name: PkgCheckShared, Ask: func(i int) (bool, error) { return shared.ask(&sq[i]), nil }},
		Engine{Name: PkgCheckSharedDecide, Ask: func(i int) (bool, error) { return decide(&sq[i], sq[i].p), nil }},
	)

	facts := b.Facts()
	for _, mk := range []func([]*Facts) (*Casbin, error){NewPolicyPerRole, NewRoleGraph} {
		start := time.Now()
		c, err := mk(facts)
		if err != nil {
			return nil, err
		}
		s.Lines[c.Name] = c.Lines
		logf("%s: %d policy lines and role links loaded in %s", c.Name, c.Lines, time.Since(start).Round(time.Millisecond))
		cq := c.prepare(b.Questions)
		e := c.Enforcer
		ask := c.ask
		s.Engines = append(s.Engines, Engine{Name: c.Name, Ask: func(i int) (bool, error) { return ask(e, &cq[i]) }})
	}

	st, err := b.LoadFGA(ctx)
	if err != nil {
		return nil, err
	}
	s.Tuples, s.FGALoad = st.Tuples, st.Load
	logf("OpenFGA: %d tuples written to the memory datastore in %s", st.Tuples, st.Load.Round(time.Millisecond))
	for _, cache := range []bool{false, true} {
		f, err := NewFGA(st, cache)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.close = append(s.close, f.Server.Close)
		reqs := f.prepare(b.Questions)
		s.Engines = append(s.Engines, Engine{Name: f.Name, Warm: cache, Ask: func(i int) (bool, error) { return f.ask(ctx, reqs[i]) }})
	}
	return s, nil
}

// Mismatch is a question the engines answered differently.
type Mismatch struct {
	Index    int
	Question Question
	Answers  map[string]bool
}

func (m Mismatch) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "question %d: %s", m.Index, m.Question.Question)
	if m.Question.Kind() == "record" {
		r := m.Question.Record
		fmt.Fprintf(&b, " (owner role %q, owner active %t)", r.OwnerRole, r.OwnerActive)
	}
	for name, a := range m.Answers {
		fmt.Fprintf(&b, "\n    %-36s %t", name+":", a)
	}
	return b.String()
}

// Verdicts asks every engine every question and returns the questions on
// which they differ, and how many were allowed by pkg/check.
func (s *Setup) Verdicts() (mismatches []Mismatch, allowed int, err error) {
	for i := range s.Bench.Questions {
		answers := map[string]bool{}
		same := true
		var first bool
		for k, e := range s.Engines {
			a, err := e.Ask(i)
			if err != nil {
				return nil, 0, fmt.Errorf("%s, question %d (%s): %w", e.Name, i, s.Bench.Questions[i].Question, err)
			}
			answers[e.Name] = a
			if k == 0 {
				first = a
			} else if a != first {
				same = false
			}
		}
		if first {
			allowed++
		}
		if !same {
			mismatches = append(mismatches, Mismatch{Index: i, Question: s.Bench.Questions[i], Answers: answers})
		}
	}
	s.Allowed = allowed
	return mismatches, allowed, nil
}

// Measured is one engine's cost per check.
type Measured struct {
	Name string
	// NsPerCheck is wall-clock time; CPUNsPerCheck the process's CPU time
	// (user and system, every thread: garbage collection included), which
	// other processes on the machine disturb less.
	NsPerCheck, CPUNsPerCheck float64
	AllocsPerChk              float64
	BytesPerCheck             float64
	Checks                    int // checks timed
	Rounds                    int // testing.Benchmark rounds, the fastest kept
}

// cpuNow is the process's CPU time so far.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fastRounds is how many testing.Benchmark rounds an engine whose pass
// takes less than a second gets; the fastest is kept (the machine is
// shared: a round may lose the CPU to others). Slower engines get one
// round of one pass or more.
const fastRounds = 5

// Measure times every engine over whole passes of the questions with
// testing.Benchmark (one op is one pass, so every engine answers the same
// mix however slow it is; the slowest get a single pass).
func (s *Setup) Measure(logf func(string, ...any)) ([]Measured, error) {
	n := len(s.Bench.Questions)
	var out []Measured
	for _, e := range s.Engines {
		var failed error
		pass := func() {
			for i := range n {
				if _, err := e.Ask(i); err != nil && failed == nil {
					failed = err
				}
			}
		}
		if e.Warm {
			pass()
		}
		var best Measured
		for round := 0; round < fastRounds; round++ {
			runtime.GC()
			var cpu time.Duration
			r := testing.Benchmark(func(b *testing.B) {
				b.ReportAllocs()
				c0 := cpuNow()
				for b.Loop() {
					pass()
				}
				cpu = cpuNow() - c0 // the last call is the one reported
			})
			if failed != nil {
				return nil, fmt.Errorf("%s: %w", e.Name, failed)
			}
			checks := float64(r.N * n)
			m := Measured{Name: e.Name, Checks: r.N * n, Rounds: round + 1,
				NsPerCheck:    float64(r.T.Nanoseconds()) / checks,
				CPUNsPerCheck: float64(cpu.Nanoseconds()) / checks,
				AllocsPerChk:  float64(r.MemAllocs) / checks,
				BytesPerCheck: float64(r.MemBytes) / checks}
			if round == 0 || m.CPUNsPerCheck < best.CPUNsPerCheck {
				best = m
			}
			best.Rounds = round + 1
			if r.T/time.Duration(r.N) >= time.Second {
				break
			}
		}
		logf("%s: %s per check (CPU %s), %.1f allocs (%.0f B), fastest of %d rounds, %d checks in it", e.Name, ns(best.NsPerCheck), ns(best.CPUNsPerCheck), best.AllocsPerChk, best.BytesPerCheck, best.Rounds, best.Checks)
		out = append(out, best)
	}
	return out, nil
}

// ns prints a duration in nanoseconds readably.
func ns(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2f µs", v/1e3)
	}
	return fmt.Sprintf("%.1f ns", v)
}
