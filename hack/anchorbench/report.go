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
	// RenderNs is one render of the world (engine.Compute) and
	// RenderAllocs its allocations; CompileNs compiling every
	// EffectivePermission of it.
	RenderNs     float64
	RenderAllocs int64
	CompileNs    float64
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
	b.WriteString("\n| engine / configuration | per check | allocations per check | pkg/check (lookup + decide) is faster by | pkg/check (decide only) is faster by |\n| --- | --- | --- | --- | --- |\n")
	for _, m := range r.Runs[0] {
		name := m.Name
		t := over(r.Runs, func(run []Measured) float64 { return find(run, name).NsPerCheck })
		a := over(r.Runs, func(run []Measured) float64 { return find(run, name).AllocsPerChk })
		vs := func(ac string) string {
			if strings.HasPrefix(name, "pkg/check") {
				return "—"
			}
			return over(r.Runs, func(run []Measured) float64 {
				return find(run, name).NsPerCheck / find(run, ac).NsPerCheck
			}).String(ratio)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, t.String(ns), a.String(allocs), vs(PkgCheck), vs(PkgCheckDecide))
	}

	// Amortised: one change (a render of the tenant and a compile of every
	// EffectivePermission) per N questions.
	change := r.RenderNs + r.CompileNs
	fastest := func(run []Measured) (string, float64) {
		name, v := "", math.Inf(1)
		for _, a := range r.anchors() {
			if x := find(run, a).NsPerCheck; x < v {
				name, v = a, x
			}
		}
		return name, v
	}
	fname, _ := fastest(r.Runs[0])
	fmt.Fprintf(&b, "\nAmortised: one change per N questions, each change a render of the whole world (%s, %d allocations) and a compile of every EffectivePermission (%s); per check = lookup + decide + (render + compile) / N. Against the fastest anchor, %s:\n\n",
		ns(r.RenderNs), r.RenderAllocs, ns(r.CompileNs), fname)
	b.WriteString("| N (questions per change) | pkg/check amortised per check | faster than the fastest anchor by |\n| --- | --- | --- |\n")
	for _, n := range []float64{1e2, 1e3, 1e4, 1e5, 1e6, 1e7} {
		am := over(r.Runs, func(run []Measured) float64 { return find(run, PkgCheck).NsPerCheck + change/n })
		rt := over(r.Runs, func(run []Measured) float64 {
			_, f := fastest(run)
			return f / (find(run, PkgCheck).NsPerCheck + change/n)
		})
		fmt.Fprintf(&b, "| %s | %s | %s |\n", count(n), am.String(ns), rt.String(ratio))
	}
	// N where the amortised ratio reaches 100× and 1×: decide + change/N
	// = anchor/k, so N = change / (anchor/k − decide).
	for _, k := range []float64{100, 1} {
		nk := over(r.Runs, func(run []Measured) float64 {
			_, f := fastest(run)
			d := f/k - find(run, PkgCheck).NsPerCheck
			if d <= 0 {
				return math.Inf(1)
			}
			return change / d
		})
		fmt.Fprintf(&b, "\nThe amortised ratio reaches %s at N ≥ %s questions per change.", ratio(k), nk.String(count))
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
	fmt.Fprintf(&b, "Growth from %d users / %d roles to %d users / %d roles (per check, min–max over the runs):\n\n| engine / configuration | %d/%d | %d/%d | growth |\n| --- | --- | --- | --- |\n",
		small.Users, small.Roles, large.Users, large.Roles, small.Users, small.Roles, large.Users, large.Roles)
	for _, m := range small.Runs[0] {
		name := m.Name
		f := func(run []Measured) float64 { return find(run, name).NsPerCheck }
		sm, lg := over(small.Runs, f), over(large.Runs, f)
		g := span{lg.lo / sm.hi, lg.hi / sm.lo}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, sm.String(ns), lg.String(ns), g.String(ratio))
	}
	b.WriteString("\nGoals: pkg/check ≥ 100× faster per check than every configuration at both sizes; ≤ 1.5× slower at the large size than at the small.\n")
	for _, r := range reports {
		for _, a := range r.anchors() {
			worst := over(r.Runs, func(run []Measured) float64 { return find(run, a).NsPerCheck / find(run, PkgCheck).NsPerCheck }).lo
			verdict := "met"
			if worst < 100 {
				verdict = "NOT met"
			}
			fmt.Fprintf(&b, "- %d/%d, against %s: %s faster (lookup + decide): %s\n", r.Users, r.Roles, a, ratio(worst), verdict)
		}
	}
	f := func(run []Measured) float64 { return find(run, PkgCheck).NsPerCheck }
	g := over(large.Runs, f).hi / over(small.Runs, f).lo
	verdict := "met"
	if g > 1.5 {
		verdict = "NOT met"
	}
	fmt.Fprintf(&b, "- pkg/check (lookup + decide) at %d/%d against %d/%d: at most %s: %s\n", large.Users, large.Roles, small.Users, small.Roles, ratio(g), verdict)
	return b.String()
}
