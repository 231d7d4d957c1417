// Package promcheck checks access-controller's alerts and dashboard with
// Prometheus' own packages: rule files as `promtool check rules` does
// (model/rulefmt, promql/parser), rule unit tests in `promtool test rules`'
// format as promtool runs them (promql/promqltest's series, the rules
// package's groups), and the metric names the expressions select.
//
// promtool itself is not built: it links every service discovery (AWS,
// Azure, GCE, Kubernetes and a dozen more), about 460 CPU seconds cold, some
// 4 minutes of the two cores `make test` has; the packages used here cost
// about 90.
package promcheck

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// Parser is the PromQL parser the checks use: Prometheus' defaults, no
// experimental functions, so that what passes here runs on a stock server.
var Parser = parser.NewParser(parser.Options{})

// ruleSpec reads a rule file: a Prometheus rule file (groups:) as is, or a
// PrometheusRule object (Prometheus Operator), whose spec is one.
func ruleSpec(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var obj struct {
		APIVersion string    `yaml:"apiVersion"`
		Kind       string    `yaml:"kind"`
		Spec       yaml.Node `yaml:"spec"`
	}
	if err := yaml.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if obj.Kind == "" {
		return b, nil
	}
	if obj.Kind != "PrometheusRule" || !strings.HasPrefix(obj.APIVersion, "monitoring.coreos.com/") {
		return nil, fmt.Errorf("%s: a %s %s, neither a rule file nor a monitoring.coreos.com PrometheusRule", path, obj.APIVersion, obj.Kind)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(&obj.Spec); err != nil {
		return nil, fmt.Errorf("%s: spec: %w", path, err)
	}
	return buf.Bytes(), enc.Close()
}

// LoadRules reads and checks a rule file (or PrometheusRule) as `promtool
// check rules` does: YAML with no unknown field, valid group and rule names,
// labels and annotation templates, every expression parsed, and no rule
// repeated with the same labels in a group (promtool's duplicate-rules lint,
// an error here).
func LoadRules(path string) (*rulefmt.RuleGroups, error) {
	content, err := ruleSpec(path)
	if err != nil {
		return nil, err
	}
	groups, errs := rulefmt.Parse(content, false, model.LegacyValidation, Parser, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		for i := range errs {
			errs[i] = fmt.Errorf("%s: %w", path, errs[i])
		}
		return nil, errors.Join(errs...)
	}
	var dups []error
	for _, g := range groups.Groups {
		seen := map[string]bool{}
		for _, r := range g.Rules {
			key := r.Alert + r.Record + "\x00" + labelString(r.Labels)
			if seen[key] {
				dups = append(dups, fmt.Errorf("%s: group %q: rule %q repeated with the same labels", path, g.Name, r.Alert+r.Record))
			}
			seen[key] = true
		}
	}
	return groups, errors.Join(dups...)
}

func labelString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, m[k])
	}
	return b.String()
}

// MetricNames returns the metric names an expression selects (a vector
// selector's name, or its __name__="..." matcher), sorted and unique.
func MetricNames(expr string) ([]string, error) {
	e, err := Parser.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name != "" {
			names = append(names, vs.Name)
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				names = append(names, m.Value)
			}
		}
		return nil
	})
	slices.Sort(names)
	return slices.Compact(names), nil
}
