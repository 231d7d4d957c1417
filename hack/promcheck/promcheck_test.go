package promcheck

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite used_metrics.txt from the rules and the dashboard")

// The files checked, from this module's folder.
const (
	rulesFile     = "../../config/prometheus/base/rules.yaml"
	unitTests     = "../../config/prometheus/tests/*.yaml"
	dashboardFile = "../../config/grafana/access-controller.json"
	operationsDoc = "../../docs/operations.md"
	usedMetrics   = "used_metrics.txt"
	runbookPrefix = "https://github.com/tenancy-dev/access-controller/blob/main/docs/operations.md#"
)

// TestRules checks the PrometheusRule as `promtool check rules` does, and
// what an operator reads when one fires: a severity, a summary, a
// description and a runbook_url whose anchor is a heading of
// docs/operations.md.
func TestRules(t *testing.T) {
	groups, err := LoadRules(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	anchors := headingAnchors(t, operationsDoc)
	n := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no %s", r.Alert, a)
				}
			}
			url := r.Annotations["runbook_url"]
			anchor, ok := strings.CutPrefix(url, runbookPrefix)
			if !ok {
				t.Errorf("%s: runbook_url %q is not in docs/operations.md (%s...)", r.Alert, url, runbookPrefix)
				continue
			}
			if !anchors[anchor] {
				t.Errorf("%s: runbook_url's anchor #%s is no heading of docs/operations.md", r.Alert, anchor)
			}
		}
	}
	if n == 0 {
		t.Fatal("no alerting rule")
	}
}

// headingAnchors returns the anchors GitHub gives the Markdown headings of
// a file: lower case, spaces to hyphens, punctuation other than - and _
// dropped.
func headingAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	out := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		h = strings.ReplaceAll(h, "`", "")
		out[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(h), ""), " ", "-")] = true
	}
	return out
}

// TestAlertUnitTests runs config/prometheus/tests (promtool's format) and
// requires each alert to be shown both firing and quiet there.
func TestAlertUnitTests(t *testing.T) {
	files, err := filepath.Glob(unitTests)
	if err != nil || len(files) == 0 {
		t.Fatalf("no unit test file %s (%v)", unitTests, err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, path := range files {
		f, err := ReadUnitTests(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range f.Run(context.Background()) {
			t.Errorf("%s: %v", filepath.Base(path), err)
		}
		for _, tg := range f.Tests {
			for _, tc := range tg.AlertRuleTests {
				if len(tc.ExpAlerts) > 0 {
					fires[tc.Alertname] = true
				} else {
					quiet[tc.Alertname] = true
				}
			}
		}
	}
	groups, err := LoadRules(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			if !fires[r.Alert] {
				t.Errorf("%s: no unit test shows it firing", r.Alert)
			}
			if !quiet[r.Alert] {
				t.Errorf("%s: no unit test shows it quiet", r.Alert)
			}
		}
	}
}

// TestUnitTestRunner: the runner fails an assertion that does not hold
// (an alert expected too early, one that fires unexpected, a wrong
// annotation, an expression's wrong value), so a passing test file means
// something.
func TestUnitTestRunner(t *testing.T) {
	f, err := ReadUnitTests("testdata/wrong.test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	errs := f.Run(context.Background())
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	want := []string{
		"too early: alertname Down, time 4m",
		"unexpected: alertname Down, time 10m",
		"wrong annotation: alertname Down, time 10m",
		`wrong value: expr "sum(up)", time 1m`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d failures, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("failure %d:\n%s\nwant it to start %q", i, got[i], want[i])
		}
	}
	ok, err := ReadUnitTests("testdata/right.test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range ok.Run(context.Background()) {
		t.Error(err)
	}
}

// TestUsedMetrics lists the metric names the alerts and the dashboard
// select in used_metrics.txt, which cmd/manager's TestMonitoredMetricsExist
// holds against what the manager, the decision server and the API server
// register: renaming a metric there fails that test instead of silently
// emptying an alert. go test -run TestUsedMetrics -update rewrites it.
func TestUsedMetrics(t *testing.T) {
	used := map[string][]string{}
	groups, err := LoadRules(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			names, err := MetricNames(r.Expr)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				used[n] = append(used[n], "alert "+r.Alert+r.Record)
			}
		}
	}
	d, err := ReadDashboard(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range d.Queries() {
		names, err := q.MetricNames()
		if err != nil {
			t.Fatalf("%s: %v", q.Where, err)
		}
		for _, n := range names {
			used[n] = append(used[n], "dashboard")
		}
	}
	var b strings.Builder
	b.WriteString("# The metric names config/prometheus/base/rules.yaml and config/grafana/access-controller.json\n" +
		"# select, written by hack/promcheck (go test -run TestUsedMetrics -update) and read by cmd/manager's\n" +
		"# TestMonitoredMetricsExist: each must be registered by the manager, the decision server or the API server.\n")
	for _, n := range slices.Sorted(maps.Keys(used)) {
		where := slices.Compact(slices.Sorted(slices.Values(used[n])))
		fmt.Fprintf(&b, "%s\t# %s\n", n, strings.Join(where, ", "))
	}
	if *update {
		if err := os.WriteFile(usedMetrics, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(usedMetrics)
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != b.String() {
		t.Errorf("%s is out of date (go test -run TestUsedMetrics -update); want:\n%s", usedMetrics, b.String())
	}
}

// TestDashboard checks config/grafana/access-controller.json: every query
// parses as PromQL (Grafana's interval variables replaced), names only
// variables the dashboard defines and reads the datasource variable; panel
// ids are unique and no two panels overlap.
func TestDashboard(t *testing.T) {
	d, err := ReadDashboard(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion == 0 {
		t.Errorf("uid %q, title %q, schemaVersion %d: want all set", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	if !vars["datasource"] {
		t.Error("no datasource variable")
	}
	const ds = "${datasource}"
	ids := map[int]bool{}
	var placed []Panel
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel %q: id %d repeated", p.Title, p.ID)
		}
		ids[p.ID] = true
		for _, q := range placed {
			if overlap(p.GridPos, q.GridPos) {
				t.Errorf("panels %q and %q overlap", p.Title, q.Title)
			}
		}
		placed = append(placed, p)
	}
	panels := d.AllPanels()
	if len(panels) == 0 {
		t.Fatal("no panel")
	}
	for _, p := range panels {
		if p.Title == "" {
			t.Errorf("panel %d has no title", p.ID)
		}
		if p.Datasource == nil || p.Datasource.UID != ds {
			t.Errorf("panel %q: datasource %+v, want uid %s", p.Title, p.Datasource, ds)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if refs[tg.RefID] || tg.RefID == "" {
				t.Errorf("panel %q: refId %q empty or repeated", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource == nil || tg.Datasource.UID != ds {
				t.Errorf("panel %q target %s: datasource %+v, want uid %s", p.Title, tg.RefID, tg.Datasource, ds)
			}
		}
	}
	for _, q := range d.Queries() {
		if err := q.Parse(); err != nil {
			t.Errorf("%s: %q: %v", q.Where, q.Expr, err)
		}
		for _, v := range Variables(q.Expr) {
			if !vars[v] {
				t.Errorf("%s: variable $%s is not defined", q.Where, v)
			}
		}
	}
}

func overlap(a, b GridPos) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// TestPromtoolAgrees runs the same rules and unit tests under a real
// promtool when PROMTOOL names one (go install
// github.com/prometheus/prometheus/cmd/promtool@v0.316.0; not in make test,
// which does not build it): check rules and test rules pass, and the
// runner's own wrong assertions fail there too.
func TestPromtoolAgrees(t *testing.T) {
	promtool := os.Getenv("PROMTOOL")
	if promtool == "" {
		t.Skip("PROMTOOL is not set")
	}
	dir := t.TempDir()
	spec, err := ruleSpec(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	// The tests name ../base/rules.yaml from their folder.
	for _, d := range []string{"base", "tests", "testdata"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "base", "rules.yaml"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	copyTo := func(glob, to string) []string {
		files, _ := filepath.Glob(glob)
		var out []string
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, to, filepath.Base(f))
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
			out = append(out, dst)
		}
		return out
	}
	tests := copyTo(unitTests, "tests")
	copyTo("testdata/*.yaml", "testdata")
	run := func(args ...string) error {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
		return err
	}
	if err := run("check", "rules", filepath.Join(dir, "base", "rules.yaml")); err != nil {
		t.Error(err)
	}
	if err := run(append([]string{"test", "rules"}, tests...)...); err != nil {
		t.Error(err)
	}
	if err := run("test", "rules", filepath.Join(dir, "testdata", "right.test.yaml")); err != nil {
		t.Error(err)
	}
	if err := run("test", "rules", filepath.Join(dir, "testdata", "wrong.test.yaml")); err == nil {
		t.Error("promtool passed testdata/wrong.test.yaml")
	}
}
