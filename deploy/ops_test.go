package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"text/template"
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
	// resultLabels are labels its result must carry: an alert's
	// annotations read them as {{ $labels.x }}.
	resultLabels []string
}

// rulesFileShape is the part of a Prometheus rules file the test reads.
type rulesFileShape struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Record      string            `json:"record"`
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

// recordings maps every name a recording rule defines to the labels its
// series carry: those its expression aggregates by, and the rule's own. It
// is nil for a name some rule records without aggregating: the series then
// keeps the labels of what it reads, and the test does not work them out.
type recordings map[string]map[string]bool

// templateLabelRef finds {{ $labels.x }} (and $labels.x inside any
// template action) in an annotation.
var templateLabelRef = regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)

// ruleExpressions returns the rules' expressions, with the labels their
// annotations read, and the names the recording rules define (which are
// Prometheus's, not redline's).
func ruleExpressions(t *testing.T) ([]opsExpression, recordings) {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	require.NoError(t, err)
	var rf rulesFileShape
	require.NoError(t, yaml.Unmarshal(data, &rf))
	var out []opsExpression
	recorded := recordings{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			e := opsExpression{where: "rule " + r.Alert, expr: r.Expr}
			if r.Record != "" {
				e.where = "rule " + r.Record
				recorded.add(r.Record, r.Expr, r.Labels)
			}
			for _, a := range sortedKeys(r.Annotations) {
				for _, m := range templateLabelRef.FindAllStringSubmatch(r.Annotations[a], -1) {
					e.resultLabels = append(e.resultLabels, m[1])
				}
			}
			out = append(out, e)
		}
	}
	require.NotEmpty(t, out)
	return out, recorded
}

// add records what a recording rule's series carry.
func (rec recordings) add(name, expr string, static map[string]string) {
	grouping := parsePromQL(expr).grouping
	prev, seen := rec[name]
	if len(grouping) == 0 || (seen && prev == nil) {
		rec[name] = nil
		return
	}
	labels := union(prev, grouping)
	for l := range static {
		labels[l] = true
	}
	rec[name] = labels
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

// missingFrom lists what the expressions use that the exposition lacks:
// metrics, labels in matchers, labels they group by, and labels their
// alerts' annotations read from the result (an aggregation keeps only the
// labels it groups by).
func missingFrom(exprs []opsExpression, recorded recordings, exp exposition) []string {
	var problems []string
	for _, e := range exprs {
		refs := parsePromQL(e.expr)
		known := map[string]bool{} // labels of the series this expression reads
		for name, labels := range refs.metrics {
			if rec, ok := recorded[name]; ok {
				// Defined by a recording rule, whose own expression is
				// checked; its series carry what that rule keeps.
				if rec == nil {
					known = nil
					continue
				}
				if known != nil {
					known = union(known, rec)
				}
				for l := range labels {
					if !rec[l] && !labelsAddedByPrometheus[l] {
						problems = append(problems, fmt.Sprintf("%s: %s has no label %s", e.where, name, l))
					}
				}
				continue
			}
			have, ok := exp[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: metric %s is not exposed", e.where, name))
				continue
			}
			if known != nil {
				known = union(known, have)
			}
			for l := range labels {
				if !have[l] && !labelsAddedByPrometheus[l] {
					problems = append(problems, fmt.Sprintf("%s: %s has no label %s", e.where, name, l))
				}
			}
		}
		if known == nil {
			continue // labels of a recording that does not aggregate: not worked out
		}
		wanted := refs.grouping
		if e.label != "" {
			wanted = union(wanted, map[string]bool{e.label: true})
		}
		for _, l := range sortedKeys(wanted) {
			if !known[l] && !labelsAddedByPrometheus[l] {
				problems = append(problems, fmt.Sprintf("%s: groups by %s, which none of its metrics carries", e.where, l))
			}
		}
		result := known
		if len(refs.grouping) > 0 {
			result = refs.grouping
		}
		reported := map[string]bool{}
		for _, l := range e.resultLabels {
			if !result[l] && !labelsAddedByPrometheus[l] && !reported[l] {
				reported[l] = true
				problems = append(problems, fmt.Sprintf("%s: annotations read $labels.%s, which its result does not carry", e.where, l))
			}
		}
	}
	return problems
}

// wantedNames are the metric names the dashboard and the rules read.
func wantedNames(exprs []opsExpression, recorded recordings) map[string]bool {
	out := map[string]bool{}
	for _, e := range exprs {
		for name := range parsePromQL(e.expr).metrics {
			if _, ok := recorded[name]; !ok && name != "" {
				out[name] = true
			}
		}
	}
	return out
}

func TestMissingFromFindsProblems(t *testing.T) {
	exp := exposition{"a_total": {"service": true}, "b_bucket": {"le": true}}
	recorded := recordings{}
	recorded.add("x:y:z", `rate(a_total[5m])`, nil) // keeps a_total's labels: not worked out
	recorded.add("service:a:rate5m", `sum by (service) (rate(a_total[5m]))`, map[string]string{"data_type": "logs"})
	recorded.add("service:a:rate5m", `sum by (service) (rate(a_total[1m]))`, map[string]string{"data_type": "traces"})
	problems := missingFrom([]opsExpression{
		{where: "ok", expr: `sum by (service, job) (rate(a_total{service="x"}[5m]))`},
		{where: "unknown", expr: `rate(c_total[5m])`},
		{where: "label", expr: `a_total{status="x"}`},
		{where: "group", expr: `sum by (operation) (a_total)`},
		{where: "template", expr: `a_total`, label: "bucket"},
		{where: "recorded", expr: `sum by (whatever) (x:y:z)`, resultLabels: []string{"whatever", "other"}},
		{where: "recorded ok", expr: `service:a:rate5m > 0`, resultLabels: []string{"service", "data_type", "instance"}},
		{where: "recorded group", expr: `sum by (operation) (service:a:rate5m)`},
		{where: "recorded matcher", expr: `service:a:rate5m{data_type="logs", exporter!="x"}`},
		{where: "recorded annotation", expr: `service:a:rate5m > 0`, resultLabels: []string{"exporter"}},
		{where: "annotation", expr: `a_total > 1`, resultLabels: []string{"service", "job", "status", "status"}},
		{where: "aggregated annotation", expr: `sum by (job, instance) (rate(a_total[5m])) > 0`, resultLabels: []string{"instance", "service"}},
	}, recorded, exp)
	assert.ElementsMatch(t, []string{
		"unknown: metric c_total is not exposed",
		"label: a_total has no label status",
		"group: groups by operation, which none of its metrics carries",
		"template: groups by bucket, which none of its metrics carries",
		"recorded group: groups by operation, which none of its metrics carries",
		"recorded matcher: service:a:rate5m has no label exporter",
		"recorded annotation: annotations read $labels.exporter, which its result does not carry",
		"annotation: annotations read $labels.status, which its result does not carry",
		"aggregated annotation: annotations read $labels.service, which its result does not carry",
	}, problems)
}

func TestRuleExpressionsReadAnnotationLabels(t *testing.T) {
	exprs, recorded := ruleExpressions(t)
	byWhere := map[string]opsExpression{}
	for _, e := range exprs {
		byWhere[e.where] = e
	}
	lag := byWhere["rule RedlineAccessLogReadLagGrowing"]
	assert.Contains(t, lag.resultLabels, "log_file_path")
	assert.Contains(t, lag.resultLabels, "instance")
	assert.Equal(t, map[string]bool{"job": true, "instance": true, "exporter": true, "data_type": true},
		recorded["instance_exporter:otelcol_exporter_send_failed:rate5m"])
}

// pipelineConfig runs every component whose metrics the dashboard and the
// rules read, on both surfaces Prometheus scrapes: healthz's
// /metrics/prometheus and the collector's own telemetry endpoint (a pull
// reader, as in config/collector.yaml).
//
//   - The access-log receiver tails a file of requests (and one line that is
//     not JSON): redmetrics counts them, a tiny rate limit denies most of
//     them, payloadcapture writes their bodies, and the receiver reports its
//     read lag per file.
//   - The test posts OTLP logs, spans and metrics to the otlp receiver, which
//     hands each signal to exporters whose next hop is down. otlp/down sends
//     at once and does not retry, so every send fails and is counted
//     (send_failed_*). otlp/refused queues through storage_guard/refusing,
//     whose reserve is larger than any disk: once an item made its database
//     take more disk, the next ones are refused (refused_writes) and the
//     exporter counts them (enqueue_failed_*). What it did queue it keeps
//     retrying (for retry_on_failure's 5 minutes), so no space is freed.
//   - With a tmpfs (FullDir, see mountTmpfs), otlp/nospace queues through
//     storage_guard/full on that filesystem, which the test fills to the
//     last byte: the queue's next write fails for lack of space
//     (no_space_errors{operation="write"}).
const pipelineConfig = `
extensions:
  healthz:
    endpoint: 127.0.0.1:{{.HealthPort}}
  file_storage/refusing:
    directory: {{.Dir}}/storage
    create_directory: true
  storage_guard/refusing:
    storage: file_storage/refusing
    directory: {{.Dir}}/storage
    min_free_mib: 1073741824
{{- if .FullDir}}
  file_storage/full:
    directory: {{.FullDir}}
  storage_guard/full:
    storage: file_storage/full
    directory: {{.FullDir}}
    min_free_mib: 0
{{- end}}
receivers:
  accesslog:
    include: [{{.Dir}}/*.jsonl]
    start_at: beginning
    poll_interval: 20ms
    force_flush_period: 50ms
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{{.OTLPPort}}
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
    directory: {{.Dir}}/captures
    timeout: 5s
  nop: {}
  otlp/down:
    endpoint: 127.0.0.1:{{.DeadPort}}
    tls:
      insecure: true
    timeout: 1s
    retry_on_failure:
      enabled: false
  otlp/refused:
    endpoint: 127.0.0.1:{{.DeadPort}}
    tls:
      insecure: true
    sending_queue:
      storage: storage_guard/refusing
      block_on_overflow: true
{{- if .FullDir}}
  otlp/nospace:
    endpoint: 127.0.0.1:{{.DeadPort}}
    tls:
      insecure: true
    sending_queue:
      storage: storage_guard/full
      block_on_overflow: true
{{- end}}
service:
  extensions: [healthz, file_storage/refusing, storage_guard/refusing{{if .FullDir}}, file_storage/full, storage_guard/full{{end}}]
  telemetry:
    logs:
      level: error
      disable_stacktrace: true
      output_paths: [{{.Dir}}/collector.log]
      error_output_paths: [{{.Dir}}/collector.log]
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: {{.TelemetryPort}}
  pipelines:
    logs:
      receivers: [accesslog]
      processors: [redmetrics]
      exporters: [payloadcapture]
    logs/limited:
      receivers: [accesslog]
      processors: [ratelimit]
      exporters: [nop]
{{- range .Signals}}
    {{.}}/otlp:
      receivers: [otlp]
      exporters: [otlp/down, otlp/refused{{if $.FullDir}}, otlp/nospace{{end}}]
{{- end}}
`

// pipelineParams fills pipelineConfig.
type pipelineParams struct {
	HealthPort, OTLPPort, TelemetryPort, DeadPort int
	Dir, FullDir                                  string
	Signals                                       []string
}

// otlpBodies are one OTLP/HTTP JSON request per signal, posted to the otlp
// receiver so that every signal's exporter counters move.
var otlpBodies = map[string]string{
	"logs": `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ops-test"}}]},` +
		`"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","body":{"stringValue":"hello"}}]}]}]}`,
	"traces": `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ops-test"}}]},` +
		`"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",` +
		`"name":"GET /","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}]}]}]}`,
	"metrics": `{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ops-test"}}]},` +
		`"scopeMetrics":[{"metrics":[{"name":"ops.test","gauge":{"dataPoints":[{"asInt":"1","timeUnixNano":"1700000000000000000"}]}}]}]}]}`,
}

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

// mountTmpfs mounts a tmpfs of size on dir (as the reliability suite's
// disk-full scenario does) and unmounts it when the test ends. It reports
// false when mounting needs a privilege the test does not have (root or
// CAP_SYS_ADMIN); under CI, which runs as root, that fails the test.
func mountTmpfs(t *testing.T, dir, size string) bool {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	out, err := exec.CommandContext(t.Context(), "mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a %s tmpfs on %s (%v: %s): a full filesystem needs root or CAP_SYS_ADMIN",
			size, dir, err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Log(msg)
		return false
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s; detaching it lazily", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return true
}

// fillFilesystem writes to a file in dir until the filesystem holding it
// has no block left.
func fillFilesystem(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			return
		}
	}
}

// noSpaceMetric needs a filesystem that is full, which the test can only
// have by mounting one (mountTmpfs).
const noSpaceMetric = "otelcol_storage_guard_no_space_errors"

// TestDashboardAndRulesUseExposedMetrics runs a real redline pipeline with
// the distribution's factories, scrapes healthz's /metrics/prometheus and
// the collector's telemetry endpoint, and checks that every metric name and
// label the dashboard and the alert rules read is in those expositions.
// Counters appear only once they counted something, so the pipeline is
// built to make every one the rules read count (see pipelineConfig).
func TestDashboardAndRulesUseExposedMetrics(t *testing.T) {
	ruleExprs, recorded := ruleExpressions(t)
	exprs := append(dashboardExpressions(t), ruleExprs...)
	wanted := wantedNames(exprs, recorded)
	require.NotEmpty(t, wanted)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "access-2026-05-08.jsonl"), []byte(accessLogLines()), 0o600))
	params := pipelineParams{
		HealthPort:    freePort(t),
		OTLPPort:      freePort(t),
		TelemetryPort: freePort(t),
		DeadPort:      freePort(t), // closed again: nothing listens there
		Dir:           dir,
		Signals:       []string{"logs", "traces", "metrics"},
	}
	if full := filepath.Join(dir, "full"); mountTmpfs(t, full, "1m") {
		params.FullDir = full
	} else {
		// Without a full filesystem nothing fails for lack of space, and
		// the counter is never exposed: its name is then not checked here.
		// The reliability suite's disk-full scenario reads it from the
		// built binary (test/system, TestDiskFull).
		delete(wanted, noSpaceMetric)
		var checked []opsExpression
		for _, e := range exprs {
			if _, reads := parsePromQL(e.expr).metrics[noSpaceMetric]; reads {
				t.Logf("%s is not checked: it reads %s, and there is no tmpfs to fill", e.where, noSpaceMetric)
				continue
			}
			checked = append(checked, e)
		}
		exprs = checked
	}
	var cfg bytes.Buffer
	require.NoError(t, template.Must(template.New("config").Parse(pipelineConfig)).Execute(&cfg, params))
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, cfg.Bytes(), 0o600))
	logPath := filepath.Join(dir, "collector.log")
	t.Cleanup(func() {
		if t.Failed() {
			logTail(t, logPath, 40)
		}
	})

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

	// Scrape only once every component has started: the collector's
	// telemetry endpoint is up before the exporters, and exporterhelper
	// v0.165.0 loads a persistent queue's metadata in Start without the lock
	// its queue-size gauge reads it under (a data race upstream, which -race
	// reports when a scrape lands during start-up).
	require.Eventually(t, func() bool { return col.GetState() == otelcol.StateRunning }, 30*time.Second, 20*time.Millisecond,
		"the collector did not reach the running state")

	// Scrape both endpoints until every wanted name is there, the collector
	// fails, or the deadline passes. Between scrapes, OTLP data keeps the
	// exporters failing and being refused.
	healthURL := fmt.Sprintf("http://127.0.0.1:%d/metrics/prometheus", params.HealthPort)
	telemetryURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", params.TelemetryPort)
	client := &http.Client{Timeout: 2 * time.Second}
	var (
		exp                   exposition
		healthText, telemText string
		lastErr               error
		filled                bool
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
		var hErr, tErr error
		healthText, hErr = scrape(t.Context(), client, healthURL)
		telemText, tErr = scrape(t.Context(), client, telemetryURL)
		lastErr = errors.Join(hErr, tErr)
		if lastErr == nil {
			exp = parseExposition(t, healthText)
			for name, labels := range parseExposition(t, telemText) {
				exp[name] = union(exp[name], labels)
			}
			if len(missingNames(wanted, exp)) == 0 {
				break
			}
		}
		answered := false
		for _, signal := range params.Signals {
			answered = postOTLP(t.Context(), client, params.OTLPPort, signal) || answered
		}
		// Receivers start after the exporters: once the otlp receiver
		// answers, otlp/nospace's queues have created their databases.
		if answered && params.FullDir != "" && !filled {
			fillFilesystem(t, params.FullDir)
			filled = true
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NotNil(t, exp, "no exposition from %s and %s: %v", healthURL, telemetryURL, lastErr)
	stop()

	assert.Empty(t, missingNames(wanted, exp), "metrics the dashboard or the rules read but a real pipeline never exposed; exposed: %v", sortedKeys(exp))
	assert.Empty(t, missingFrom(exprs, recorded, exp))

	// healthz's exposition passes Prometheus's own lint. The collector's
	// does not, by upstream choice: its reader drops the _total suffix of
	// counters (without_type_suffix defaults to true), which promtool flags.
	bin, ok := findPromtool()
	switch {
	case ok:
		cmd := exec.CommandContext(t.Context(), bin, "check", "metrics")
		cmd.Stdin = strings.NewReader(healthText)
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "promtool check metrics:\n%s", out)
	case os.Getenv("CI") != "":
		t.Error(promtoolMissing)
	default:
		t.Log(promtoolMissing + "; the exposition was not linted")
	}
}

// postOTLP posts one request of signal to the otlp receiver and tells
// whether the receiver answered. What it answered does not matter: a refusal
// by storage_guard is part of what the test provokes.
func postOTLP(ctx context.Context, client *http.Client, port int, signal string) bool {
	url := fmt.Sprintf("http://127.0.0.1:%d/v1/%s", port, signal)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(otlpBodies[signal]))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return true
}

// logTail logs the last n lines of the collector's log.
func logTail(t *testing.T, path string, n int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Logf("collector log: %v", err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	t.Logf("collector log (last %d lines):\n%s", len(lines), strings.Join(lines, "\n"))
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
