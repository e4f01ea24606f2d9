package redmetricsprocessor

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// outcome is what redmetrics made of one record: its class ("" when it is
// not a request), its operation and its duration in ms ("-" when it has
// none).
type outcome struct {
	Class, Operation, DurationMS string
}

func ok(class, operation, durationMS string) outcome { return outcome{class, operation, durationMS} }

// webServerLogs are JSON access logs as web servers and proxies write them
// (testdata/conventions/logs), and what each line must come out as.
var webServerLogs = []struct {
	name string
	want []outcome
}{
	{"nginx", []outcome{ // log_format of nginx variables, every value quoted
		ok("2xx", "GET /api/search", "12.000"),
		ok("4xx", "GET /api/items/{id}", "3.000"),
		ok("5xx", "POST /api/checkout", "1204.000"),
		ok("503-busy", "POST /api/checkout", "0.000"),
		ok("client-disconnect", "GET /api/export", "7502.000"),
		ok("2xx", "GET /api/items/{id}/reviews", "15.000"), // two upstreams: "0.004, 0.010" is not a duration, request_time is
	}},
	{"nginx_combined", []outcome{ // only $request, numbers unquoted
		ok("2xx", "GET /v1/memories/{id}", "45.000"),
		ok("4xx", "POST /v1/recall", "1.000"),
		ok("client-disconnect", "GET /v1/stream", "12500.000"),
		ok("5xx", "POST /v1/recall", "8012.000"),
	}},
	{"envoy", []outcome{ // Istio's JSON access log
		ok("2xx", "GET /productpage", "14.000"),
		ok("4xx", "GET /reviews/{id}", "0.000"),
		ok("503-busy", "POST /api/v1/ratings", "1.000"),            // UO: circuit breaker overflow
		ok("client-disconnect", "GET /api/v1/export", "30012.000"), // DC with response code 0
		ok("client-disconnect", "POST /api/v1/orders", "842.000"),  // DC after the upstream's 200
		ok("5xx", "GET /details/{id}", "15001.000"),                // UT: upstream timeout
	}},
	{"caddy", []outcome{
		ok("2xx", "GET /api/items/{id}", "4.313"),
		ok("2xx", "POST /api/orders", "89.115"),
		ok("4xx", "GET /admin", "0.173"),
		ok("5xx", "GET /api/reports/2026-05", "3002.190"),
		ok("client-disconnect", "GET /api/stream", "9871.022"),
		ok("503-busy", "POST /api/orders", "0.412"),
	}},
	{"traefik", []outcome{
		ok("2xx", "GET /api/items/{id}", "4.313"),
		ok("2xx", "POST /api/orders", "89.115"),
		ok("4xx", "GET /api/missing", "1.190"),
		ok("5xx", "GET /api/reports/2026-05", "3002.190"),
		ok("client-disconnect", "GET /api/stream", "9871.022"),
		ok("503-busy", "POST /api/orders", "0.412"),
	}},
	{"apache", []outcome{ // the README's LogFormat, %D as request_time_us
		ok("2xx", "GET /index.php", "18.230"),
		ok("2xx", "GET /wp-admin/", "2.101"),
		ok("5xx", "POST /api/comments", "1502.311"),
		ok("2xx", "GET /images/logo.png", "0.311"),
		ok("4xx", "GET /api/posts/{id}", "4.012"),
		ok("503-busy", "POST /api/upload", "0.095"),
	}},
	{"apache_names", []outcome{ // a LogFormat with generic names, %D as duration_us
		ok("2xx", "GET /api/posts/{id}", "8.120"),
		ok("4xx", "DELETE /api/posts/{id}", "0.640"),
	}},
}

func conventionLogsPath(name string) string {
	return filepath.Join("testdata", "conventions", "logs", name+".jsonl")
}

func TestWebServerAccessLogs(t *testing.T) {
	for _, tc := range webServerLogs {
		t.Run(tc.name, func(t *testing.T) {
			ld := logsFromJSONL(t, conventionLogsPath(tc.name), tc.name)
			assert.Equal(t, tc.want, logOutcomes(t, ld))
			checkGoldenStamping(t, tc.name, ld)
			checkGoldenLogMetrics(t, tc.name, ld)
		})
	}
}

// newOutcomeEngine is an engine with the default configuration, as the
// default pipelines run it.
func newOutcomeEngine(t *testing.T) *engine {
	t.Helper()
	e, err := newEngine(createDefaultConfig().(*Config), engineOptions{now: newFakeClock().Now})
	require.NoError(t, err)
	return e
}

// logOutcomes runs each record of ld through an engine on its own and
// reads back the series key it was recorded under.
func logOutcomes(t *testing.T, ld plog.Logs) []outcome {
	t.Helper()
	e := newOutcomeEngine(t)
	var out []outcome
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				one := plog.NewLogs()
				rl := one.ResourceLogs().AppendEmpty()
				rls.At(i).Resource().CopyTo(rl.Resource())
				lrs.At(k).CopyTo(rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
				out = append(out, lastOutcome(e, e.consumeLogs(one, false)))
			}
		}
	}
	return out
}

// lastOutcome decodes what the engine recorded for the one record it was
// just given.
func lastOutcome(e *engine, st batchStats) outcome {
	var n int64
	for _, c := range st.byClass {
		n += c
	}
	if n == 0 {
		return outcome{}
	}
	_, class, dims := aggregate.DecodeKey(e.kb.Bytes())
	o := outcome{Class: class.String(), DurationMS: "-"}
	for i, d := range dims {
		if e.dims[i].builtin == builtinOperation && d.Present {
			o.Operation = d.Value
		}
	}
	if e.sample.HasDuration {
		o.DurationMS = fmt.Sprintf("%.3f", e.sample.Duration*1e3)
	}
	return o
}

// checkGoldenStamping runs ld through the processor and compares the
// stamped records with testdata/conventions/<name>/stamped.yaml.
func checkGoldenStamping(t *testing.T, name string, ld plog.Logs) {
	t.Helper()
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), createDefaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	in := plog.NewLogs()
	ld.CopyTo(in)
	require.NoError(t, p.ConsumeLogs(t.Context(), in))
	path := filepath.Join("testdata", "conventions", name, "stamped.yaml")
	if *update {
		require.NoError(t, golden.WriteLogs(t, path, sink.AllLogs()[0]))
	}
	want, err := golden.ReadLogs(path)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(want, sink.AllLogs()[0]))
}

// checkGoldenLogMetrics compares the connector's metrics for ld with
// testdata/conventions/<name>/expected.yaml.
func checkGoldenLogMetrics(t *testing.T, name string, ld plog.Logs) {
	t.Helper()
	sink := new(consumertest.MetricsSink)
	c, err := NewConnectorFactory().CreateLogsToMetrics(t.Context(), connectortest.NewNopSettings(metadata.Type), goldenConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, c.ConsumeLogs(t.Context(), ld))
	require.NoError(t, c.Shutdown(t.Context()))
	require.Len(t, sink.AllMetrics(), 1)
	checkGoldenMetrics(t, filepath.Join("conventions", name), sink.AllMetrics()[0])
}

// A record's fields are read by one convention: an Envoy line's "duration"
// is in ms, a Caddy line's in s, and neither is read as the other.
func TestAmbiguousFieldsFollowTheConvention(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]any
		want  outcome
	}{
		{"envoy duration is ms", map[string]any{"response_code": 200, "method": "GET", "path": "/a", "duration": 250},
			ok("2xx", "GET /a", "250.000")},
		{"caddy duration is s", map[string]any{"status": 200, "request": map[string]any{"method": "GET", "uri": "/a"}, "duration": 0.25},
			ok("2xx", "GET /a", "250.000")},
		{"a bare duration is no duration", map[string]any{"status": 200, "method": "GET", "path": "/a", "duration": 250},
			ok("2xx", "GET /a", "-")},
		{"envoy DC overrides the status", map[string]any{"response_code": 503, "response_flags": "UC,DC", "method": "GET", "path": "/a"},
			ok("client-disconnect", "GET /a", "-")},
		{"envoy without DC keeps it", map[string]any{"response_code": 503, "response_flags": "UH", "method": "GET", "path": "/a"},
			ok("503-busy", "GET /a", "-")},
		{"envoy code 0 without DC is no request", map[string]any{"response_code": 0, "response_flags": "-", "method": "GET", "path": "/a"},
			outcome{}},
		{"nginx request line", map[string]any{"status": "404", "request": "DELETE /a/1 HTTP/1.1", "request_time": "0.5"},
			ok("4xx", "DELETE /a/{id}", "500.000")},
		{"absolute URL", map[string]any{"http.status_code": 200, "http.method": "GET", "http.url": "https://h:8443/a/1?x=1"},
			ok("2xx", "GET /a/{id}", "-")},
		{"status class only, generic fields", map[string]any{"status_class": "503-busy", "method": "POST", "path": "/a", "latency_ms": 2},
			ok("503-busy", "POST /a", "2.000")},
		{"status class only, nginx fields", map[string]any{"status_class": "4xx", "request_method": "GET", "request_uri": "/n", "request_time": 0.1},
			ok("4xx", "GET /n", "100.000")},
		{"path without a method", map[string]any{"status": 200, "path": "/a", "latency_ms": 2}, ok("2xx", "/a", "2.000")},
		{"OTLP log with stable HTTP names", map[string]any{"http.response.status_code": 500, "http.request.method": "PUT", "url.path": "/a/7", "http.server.request.duration": 0.02},
			ok("5xx", "PUT /a/{id}", "20.000")},
		{"OTLP log falls back to generic duration", map[string]any{"http.response.status_code": 200, "http.request.method": "GET", "http.route": "/a/{id}", "duration_ms": 3},
			ok("2xx", "GET /a/{id}", "3.000")},
		{"LLM line named by its model", map[string]any{"status": 200, "model": "qwen2.5-7b", "latency_ms": 800}, ok("2xx", "qwen2.5-7b", "800.000")},
		{"no status at all", map[string]any{"method": "GET", "path": "/a"}, outcome{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ld := plog.NewLogs()
			require.NoError(t, ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes().FromRaw(tc.attrs))
			assert.Equal(t, []outcome{tc.want}, logOutcomes(t, ld))
		})
	}
}

// Conventions can be switched off one by one; a record none of the enabled
// ones reads is not a request.
func TestConventionsCanBeSwitchedOff(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Conventions = []string{"otel_http", "generic"}
	e, err := newEngine(cfg, engineOptions{now: newFakeClock().Now})
	require.NoError(t, err)
	ld := logsFromJSONL(t, conventionLogsPath("traefik"), "traefik")
	st := e.consumeLogs(ld, false)
	assert.Equal(t, [statusclass.Count + 1]int64{}, st.byClass)
}
