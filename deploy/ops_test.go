package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/otelcol"
	"sigs.k8s.io/yaml"

	"github.com/redline-otel/redline/internal/distribution"
)

const (
	dashboardFile = "../ops/grafana-dashboard.json"
	rulesFile     = "../ops/prometheus-rules.yaml"
	rulesTestFile = "../ops/prometheus-rules.test.yaml"
)

// findPromtool looks for promtool on PATH and where Debian's prometheus
// package puts it.
func findPromtool() (string, bool) {
	if p, err := exec.LookPath("promtool"); err == nil {
		return p, true
	}
	for _, p := range []string{"/usr/bin/promtool", "/usr/sbin/promtool", "/usr/local/bin/promtool"} {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

const promtoolMissing = "promtool not found: install Debian's prometheus package (scripts/install-test-deps.sh)"

// promtool finds promtool; without it the test fails under CI (which
// installs it) and is skipped elsewhere.
func promtool(t *testing.T) string {
	t.Helper()
	p, ok := findPromtool()
	if !ok {
		if os.Getenv("CI") != "" {
			t.Fatal(promtoolMissing)
		}
		t.Skip(promtoolMissing)
	}
	return p
}

func TestPrometheusRules(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", rulesFile},
		{"test", "rules", rulesTestFile},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		cancel()
		require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
		assert.Contains(t, string(out), "SUCCESS", "promtool %s", strings.Join(args, " "))
	}
}

// opsExpression is one PromQL expression of the dashboard or the rules.
type opsExpression struct {
	where string // "dashboard panel \"…\"", "rule RedlineNotReady"
	expr  string
	label string // a label the expression must carry (Grafana label_values)
}

// rulesFileShape is the part of a Prometheus rules file the test reads.
type rulesFileShape struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Record string `json:"record"`
			Alert  string `json:"alert"`
			Expr   string `json:"expr"`
		} `json:"rules"`
	} `json:"groups"`
}

// ruleExpressions returns the rules' expressions and the names the
// recording rules define (which are Prometheus's, not redline's).
func ruleExpressions(t *testing.T) ([]opsExpression, map[string]bool) {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	require.NoError(t, err)
	var rf rulesFileShape
	require.NoError(t, yaml.Unmarshal(data, &rf))
	var out []opsExpression
	recorded := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			name := r.Alert
			if r.Record != "" {
				name = r.Record
				recorded[r.Record] = true
			}
			out = append(out, opsExpression{where: "rule " + name, expr: r.Expr})
		}
	}
	require.NotEmpty(t, out)
	return out, recorded
}

// dashboardShape is the part of a Grafana dashboard the test reads.
type dashboardShape struct {
	Panels []struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func dashboardExpressions(t *testing.T) []opsExpression {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var d dashboardShape
	require.NoError(t, json.Unmarshal(data, &d))
	var out []opsExpression
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
		for _, tg := range p.Targets {
			require.NotEmpty(t, tg.Expr, "panel %q has an empty query", p.Title)
			out = append(out, opsExpression{where: fmt.Sprintf("dashboard panel %q", p.Title), expr: tg.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			require.NoError(t, json.Unmarshal(v.Query, &q.Query), "variable %s", v.Name)
		}
		expr, label := grafanaQueryExpr(q.Query)
		out = append(out, opsExpression{where: "dashboard variable $" + v.Name, expr: expr, label: label})
	}
	return out
}

// TestDashboardPanels pins the panels the issue asks for, so that a panel
// removed by mistake fails here and not in front of an operator.
func TestDashboardPanels(t *testing.T) {
	data, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var d dashboardShape
	require.NoError(t, json.Unmarshal(data, &d))
	exprs := map[string]string{}
	for _, p := range d.Panels {
		var all []string
		for _, tg := range p.Targets {
			all = append(all, tg.Expr)
		}
		exprs[p.Title] = strings.Join(all, "\n")
	}
	for title, wants := range map[string][]string{
		"Request rate by service and operation": {"red_requests_total", "by (service, operation)"},
		"Error ratio by service":                {`status_class=~"4xx|5xx"`, "by (service)"},
		"Error %":                               {`100 * sum(rate(red_requests_total`, `status_class=~"4xx|5xx"`},
		"Latency p50 / p95 / p99":               {"histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,"},
		"Requests by status class":              {"by (status_class)"},
		"Rate-limit admissions and denials":     {"redline_ratelimit_admitted_total", "redline_ratelimit_denied_total"},
		"Access-log read lag":                   {"redline_accesslog_read_lag_bytes"},
		"Access-log lines and parse errors":     {"redline_accesslog_parse_errors_total"},
		"Payload-capture disk use":              {"redline_payloadcapture_disk_usage_bytes", "redline_payloadcapture_disk_budget_bytes"},
	} {
		got, ok := exprs[title]
		if !assert.True(t, ok, "no panel %q", title) {
			continue
		}
		for _, w := range wants {
			assert.Contains(t, got, w, "panel %q", title)
		}
	}
}

// labelsAddedByPrometheus are labels no exporter sets: the scrape adds job
// and instance, histograms carry le on _bucket, __name__ names the series.
var labelsAddedByPrometheus = map[string]bool{"job": true, "instance": true, "__name__": true}

// exposition maps every series name redline exposes (a histogram family
// named x gives x_bucket, x_sum and x_count) to its label names.
type exposition map[string]map[string]bool

func parseExposition(t *testing.T, text string) exposition {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	require.NoError(t, err)
	out := exposition{}
	add := func(name string, labels map[string]bool) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for l := range labels {
			out[name][l] = true
		}
	}
	for name, f := range families {
		labels := map[string]bool{}
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = true
			}
		}
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			add(name+"_bucket", union(labels, map[string]bool{"le": true}))
			add(name+"_sum", labels)
			add(name+"_count", labels)
		case dto.MetricType_SUMMARY:
			add(name, union(labels, map[string]bool{"quantile": true}))
			add(name+"_sum", labels)
			add(name+"_count", labels)
		default:
			add(name, labels)
		}
	}
	return out
}

func union(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// missingFrom lists what the expressions use that the exposition lacks.
func missingFrom(exprs []opsExpression, recorded map[string]bool, exp exposition) []string {
	var problems []string
	for _, e := range exprs {
		refs := parsePromQL(e.expr)
		known := map[string]bool{} // labels of the metrics this expression reads
		for name, labels := range refs.metrics {
			if recorded[name] {
				continue // defined by a recording rule; its own expression is checked
			}
			have, ok := exp[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: metric %s is not exposed", e.where, name))
				continue
			}
			for l := range have {
				known[l] = true
			}
			for l := range labels {
				if !have[l] && !labelsAddedByPrometheus[l] {
					problems = append(problems, fmt.Sprintf("%s: %s has no label %s", e.where, name, l))
				}
			}
		}
		for name := range refs.metrics {
			if recorded[name] {
				// Labels of recorded series are what their rule keeps;
				// accept the grouping of the rule that reads them.
				known = nil
				break
			}
		}
		if known == nil {
			continue
		}
		wanted := refs.grouping
		if e.label != "" {
			wanted = union(wanted, map[string]bool{e.label: true})
		}
		for l := range wanted {
			if !known[l] && !labelsAddedByPrometheus[l] {
				problems = append(problems, fmt.Sprintf("%s: groups by %s, which none of its metrics carries", e.where, l))
			}
		}
	}
	return problems
}

// wantedNames are the metric names the dashboard and the rules read.
func wantedNames(exprs []opsExpression, recorded map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, e := range exprs {
		for name := range parsePromQL(e.expr).metrics {
			if !recorded[name] && name != "" {
				out[name] = true
			}
		}
	}
	return out
}

func TestMissingFromFindsProblems(t *testing.T) {
	exp := exposition{"a_total": {"service": true}, "b_bucket": {"le": true}}
	problems := missingFrom([]opsExpression{
		{where: "ok", expr: `sum by (service, job) (rate(a_total{service="x"}[5m]))`},
		{where: "unknown", expr: `rate(c_total[5m])`},
		{where: "label", expr: `a_total{status="x"}`},
		{where: "group", expr: `sum by (operation) (a_total)`},
		{where: "template", expr: `a_total`, label: "bucket"},
		{where: "recorded", expr: `sum by (whatever) (x:y:z)`},
	}, map[string]bool{"x:y:z": true}, exp)
	assert.ElementsMatch(t, []string{
		"unknown: metric c_total is not exposed",
		"label: a_total has no label status",
		"group: groups by operation, which none of its metrics carries",
		"template: groups by bucket, which none of its metrics carries",
	}, problems)
}

// pipelineConfig runs every component whose metrics the dashboard and the
// rules read: the access-log receiver tails a file of requests (and one
// line that is not JSON), redmetrics counts them, a tiny rate limit denies
// most of them, and payloadcapture writes their bodies.
const pipelineConfig = `
extensions:
  healthz:
    endpoint: 127.0.0.1:%[1]d
receivers:
  accesslog:
    include: [%[2]s/*.jsonl]
    start_at: beginning
    poll_interval: 20ms
    force_flush_period: 50ms
processors:
  redmetrics:
    metrics_flush_interval: 100ms
  ratelimit:
    limits:
      - name: per_service
        rate: 1
        burst: 2
        key: [service]
exporters:
  payloadcapture:
    enabled: true
    directory: %[2]s/captures
    timeout: 5s
  nop: {}
service:
  extensions: [healthz]
  telemetry:
    logs:
      level: error
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [accesslog]
      processors: [redmetrics]
      exporters: [payloadcapture]
    logs/limited:
      receivers: [accesslog]
      processors: [ratelimit]
      exporters: [nop]
`

// accessLogLines are requests of every status class, with bodies for
// payloadcapture, and one line that is not JSON.
func accessLogLines() string {
	var b strings.Builder
	for i, status := range []int{200, 201, 404, 500, 503, 499, 200, 302} {
		fmt.Fprintf(&b, `{"ts":"2026-05-08T10:00:%02d.000Z","level":"INFO","msg":"request","service":"checkout",`+
			`"method":"POST","path":"/pay/%d","status_code":%d,"duration_ms":%d.5,"request_id":"req-%d",`+
			`"http.request.body":"{\"amount\":%d}","http.response.body":"ok"}`+"\n", i, i, status, 10*(i+1), i, i)
	}
	b.WriteString("this line is not JSON\n")
	return b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// TestDashboardAndRulesUseExposedMetrics runs a real redline pipeline with
// the distribution's factories, scrapes healthz's /metrics/prometheus, and
// checks that every metric name and label the dashboard and the alert rules
// read is in that exposition.
func TestDashboardAndRulesUseExposedMetrics(t *testing.T) {
	ruleExprs, recorded := ruleExpressions(t)
	exprs := append(dashboardExpressions(t), ruleExprs...)
	wanted := wantedNames(exprs, recorded)
	require.NotEmpty(t, wanted)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "access-2026-05-08.jsonl"), []byte(accessLogLines()), 0o600))
	port := freePort(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, pipelineConfig, port, dir), 0o600))

	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "redline", Description: "redline ops test", Version: "test"},
		Factories: distribution.Components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{cfgPath},
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()},
		}},
		DisableGracefulShutdown: true,
		SkipSettingGRPCLogger:   true,
	})
	require.NoError(t, err)
	runErr := make(chan error, 1)
	go func() { runErr <- col.Run(context.Background()) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		col.Shutdown()
		select {
		case err := <-runErr:
			assert.NoError(t, err, "collector run")
		case <-time.After(30 * time.Second):
			t.Error("the collector did not stop within 30s")
		}
	}
	t.Cleanup(stop)

	// Scrape until every wanted name is there, the collector fails, or the
	// deadline passes; series appear once the pipeline has moved data.
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics/prometheus", port)
	client := &http.Client{Timeout: 2 * time.Second}
	var (
		exp     exposition
		text    string
		lastErr error
	)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-runErr:
			stopped = true
			require.NoError(t, err, "the collector stopped")
			t.Fatal("the collector stopped before the exposition was complete")
		default:
		}
		var err error
		text, err = scrape(t.Context(), client, url)
		if err == nil {
			exp = parseExposition(t, text)
			if len(missingNames(wanted, exp)) == 0 {
				break
			}
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	require.NotNil(t, exp, "no exposition from %s: %v", url, lastErr)
	stop()

	assert.Empty(t, missingNames(wanted, exp), "metrics the dashboard or the rules read but a real pipeline never exposed; exposed: %v", sortedKeys(exp))
	assert.Empty(t, missingFrom(exprs, recorded, exp))

	// The same exposition passes Prometheus's own lint.
	bin, ok := findPromtool()
	switch {
	case ok:
		cmd := exec.CommandContext(t.Context(), bin, "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "promtool check metrics:\n%s", out)
	case os.Getenv("CI") != "":
		t.Error(promtoolMissing)
	default:
		t.Log(promtoolMissing + "; the exposition was not linted")
	}
}

func missingNames(wanted map[string]bool, exp exposition) []string {
	var out []string
	for _, n := range sortedKeys(wanted) {
		if _, ok := exp[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

func scrape(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(body), nil
}
