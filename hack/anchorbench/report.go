package anchorbench

import (
	"fmt"
	"math"
	"strings"
)

// Report is one size's measurements, as docs/performance.md tables.
type Report struct {
	Users, Roles, Questions int
	Setup                   *Setup
	// RenderNs is one render of the world (engine.Compute, CPU time) and
	// RenderAllocs its allocations; CompileNs compiling every
	// EffectivePermission of it (CPU time).
	RenderNs     float64
	RenderAllocs int64
	CompileNs    float64
	// CompileSharedNs is compiling them with a check.Compiler per tenant.
	CompileSharedNs float64
	// Runs are the engines' measurements, one slice per run, in engine
	// order.
	Runs [][]Measured
}

// span is the min–max of a value over the runs.
type span struct{ lo, hi float64 }

func (s span) String(format func(float64) string) string {
	if format(s.lo) == format(s.hi) {
		return format(s.lo)
	}
	return format(s.lo) + "–" + format(s.hi)
}

func over(runs [][]Measured, f func(run []Measured) float64) span {
	s := span{math.Inf(1), math.Inf(-1)}
	for _, run := range runs {
		v := f(run)
		s.lo, s.hi = min(s.lo, v), max(s.hi, v)
	}
	return s
}

func find(run []Measured, name string) Measured {
	for _, m := range run {
		if m.Name == name {
			return m
		}
	}
	panic("anchorbench: no measurement of " + name)
}

func ratio(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f×", v)
	case v >= 10:
		return fmt.Sprintf("%.1f×", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

func allocs(v float64) string { return fmt.Sprintf("%.1f", v) }

// anchors are the engines that are not access-controller.
func (r *Report) anchors() []string {
	var out []string
	for _, m := range r.Runs[0] {
		if !strings.HasPrefix(m.Name, "pkg/check") {
			out = append(out, m.Name)
		}
	}
	return out
}

// Tables are the per-check table and the amortised table of one size.
func (r *Report) Tables() string {
	var b strings.Builder
	s := r.Setup
	fmt.Fprintf(&b, "%d users / %d roles: %d questions (%d allowed), %d runs; %d EffectivePermissions; Casbin %d lines (policy-per-role), %d links (role-graph); OpenFGA %d tuples\n",
		r.Users, r.Roles, r.Questions, s.Allowed, len(r.Runs), s.EPs, s.Lines["Casbin policy-per-role"], s.Lines["Casbin role-graph"], s.Tuples)
	b.WriteString("\n| engine / configuration | CPU per check | wall-clock per check | allocations per check | pkg/check (lookup + decide) is faster by (CPU) | pkg/check Compiler (lookup + decide) is faster by (CPU) |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, m := range r.Runs[0] {
		name := m.Name
		t := over(r.Runs, func(run []Measured) float64 { return find(run, name).NsPerCheck })
		c := over(r.Runs, func(run []Measured) float64 { return find(run, name).CPUNsPerCheck })
		a := over(r.Runs, func(run []Measured) float64 { return find(run, name).AllocsPerChk })
		vs := func(ac string) string {
			if strings.HasPrefix(name, "pkg/check") {
				return "—"
			}
			return over(r.Runs, func(run []Measured) float64 {
				return find(run, name).CPUNsPerCheck / find(run, ac).CPUNsPerCheck
			}).String(ratio)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", name, c.String(ns), t.String(ns), a.String(allocs), vs(PkgCheck), vs(PkgCheckShared))
	}

	// Amortised: one change (a render of the tenant and a compile of every
	// EffectivePermission) per N questions.
	fastest := func(run []Measured) (string, float64) {
		name, v := "", math.Inf(1)
		for _, a := range r.anchors() {
			if x := find(run, a).CPUNsPerCheck; x < v {
				name, v = a, x
			}
		}
		return name, v
	}
	fname, _ := fastest(r.Runs[0])
	fmt.Fprintf(&b, "\nAmortised: one change per N questions, each change a render of the whole world (%s, %d allocations) and a compile of every EffectivePermission (%s each alone, %s with a Compiler per tenant); per check = lookup + decide + (render + compile) / N, all CPU time. Against the fastest anchor, %s:\n\n",
		ns(r.RenderNs), r.RenderAllocs, ns(r.CompileNs), ns(r.CompileSharedNs), fname)
	b.WriteString("| N (questions per change) | pkg/check amortised | faster than the fastest anchor by | pkg/check Compiler amortised | faster than the fastest anchor by |\n| --- | --- | --- | --- | --- |\n")
	type variant struct {
		name   string
		change float64
	}
	variants := []variant{{PkgCheck, r.RenderNs + r.CompileNs}, {PkgCheckShared, r.RenderNs + r.CompileSharedNs}}
	for _, n := range []float64{1e2, 1e3, 1e4, 1e5, 1e6, 1e7} {
		fmt.Fprintf(&b, "| %s |", count(n))
		for _, v := range variants {
			am := over(r.Runs, func(run []Measured) float64 { return find(run, v.name).CPUNsPerCheck + v.change/n })
			rt := over(r.Runs, func(run []Measured) float64 {
				_, f := fastest(run)
				return f / (find(run, v.name).CPUNsPerCheck + v.change/n)
			})
			fmt.Fprintf(&b, " %s | %s |", am.String(ns), rt.String(ratio))
		}
		b.WriteString("\n")
	}
	// N where the amortised ratio reaches 100× and 1×: decide + change/N
	// = anchor/k, so N = change / (anchor/k − decide).
	for _, v := range variants {
		for _, k := range []float64{100, 1} {
			nk := over(r.Runs, func(run []Measured) float64 {
				_, f := fastest(run)
				d := f/k - find(run, v.name).CPUNsPerCheck
				if d <= 0 {
					return math.Inf(1)
				}
				return v.change / d
			})
			fmt.Fprintf(&b, "\n%s: the amortised ratio reaches %s at N ≥ %s questions per change.", v.name, ratio(k), nk.String(count))
		}
	}
	b.WriteString("\n")
	return b.String()
}

func count(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "never"
	case v >= 1e6:
		return fmt.Sprintf("%.1f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// Growth compares each engine's cost per check at the largest size with
// the smallest (the goal for pkg/check: at most 1.5×), and the
// goal of 100× against every configuration at every size.
func Growth(reports []*Report) string {
	if len(reports) < 2 {
		return ""
	}
	small, large := reports[0], reports[len(reports)-1]
	var b strings.Builder
	fmt.Fprintf(&b, "Growth from %d users / %d roles to %d users / %d roles (CPU per check, min–max over the runs):\n\n| engine / configuration | %d/%d | %d/%d | growth |\n| --- | --- | --- | --- |\n",
		small.Users, small.Roles, large.Users, large.Roles, small.Users, small.Roles, large.Users, large.Roles)
	for _, m := range small.Runs[0] {
		name := m.Name
		f := func(run []Measured) float64 { return find(run, name).CPUNsPerCheck }
		sm, lg := over(small.Runs, f), over(large.Runs, f)
		g := span{lg.lo / sm.hi, lg.hi / sm.lo}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, sm.String(ns), lg.String(ns), g.String(ratio))
	}
	b.WriteString("\nGoals: pkg/check ≥ 100× faster per check than every configuration at both sizes; ≤ 1.5× slower at the large size than at the small.\n")
	for _, ac := range []string{PkgCheck, PkgCheckShared} {
		for _, r := range reports {
			for _, a := range r.anchors() {
				worst := over(r.Runs, func(run []Measured) float64 { return find(run, a).CPUNsPerCheck / find(run, ac).CPUNsPerCheck }).lo
				verdict := "met"
				if worst < 100 {
					verdict = "NOT met"
				}
				fmt.Fprintf(&b, "- %s, %d/%d, against %s: at least %s faster: %s\n", ac, r.Users, r.Roles, a, ratio(worst), verdict)
			}
		}
		f := func(run []Measured) float64 { return find(run, ac).CPUNsPerCheck }
		g := over(large.Runs, f).hi / over(small.Runs, f).lo
		verdict := "met"
		if g > 1.5 {
			verdict = "NOT met"
		}
		fmt.Fprintf(&b, "- %s at %d/%d against %d/%d: at most %s (slowest large run over fastest small run): %s\n", ac, large.Users, large.Roles, small.Users, small.Roles, ratio(g), verdict)
	}
	return b.String()
}
