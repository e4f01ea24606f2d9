package healthapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redline-otel/redline/extension/healthzextension/internal/promtooltest"
	"github.com/redline-otel/redline/extension/healthzextension/internal/sources"
	"github.com/redline-otel/redline/extension/healthzextension/internal/status"
)

var (
	t0       = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	otlpLogs = status.Instance{Kind: "receiver", ID: "otlp", Pipelines: []string{"logs"}}
	access   = status.Instance{Kind: "receiver", ID: "accesslog", Pipelines: []string{"logs"}}
	debugExp = status.Instance{Kind: "exporter", ID: "debug", Pipelines: []string{"logs"}}
	healthz  = status.Instance{Kind: "extension", ID: "healthz"}
)

type fixture struct {
	agg     *status.Aggregator
	sources *sources.Registry
	handler *Handler
}

// newFixture has a clock frozen 1234.5 s after start, so bodies are exact.
func newFixture(t *testing.T, auth MetricsAuth) *fixture {
	t.Helper()
	agg := status.NewAggregator(t0, func() time.Time { return t0.Add(1234500 * time.Millisecond) })
	srcs := sources.New()
	logf := func(format string, args ...any) { t.Logf("handler: "+format, args...) }
	return &fixture{agg: agg, sources: srcs, handler: New(Settings{Aggregator: agg, Sources: srcs, MetricsAuth: auth, Logf: logf})}
}

func (f *fixture) ready() {
	for _, inst := range []status.Instance{healthz, otlpLogs, access, debugExp} {
		f.agg.Record(inst, status.Event{Status: status.StatusStarting, Time: t0})
		f.agg.Record(inst, status.Event{Status: status.StatusOK, Time: t0.Add(time.Second)})
	}
	f.agg.SetReady()
}

func (f *fixture) do(t *testing.T, method, path string, header http.Header) (int, http.Header, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, http.NoBody)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	res := rec.Result()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, string(body)
}

// TestJSONShapes pins every JSON body byte for byte: these are the
// contract with probes, dashboards and the README.
func TestJSONShapes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *fixture)
		path  string
		code  int
		body  string
	}{
		{
			name: "healthz ok", setup: func(*fixture) {}, path: PathHealthz, code: 200,
			body: `{"status":"ok","uptime_s":1234.5}`,
		},
		{
			name: "healthz fatal", path: PathHealthz, code: 503,
			setup: func(f *fixture) {
				f.ready()
				f.agg.Record(otlpLogs, status.Event{Status: status.StatusFatalError, Message: "listen tcp :4318: bind: address already in use", Time: t0})
			},
			body: `{"status":"fatal","reason":"fatal error in receiver/otlp (pipelines: logs): listen tcp :4318: bind: address already in use","uptime_s":1234.5}`,
		},
		{
			name: "readyz starting", setup: func(*fixture) {}, path: PathReadyz, code: 503,
			body: `{"status":"not_ready","reason":"collector is starting: pipelines have not all started yet"}`,
		},
		{
			name: "readyz ready", setup: (*fixture).ready, path: PathReadyz, code: 200,
			body: `{"status":"ready","pipelines":1,"components":4}`,
		},
		{
			name: "readyz shutting down", path: PathReadyz, code: 503,
			setup: func(f *fixture) { f.ready(); f.agg.SetShuttingDown() },
			body:  `{"status":"not_ready","reason":"collector is shutting down"}`,
		},
		{
			name: "components ok", setup: (*fixture).ready, path: PathHealthComponents, code: 200,
			body: `{"status":"ok","message":"all 4 components ok","ready":true,"uptime_s":1234.5,"components":[` +
				`{"component":"extension/healthz","kind":"extension","pipelines":[],"status":"ok","since":"2026-11-22T01:00:01Z"},` +
				`{"component":"receiver/accesslog","kind":"receiver","pipelines":["logs"],"status":"ok","since":"2026-11-22T01:00:01Z"},` +
				`{"component":"receiver/otlp","kind":"receiver","pipelines":["logs"],"status":"ok","since":"2026-11-22T01:00:01Z"},` +
				`{"component":"exporter/debug","kind":"exporter","pipelines":["logs"],"status":"ok","since":"2026-11-22T01:00:01Z"}]}`,
		},
		{
			name: "components degraded", path: PathHealthComponents, code: 200,
			setup: func(f *fixture) {
				f.ready()
				f.agg.Record(access, status.Event{Status: status.StatusRecoverableError, Message: "open /var/log/app.log: permission denied", Time: t0.Add(time.Minute)})
			},
			body: `{"status":"degraded","message":"recoverable error in receiver/accesslog (pipelines: logs): open /var/log/app.log: permission denied","ready":true,"uptime_s":1234.5,"components":[` +
				`{"component":"extension/healthz","kind":"extension","pipelines":[],"status":"ok","since":"2026-11-22T01:00:01Z"},` +
				`{"component":"receiver/accesslog","kind":"receiver","pipelines":["logs"],"status":"recoverable_error","message":"open /var/log/app.log: permission denied","since":"2026-11-22T01:01:00Z"},` +
				`{"component":"receiver/otlp","kind":"receiver","pipelines":["logs"],"status":"ok","since":"2026-11-22T01:00:01Z"},` +
				`{"component":"exporter/debug","kind":"exporter","pipelines":["logs"],"status":"ok","since":"2026-11-22T01:00:01Z"}]}`,
		},
		{
			name: "components permanent error", path: PathHealthComponents, code: 503,
			setup: func(f *fixture) {
				f.agg.Record(debugExp, status.Event{Status: status.StatusPermanentError, Message: "bad config", Time: t0})
				f.agg.SetReady()
			},
			body: `{"status":"error","message":"permanent error in exporter/debug (pipelines: logs): bad config","ready":false,"uptime_s":1234.5,"components":[` +
				`{"component":"exporter/debug","kind":"exporter","pipelines":["logs"],"status":"permanent_error","message":"bad config","since":"2026-11-22T01:00:00Z"}]}`,
		},
		{
			name: "metrics", path: PathMetrics, code: 200,
			setup: func(f *fixture) {
				f.ready()
				f.sources.Register("receiver/accesslog", jsonSource{snapshot: map[string]any{"files": 2, "lag_bytes": 10}})
				f.sources.Register("processor/ratelimit", jsonSource{snapshot: struct {
					Admitted int `json:"admitted"`
					Denied   int `json:"denied"`
				}{Admitted: 42, Denied: 3}})
			},
			body: `{"health":{"status":"ok","uptime_s":1234.5},` +
				`"ready":{"status":"ready","pipelines":1,"components":4},` +
				`"components":{"status":"ok","message":"all 4 components ok","total":4,"by_status":{"ok":4}},` +
				`"sources":{"processor/ratelimit":{"admitted":42,"denied":3},"receiver/accesslog":{"files":2,"lag_bytes":10}}}`,
		},
		{
			name: "metrics while starting", setup: func(*fixture) {}, path: PathMetrics, code: 200,
			body: `{"health":{"status":"ok","uptime_s":1234.5},` +
				`"ready":{"status":"not_ready","reason":"collector is starting: pipelines have not all started yet"},` +
				`"components":{"status":"starting","message":"pipelines have not all started yet; 0 of 0 components starting","total":0,"by_status":{}},` +
				`"sources":{}}`,
		},
		{
			name: "unknown path", setup: func(*fixture) {}, path: "/health", code: 404,
			body: `{"status":"not_found","reason":"unknown path; endpoints are /healthz, /readyz, /health/components, /metrics, /metrics/prometheus"}`,
		},
		{
			name: "trailing slash is another path", setup: func(*fixture) {}, path: "/healthz/", code: 404,
			body: `{"status":"not_found","reason":"unknown path; endpoints are /healthz, /readyz, /health/components, /metrics, /metrics/prometheus"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, MetricsAuth{})
			tc.setup(f)
			code, hdr, body := f.do(t, http.MethodGet, tc.path, nil)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, "application/json", hdr.Get("Content-Type"))
			assert.Equal(t, "no-store", hdr.Get("Cache-Control"))
			assert.Equal(t, tc.body+"\n", body)
		})
	}
}

func TestMethods(t *testing.T) {
	f := newFixture(t, MetricsAuth{})
	f.ready()
	for _, path := range Paths {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
			code, hdr, body := f.do(t, method, path, nil)
			assert.Equal(t, http.StatusMethodNotAllowed, code, "%s %s", method, path)
			assert.Equal(t, "GET, HEAD", hdr.Get("Allow"))
			assert.JSONEq(t, `{"status":"method_not_allowed","reason":"only GET and HEAD are allowed"}`, body)
		}
	}
	// HEAD through a real server, which drops the body as probes expect.
	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	for _, path := range Paths {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodHead, srv.URL+path, http.NoBody)
		require.NoError(t, err)
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
		assert.Equal(t, http.StatusOK, res.StatusCode, "HEAD %s", path)
		assert.Empty(t, body, "HEAD has no body")
	}
	code, _, _ := f.do(t, http.MethodPost, "/nope", nil)
	assert.Equal(t, http.StatusNotFound, code, "unknown path wins over method")
}

func TestMetricsAuth(t *testing.T) {
	f := newFixture(t, BearerToken("s3cret"))
	f.ready()
	for _, tc := range []struct {
		name   string
		path   string
		header string
		code   int
	}{
		{name: "probe open", path: PathHealthz, code: 200},
		{name: "readiness open", path: PathReadyz, code: 200},
		{name: "components open", path: PathHealthComponents, code: 200},
		{name: "metrics without token", path: PathMetrics, code: 401},
		{name: "prometheus without token", path: PathMetricsPrometheus, code: 401},
		{name: "wrong token", path: PathMetrics, header: "Bearer nope", code: 401},
		{name: "wrong scheme", path: PathMetrics, header: "Basic s3cret", code: 401},
		{name: "right token", path: PathMetrics, header: "Bearer s3cret", code: 200},
		{name: "scheme is case-insensitive", path: PathMetricsPrometheus, header: "bearer s3cret", code: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{}
			if tc.header != "" {
				hdr.Set("Authorization", tc.header)
			}
			code, res, body := f.do(t, http.MethodGet, tc.path, hdr)
			assert.Equal(t, tc.code, code)
			if tc.code == http.StatusUnauthorized {
				assert.Equal(t, `Bearer realm="redline"`, res.Get("WWW-Authenticate"))
				assert.Contains(t, body, `"status":"unauthorized"`)
				assert.NotContains(t, body, "s3cret")
			}
		})
	}
}

// jsonSource only has a snapshot.
type jsonSource struct{ snapshot any }

func (s jsonSource) Snapshot() any { return s.snapshot }

// redSource stands in for redmetrics: a snapshot plus RED families.
type redSource struct {
	jsonSource
	multiCollector
}

func newREDSource() redSource {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "red_requests_total", Help: "Requests by service, operation and outcome.",
	}, []string{"service", "operation", "outcome"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "red_duration_seconds", Help: "Request duration by service and operation.",
		Buckets: []float64{0.005, 0.05, 0.5, 5},
	}, []string{"service", "operation"})
	requests.WithLabelValues("checkout", "POST /pay", "ok").Add(10)
	requests.WithLabelValues("checkout", "POST /pay", "error").Add(2)
	for _, v := range []float64{0.001, 0.02, 0.2, 2, 20} {
		duration.WithLabelValues("checkout", "POST /pay").Observe(v)
	}
	return redSource{jsonSource{map[string]int{"series": 1}}, multiCollector{requests, duration}}
}

type multiCollector []prometheus.Collector

func (m multiCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m {
		c.Describe(ch)
	}
}

func (m multiCollector) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m {
		c.Collect(ch)
	}
}

func parseExposition(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	return mfs
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, lp := range m.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

func TestPrometheus(t *testing.T) {
	f := newFixture(t, MetricsAuth{})
	f.ready()
	f.agg.Record(access, status.Event{Status: status.StatusRecoverableError, Message: "unreadable", Time: t0})
	f.sources.Register("processor/redmetrics", newREDSource())
	f.sources.Register("processor/redmetrics/edge", newREDSource())
	f.sources.Register("receiver/accesslog", jsonSource{snapshot: map[string]int{}}) // JSON only

	code, hdr, body := f.do(t, http.MethodGet, PathMetricsPrometheus, nil)
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, hdr.Get("Content-Type"), "text/plain")
	promtooltest.Check(t, []byte(body))

	mfs := parseExposition(t, body)
	names := make([]string, 0, len(mfs))
	for name := range mfs {
		names = append(names, name)
		assert.True(t, strings.HasPrefix(name, "redline_") || strings.HasPrefix(name, "red_"), name)
	}
	sort.Strings(names)
	assert.Equal(t, []string{
		"red_duration_seconds", "red_requests_total",
		"redline_component_status", "redline_ready", "redline_snapshot_sources", "redline_start_time_seconds", "redline_up",
	}, names)

	assert.InDelta(t, 1.0, mfs["redline_up"].GetMetric()[0].GetGauge().GetValue(), 0)
	assert.InDelta(t, 1.0, mfs["redline_ready"].GetMetric()[0].GetGauge().GetValue(), 0)
	assert.InDelta(t, 3.0, mfs["redline_snapshot_sources"].GetMetric()[0].GetGauge().GetValue(), 0)
	assert.InDelta(t, float64(t0.Unix()), mfs["redline_start_time_seconds"].GetMetric()[0].GetGauge().GetValue(), 0)

	// Component status: 4 instances x 7 statuses, value 1 on the current one.
	current := map[string]string{}
	cs := mfs["redline_component_status"]
	assert.Equal(t, dto.MetricType_GAUGE, cs.GetType())
	assert.Len(t, cs.GetMetric(), 4*len(status.AllStatuses))
	for _, m := range cs.GetMetric() {
		l := labels(m)
		if m.GetGauge().GetValue() == 1 {
			current[l["component"]+"|"+l["pipeline"]] = l["status"]
		}
	}
	assert.Equal(t, map[string]string{
		"extension/healthz|":      "ok",
		"receiver/otlp|logs":      "ok",
		"receiver/accesslog|logs": "recoverable_error",
		"exporter/debug|logs":     "ok",
	}, current)

	// RED families carry the component label of their source.
	req := mfs["red_requests_total"]
	assert.Equal(t, dto.MetricType_COUNTER, req.GetType())
	byComponent := map[string]float64{}
	for _, m := range req.GetMetric() {
		byComponent[labels(m)["component"]] += m.GetCounter().GetValue()
	}
	assert.Equal(t, map[string]float64{"processor/redmetrics": 12, "processor/redmetrics/edge": 12}, byComponent)

	dur := mfs["red_duration_seconds"]
	assert.Equal(t, dto.MetricType_HISTOGRAM, dur.GetType())
	require.Len(t, dur.GetMetric(), 2)
	for _, m := range dur.GetMetric() {
		l := labels(m)
		assert.Contains(t, []string{"processor/redmetrics", "processor/redmetrics/edge"}, l["component"])
		assert.Equal(t, "checkout", l["service"])
		assert.Equal(t, uint64(5), m.GetHistogram().GetSampleCount())
		assert.InDelta(t, 22.221, m.GetHistogram().GetSampleSum(), 1e-9)
	}
}

func TestPrometheusStatusTransitions(t *testing.T) {
	f := newFixture(t, MetricsAuth{})
	gauge := func(name string) float64 {
		_, _, body := f.do(t, http.MethodGet, PathMetricsPrometheus, nil)
		return parseExposition(t, body)[name].GetMetric()[0].GetGauge().GetValue()
	}
	assert.InDelta(t, 0.0, gauge("redline_ready"), 0, "starting")
	f.ready()
	assert.InDelta(t, 1.0, gauge("redline_ready"), 0, "ready")
	f.agg.Record(otlpLogs, status.Event{Status: status.StatusFatalError, Message: "x"})
	assert.InDelta(t, 0.0, gauge("redline_up"), 0, "fatal")
	assert.InDelta(t, 0.0, gauge("redline_ready"), 0, "fatal")
}

// conflictingSource declares red_requests_total with other help text than
// newREDSource: the source whose name sorts later is refused and logged, and
// the scrape carries on with everything else.
type conflictingSource struct{ prometheus.Counter }

func (conflictingSource) Snapshot() any { return map[string]int{} }

func TestPrometheusBrokenSourceDoesNotBreakScrape(t *testing.T) {
	var logged bytes.Buffer
	agg := status.NewAggregator(t0, nil)
	srcs := sources.New()
	h := New(Settings{Aggregator: agg, Sources: srcs, Logf: func(format string, args ...any) {
		fmt.Fprintf(&logged, format+"\n", args...)
	}})
	srcs.Register("processor/redmetrics", newREDSource())
	srcs.Register("receiver/other", conflictingSource{prometheus.NewCounter(prometheus.CounterOpts{
		Name: "red_requests_total", Help: "Different help.",
	})})

	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathMetricsPrometheus, http.NoBody))
		require.Equal(t, http.StatusOK, rec.Code)
		mfs := parseExposition(t, rec.Body.String())
		assert.Contains(t, mfs, "redline_up")
		assert.Len(t, mfs["red_requests_total"].GetMetric(), 2, "the consistent source is kept")
	}
	assert.Equal(t, 1, strings.Count(logged.String(), `metrics of source "receiver/other"`), "logged once, not per scrape:\n%s", logged.String())
}

// BenchmarkHealthz measures the handler alone, without network.
func BenchmarkHealthz(b *testing.B) {
	agg := status.NewAggregator(time.Now(), nil)
	h := New(Settings{Aggregator: agg, Sources: sources.New()})
	req := httptest.NewRequest(http.MethodGet, PathHealthz, http.NoBody)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

func BenchmarkReadyz(b *testing.B) {
	agg := status.NewAggregator(time.Now(), nil)
	for _, inst := range []status.Instance{healthz, otlpLogs, access, debugExp} {
		agg.Record(inst, status.Event{Status: status.StatusOK})
	}
	agg.SetReady()
	h := New(Settings{Aggregator: agg, Sources: sources.New()})
	req := httptest.NewRequest(http.MethodGet, PathReadyz, http.NoBody)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

func BenchmarkPrometheus(b *testing.B) {
	agg := status.NewAggregator(time.Now(), nil)
	for _, inst := range []status.Instance{healthz, otlpLogs, access, debugExp} {
		agg.Record(inst, status.Event{Status: status.StatusOK})
	}
	agg.SetReady()
	srcs := sources.New()
	srcs.Register("processor/redmetrics", newREDSource())
	h := New(Settings{Aggregator: agg, Sources: srcs})
	req := httptest.NewRequest(http.MethodGet, PathMetricsPrometheus, http.NoBody)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler rather than a recorder.
type discardWriter struct{ header http.Header }

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
