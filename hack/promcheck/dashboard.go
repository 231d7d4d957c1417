package promcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Dashboard is the part of a Grafana dashboard's JSON model the checks read.
type Dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []Panel `json:"panels"`
	Templating    struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Panel is a panel or a row (whose collapsed panels it holds).
type Panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource *DatasourceRef  `json:"datasource"`
	GridPos    GridPos         `json:"gridPos"`
	Targets    []Target        `json:"targets"`
	Panels     []Panel         `json:"panels"`
	FieldConf  json.RawMessage `json:"fieldConfig"`
}

// GridPos is where a panel sits (24 columns wide).
type GridPos struct {
	H, W, X, Y int
}

// DatasourceRef names a data source, here always the datasource variable.
type DatasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Target is one query of a panel.
type Target struct {
	RefID        string         `json:"refId"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat"`
	Datasource   *DatasourceRef `json:"datasource"`
}

// Variable is a templating variable; a query variable's query is a string
// or an object holding it.
type Variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *DatasourceRef  `json:"datasource"`
}

// Query is a PromQL expression of the dashboard and where it is.
type Query struct {
	Where string
	Expr  string
	// LabelValues: a label_values(selector, label) variable query, whose
	// selector is the expression.
	LabelValues bool
}

// ReadDashboard reads a dashboard's JSON, refusing trailing data.
func ReadDashboard(path string) (*Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// AllPanels returns the panels, those inside rows included, rows excluded.
func (d *Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

// Queries returns every PromQL expression: the panels' targets and the
// query variables' (label_values(selector, label): the selector).
func (d *Dashboard) Queries() []Query {
	var out []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			out = append(out, Query{Where: fmt.Sprintf("panel %q target %s", p.Title, t.RefID), Expr: t.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := v.QueryString()
		if m := labelValues.FindStringSubmatch(q); m != nil {
			out = append(out, Query{Where: "variable " + v.Name, Expr: m[1], LabelValues: true})
			continue
		}
		out = append(out, Query{Where: "variable " + v.Name, Expr: q})
	}
	return out
}

// QueryString is a query variable's query.
func (v Variable) QueryString() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}

// grafanaIntervals are Grafana's built-in variables that stand where PromQL
// wants a duration or a number, with a value of the right kind.
var grafanaIntervals = strings.NewReplacer(
	"${__rate_interval}", "5m", "$__rate_interval", "5m",
	"${__interval}", "1m", "$__interval", "1m",
	"${__range}", "1h", "$__range_s", "3600", "$__range", "1h",
)

// Variables returns the dashboard variables an expression names ($name or
// ${name}, Grafana's own __ variables aside).
func Variables(expr string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)`).FindAllStringSubmatch(expr, -1) {
		if !strings.HasPrefix(m[1], "__") {
			out = append(out, m[1])
		}
	}
	return out
}

// Parse parses the expression with Grafana's interval variables replaced by
// values (the dashboard's own variables stand inside label matchers' strings,
// where they parse as they are).
func (q Query) Parse() error {
	_, err := Parser.ParseExpr(grafanaIntervals.Replace(q.Expr))
	return err
}

// MetricNames returns the metric names the query selects.
func (q Query) MetricNames() ([]string, error) {
	names, err := MetricNames(grafanaIntervals.Replace(q.Expr))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 && !q.LabelValues {
		return nil, nil
	}
	if len(names) == 0 {
		return nil, errors.New("label_values without a metric name")
	}
	return names, nil
}
