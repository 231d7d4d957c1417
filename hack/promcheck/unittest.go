package promcheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"
	"go.yaml.in/yaml/v3"
)

// The rule unit tests, in the format of `promtool test rules`
// (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/),
// run as promtool runs them (cmd/promtool/unittest.go, which is package main):
// the series loaded by promqltest, the rule groups loaded and evaluated by
// the rule manager step by step, the firing alerts compared at each
// eval_time. The same files pass under promtool once rule_files names a plain
// rule file (TestPromtoolAgrees). What promtool has and these files do not
// need (group_eval_order, fuzzy_compare, start_timestamp, native histogram
// samples in exp_samples) is refused as an unknown field, not ignored.

// UnitTestFile is one test file.
type UnitTestFile struct {
	RuleFiles          []string       `yaml:"rule_files"`
	EvaluationInterval model.Duration `yaml:"evaluation_interval,omitempty"`
	Tests              []TestGroup    `yaml:"tests"`
}

// TestGroup is a set of input series and the alerts and expressions asserted
// on them.
type TestGroup struct {
	Name            string            `yaml:"name,omitempty"`
	Interval        model.Duration    `yaml:"interval,omitempty"`
	InputSeries     []InputSeries     `yaml:"input_series"`
	AlertRuleTests  []AlertTestCase   `yaml:"alert_rule_test,omitempty"`
	PromqlExprTests []PromqlTestCase  `yaml:"promql_expr_test,omitempty"`
	ExternalLabels  map[string]string `yaml:"external_labels,omitempty"`
	ExternalURL     string            `yaml:"external_url,omitempty"`
}

// InputSeries is one series and its values in promtool's expanding notation
// ("1+0x10 _ stale").
type InputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

// AlertTestCase asserts the firing alerts of one alerting rule at one time.
// No ExpAlerts: the alert must not fire.
type AlertTestCase struct {
	EvalTime  model.Duration `yaml:"eval_time"`
	Alertname string         `yaml:"alertname"`
	ExpAlerts []ExpAlert     `yaml:"exp_alerts"`
}

// ExpAlert is one expected firing alert: its labels (alertname added) and its
// annotations, templates expanded.
type ExpAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

// PromqlTestCase asserts the result of an expression at one time.
type PromqlTestCase struct {
	Expr       string         `yaml:"expr"`
	EvalTime   model.Duration `yaml:"eval_time"`
	ExpSamples []ExpSample    `yaml:"exp_samples"`
}

// ExpSample is one expected sample of a PromqlTestCase.
type ExpSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// ReadUnitTests reads a test file, refusing unknown fields (so an
// unsupported promtool feature fails rather than passes unread), and
// resolves its rule_files against the file's folder as promtool does.
func ReadUnitTests(path string) (*UnitTestFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	var f UnitTestFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.EvaluationInterval == 0 {
		f.EvaluationInterval = model.Duration(time.Minute)
	}
	for i, rf := range f.RuleFiles {
		if !filepath.IsAbs(rf) {
			f.RuleFiles[i] = filepath.Join(filepath.Dir(path), rf)
		}
	}
	return &f, nil
}

// Run runs every test group of the file and returns what failed, one error
// per failed assertion.
func (f *UnitTestFile) Run(ctx context.Context) []error {
	for _, rf := range f.RuleFiles {
		if _, err := LoadRules(rf); err != nil {
			return []error{err}
		}
	}
	var errs []error
	for i := range f.Tests {
		tg := &f.Tests[i]
		name := tg.Name
		if name == "" {
			name = fmt.Sprintf("tests[%d]", i)
		}
		for _, err := range tg.run(ctx, time.Duration(f.EvaluationInterval), f.RuleFiles) {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errs
}

func (tg *TestGroup) run(ctx context.Context, evalInterval time.Duration, ruleFiles []string) []error {
	if tg.Interval == 0 {
		tg.Interval = model.Duration(evalInterval)
	}
	var load strings.Builder
	fmt.Fprintf(&load, "load %v\n", tg.Interval)
	for _, s := range tg.InputSeries {
		fmt.Fprintf(&load, "  %v %v\n", s.Series, s.Values)
	}
	suite, err := promqltest.NewLazyLoader(load.String(), promqltest.LazyLoaderOpts{
		EnableAtModifier: true, EnableNegativeOffset: true, Parser: Parser,
	})
	if err != nil {
		return []error{err}
	}
	defer func() { _ = suite.Close() }()
	suite.SubqueryInterval = evalInterval

	m := rules.NewManager(&rules.ManagerOptions{
		QueryFunc:            rules.EngineQueryFunc(suite.QueryEngine(), suite.Storage()),
		AppendableV2:         suite.Storage(),
		Context:              ctx,
		NotifyFunc:           func(context.Context, string, ...*rules.Alert) {},
		Logger:               promslog.NewNopLogger(),
		Parser:               Parser,
		GroupLoader:          specLoader{},
		NameValidationScheme: model.LegacyValidation,
	})
	groupsMap, errs := m.LoadGroups(time.Duration(tg.Interval), labels.FromMap(tg.ExternalLabels), tg.ExternalURL, nil, false, ruleFiles...)
	if errs != nil {
		return errs
	}
	// Groups are evaluated in the order of the files and of the groups in
	// them (promtool: group_eval_order, which these files do not need).
	var groups []*rules.Group
	for _, g := range groupsMap {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b *rules.Group) int {
		if c := cmp.Compare(slices.Index(ruleFiles, a.File()), slices.Index(ruleFiles, b.File())); c != 0 {
			return c
		}
		return cmp.Compare(a.Name(), b.Name())
	})
	known := map[string]bool{}
	for _, g := range groups {
		for _, r := range g.Rules() {
			if ar, ok := r.(*rules.AlertingRule); ok {
				// Restored, so that the ALERTS series is written as Prometheus does.
				ar.SetRestored(true)
				known[ar.Name()] = true
			}
		}
	}

	tests := map[model.Duration][]AlertTestCase{}
	var times []model.Duration
	var maxEval model.Duration
	for _, tc := range tg.AlertRuleTests {
		if tc.Alertname == "" {
			return []error{fmt.Errorf("an alert_rule_test at eval_time %v has no alertname", tc.EvalTime)}
		}
		if !known[tc.Alertname] {
			errs = append(errs, fmt.Errorf("alert_rule_test at %v: no alerting rule %q", tc.EvalTime, tc.Alertname))
		}
		if _, ok := tests[tc.EvalTime]; !ok {
			times = append(times, tc.EvalTime)
		}
		tests[tc.EvalTime] = append(tests[tc.EvalTime], tc)
		maxEval = max(maxEval, tc.EvalTime)
	}
	for _, tc := range tg.PromqlExprTests {
		maxEval = max(maxEval, tc.EvalTime)
	}
	slices.Sort(times)

	mint := time.Unix(0, 0).UTC()
	maxt := mint.Add(time.Duration(maxEval))
	curr := 0
	for ts := mint; !ts.After(maxt); ts = ts.Add(evalInterval) {
		var evalErrs []error
		suite.WithSamplesTill(ts, func(err error) {
			if err != nil {
				evalErrs = append(evalErrs, err)
				return
			}
			for _, g := range groups {
				g.Eval(suite.Context(), ts)
				for _, r := range g.Rules() {
					if err := r.LastError(); err != nil {
						evalErrs = append(evalErrs, fmt.Errorf("rule %s, time %s: %w", r.Name(), ts.Sub(mint), err))
					}
				}
			}
		})
		if len(evalErrs) > 0 {
			return append(errs, evalErrs...)
		}
		// An assertion at eval_time t reads the evaluation at ts with
		// ts <= t < ts+interval, as promtool does.
		for curr < len(times) && ts.Sub(mint) <= time.Duration(times[curr]) && time.Duration(times[curr]) < ts.Add(evalInterval).Sub(mint) {
			for _, tc := range tests[times[curr]] {
				var got []string
				for _, g := range groups {
					for _, r := range g.Rules() {
						ar, ok := r.(*rules.AlertingRule)
						if !ok || ar.Name() != tc.Alertname {
							continue
						}
						for _, a := range ar.ActiveAlerts() {
							if a.State == rules.StateFiring {
								got = append(got, alertString(a.Labels, a.Annotations))
							}
						}
					}
				}
				var exp []string
				for _, e := range tc.ExpAlerts {
					l := copyMap(e.ExpLabels)
					l[labels.AlertName] = tc.Alertname
					exp = append(exp, alertString(labels.FromMap(l), labels.FromMap(e.ExpAnnotations)))
				}
				slices.Sort(got)
				slices.Sort(exp)
				if !slices.Equal(got, exp) {
					errs = append(errs, fmt.Errorf("alertname %s, time %s:\n  exp: %s\n  got: %s",
						tc.Alertname, tc.EvalTime, listString(exp), listString(got)))
				}
			}
			curr++
		}
	}

	for _, tc := range tg.PromqlExprTests {
		vec, err := instantQuery(suite.Context(), suite.QueryEngine(), suite.Queryable(), tc.Expr, mint.Add(time.Duration(tc.EvalTime)))
		if err != nil {
			errs = append(errs, fmt.Errorf("expr %q, time %s: %w", tc.Expr, tc.EvalTime, err))
			continue
		}
		var got, exp []promql.Sample
		for _, s := range vec {
			got = append(got, promql.Sample{Metric: s.Metric, F: s.F})
		}
		for _, s := range tc.ExpSamples {
			l, err := Parser.ParseMetric(s.Labels)
			if err != nil {
				errs = append(errs, fmt.Errorf("expr %q, time %s: labels %q: %w", tc.Expr, tc.EvalTime, s.Labels, err))
				continue
			}
			exp = append(exp, promql.Sample{Metric: l, F: s.Value})
		}
		if !samplesEqual(got, exp) {
			errs = append(errs, fmt.Errorf("expr %q, time %s:\n  exp: %s\n  got: %s", tc.Expr, tc.EvalTime, samplesString(exp), samplesString(got)))
		}
	}
	return errs
}

// specLoader loads a rule file or a PrometheusRule's spec for the rule
// manager, as LoadRules reads it.
type specLoader struct{}

func (specLoader) Load(path string, ignoreUnknownFields bool, scheme model.ValidationScheme) (*rulefmt.RuleGroups, []error) {
	content, err := ruleSpec(path)
	if err != nil {
		return nil, []error{err}
	}
	return rulefmt.Parse(content, ignoreUnknownFields, scheme, Parser, promslog.NewNopLogger())
}

func (specLoader) Parse(query string) (parser.Expr, error) { return Parser.ParseExpr(query) }

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func alertString(l, a labels.Labels) string {
	return "labels:" + l.String() + " annotations:" + a.String()
}

// samplesEqual compares samples in label order as promtool does: the same
// labels and values, NaN equal to nothing (an expected NaN cannot pass
// under promtool either).
func samplesEqual(a, b []promql.Sample) bool {
	if len(a) != len(b) {
		return false
	}
	byLabels := func(x, y promql.Sample) int { return labels.Compare(x.Metric, y.Metric) }
	slices.SortFunc(a, byLabels)
	slices.SortFunc(b, byLabels)
	for i := range a {
		if !labels.Equal(a[i].Metric, b[i].Metric) || a[i].F != b[i].F {
			return false
		}
	}
	return true
}

func samplesString(s []promql.Sample) string {
	var out []string
	for _, x := range s {
		out = append(out, fmt.Sprintf("%s %v", x.Metric.String(), x.F))
	}
	return listString(out)
}

func listString(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return "\n    " + strings.Join(s, "\n    ")
}

// instantQuery evaluates an expression at ts as the rule manager's query
// function does: a scalar becomes a one-sample vector, anything else but a
// vector is an error.
func instantQuery(ctx context.Context, engine *promql.Engine, store storage.Queryable, qs string, ts time.Time) (promql.Vector, error) {
	q, err := engine.NewInstantQuery(ctx, store, nil, qs, ts)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		return v, nil
	case promql.Scalar:
		return promql.Vector{promql.Sample{T: v.T, F: v.V, Metric: labels.EmptyLabels()}}, nil
	default:
		return nil, errors.New("rule result is not a vector or scalar")
	}
}
