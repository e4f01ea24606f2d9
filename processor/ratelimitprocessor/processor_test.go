package ratelimitprocessor

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/metadatatest"
)

// rec describes one record of a test request.
type rec struct {
	service  string // resource service.name
	method   string // record attribute rpc.method
	severity plog.SeverityNumber
	attrs    map[string]string
}

func testConfig(mut func(*Config), limits ...LimitConfig) *Config {
	c := createDefaultConfig().(*Config)
	for _, l := range limits {
		if l.MaxKeys == 0 {
			l.MaxKeys = defaultMaxKeys
		}
		if l.Overflow == "" {
			l.Overflow = OverflowShare
		}
		if l.IdleTimeout == 0 {
			l.IdleTimeout = defaultIdleTimeout
		}
		if l.WhenKeyMissing == "" {
			l.WhenKeyMissing = KeyMissingSkip
		}
		c.Limits = append(c.Limits, l)
	}
	if mut != nil {
		mut(c)
	}
	return c
}

// signalCase runs the same requests through logs, traces or metrics.
type signalCase struct {
	name    string
	create  func(t *testing.T, f processor.Factory, set processor.Settings, cfg *Config) (consume func(context.Context, []rec) error, count func() int, stop func())
	records func(rs []rec) int
}

// groupByService keeps the request layout of the tests: one resource per
// distinct service, in order of first appearance.
func groupByService(rs []rec) ([]string, map[string][]rec) {
	var order []string
	by := map[string][]rec{}
	for _, r := range rs {
		if _, ok := by[r.service]; !ok {
			order = append(order, r.service)
		}
		by[r.service] = append(by[r.service], r)
	}
	return order, by
}

func makeLogs(rs []rec) plog.Logs {
	ld := plog.NewLogs()
	order, by := groupByService(rs)
	for _, svc := range order {
		rl := ld.ResourceLogs().AppendEmpty()
		if svc != "" {
			rl.Resource().Attributes().PutStr("service.name", svc)
		}
		sl := rl.ScopeLogs().AppendEmpty()
		for _, r := range by[svc] {
			lr := sl.LogRecords().AppendEmpty()
			lr.Body().SetStr("hello")
			lr.SetSeverityNumber(r.severity)
			if r.method != "" {
				lr.Attributes().PutStr("rpc.method", r.method)
			}
			for k, v := range r.attrs {
				lr.Attributes().PutStr(k, v)
			}
		}
	}
	return ld
}

func makeTraces(rs []rec) ptrace.Traces {
	td := ptrace.NewTraces()
	order, by := groupByService(rs)
	for _, svc := range order {
		rs := td.ResourceSpans().AppendEmpty()
		if svc != "" {
			rs.Resource().Attributes().PutStr("service.name", svc)
		}
		ss := rs.ScopeSpans().AppendEmpty()
		for _, r := range by[svc] {
			sp := ss.Spans().AppendEmpty()
			sp.SetName("op")
			if r.severity >= plog.SeverityNumberError {
				sp.Status().SetCode(ptrace.StatusCodeError)
			}
			if r.method != "" {
				sp.Attributes().PutStr("rpc.method", r.method)
			}
			for k, v := range r.attrs {
				sp.Attributes().PutStr(k, v)
			}
		}
	}
	return td
}

func makeMetrics(rs []rec) pmetric.Metrics {
	md := pmetric.NewMetrics()
	order, by := groupByService(rs)
	for _, svc := range order {
		rm := md.ResourceMetrics().AppendEmpty()
		if svc != "" {
			rm.Resource().Attributes().PutStr("service.name", svc)
		}
		sm := rm.ScopeMetrics().AppendEmpty()
		// Alternate gauges and histograms, one point each, so both shapes
		// are walked and trimmed.
		for i, r := range by[svc] {
			m := sm.Metrics().AppendEmpty()
			m.SetName("m")
			var attrs interface{ PutStr(string, string) }
			if i%2 == 0 {
				dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
				dp.SetIntValue(1)
				attrs = dp.Attributes()
			} else {
				dp := m.SetEmptyHistogram().DataPoints().AppendEmpty()
				dp.SetCount(1)
				attrs = dp.Attributes()
			}
			if r.method != "" {
				attrs.PutStr("rpc.method", r.method)
			}
			for k, v := range r.attrs {
				attrs.PutStr(k, v)
			}
		}
	}
	return md
}

var signalCases = []signalCase{
	{
		name: "logs",
		create: func(t *testing.T, f processor.Factory, set processor.Settings, cfg *Config) (func(context.Context, []rec) error, func() int, func()) {
			sink := new(consumertest.LogsSink)
			p, err := f.CreateLogs(t.Context(), set, cfg, sink)
			require.NoError(t, err)
			require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
			return func(ctx context.Context, rs []rec) error { return p.ConsumeLogs(ctx, makeLogs(rs)) },
				sink.LogRecordCount,
				func() { require.NoError(t, p.Shutdown(context.Background())) }
		},
	},
	{
		name: "traces",
		create: func(t *testing.T, f processor.Factory, set processor.Settings, cfg *Config) (func(context.Context, []rec) error, func() int, func()) {
			sink := new(consumertest.TracesSink)
			p, err := f.CreateTraces(t.Context(), set, cfg, sink)
			require.NoError(t, err)
			require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
			return func(ctx context.Context, rs []rec) error { return p.ConsumeTraces(ctx, makeTraces(rs)) },
				sink.SpanCount,
				func() { require.NoError(t, p.Shutdown(context.Background())) }
		},
	},
	{
		name: "metrics",
		create: func(t *testing.T, f processor.Factory, set processor.Settings, cfg *Config) (func(context.Context, []rec) error, func() int, func()) {
			sink := new(consumertest.MetricsSink)
			p, err := f.CreateMetrics(t.Context(), set, cfg, sink)
			require.NoError(t, err)
			require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
			return func(ctx context.Context, rs []rec) error { return p.ConsumeMetrics(ctx, makeMetrics(rs)) },
				sink.DataPointCount,
				func() { require.NoError(t, p.Shutdown(context.Background())) }
		},
	},
}

func repeat(n int, r rec) []rec {
	out := make([]rec, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func withPeer(ctx context.Context, ip string) context.Context {
	return client.NewContext(ctx, client.Info{Addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}})
}

// slow is a refill rate that adds no token while a test runs.
const slow = 0.001

func TestSignals(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *Config
		// requests are sent in order; wantPassed is the records that reach
		// the sink after each.
		requests   [][]rec
		ctxs       []context.Context
		wantPassed []int
		wantErr    []codes.Code // codes.OK: no error
	}{
		{
			name:       "global drop passes the burst and drops the rest",
			cfg:        testConfig(nil, LimitConfig{Name: "global", Rate: slow, Burst: 5}),
			requests:   [][]rec{repeat(3, rec{service: "a"}), repeat(4, rec{service: "b"})},
			wantPassed: []int{3, 5},
		},
		{
			name: "per service buckets are independent",
			cfg:  testConfig(nil, LimitConfig{Name: "svc", Rate: slow, Burst: 2, Key: []KeyPart{{"service.name"}}}),
			requests: [][]rec{
				append(repeat(3, rec{service: "a"}), repeat(3, rec{service: "b"})...),
				repeat(1, rec{service: "c"}),
			},
			wantPassed: []int{4, 5},
		},
		{
			name: "per method key comes from the record",
			cfg:  testConfig(nil, LimitConfig{Name: "method", Rate: slow, Burst: 1, Key: []KeyPart{{"rpc.method", "method"}}}),
			requests: [][]rec{{
				{service: "a", method: "Get"}, {service: "a", method: "Get"}, {service: "a", method: "Put"},
				{service: "a", attrs: map[string]string{"method": "Put"}}, {service: "a", attrs: map[string]string{"method": "List"}},
				{service: "a"}, // no method: the limit does not apply
			}},
			wantPassed: []int{4},
		},
		{
			name: "per peer from the client address",
			cfg:  testConfig(nil, LimitConfig{Name: "peer", Rate: slow, Burst: 2, Key: []KeyPart{{"client.address", PeerSource}}}),
			requests: [][]rec{
				repeat(3, rec{service: "a"}),
				repeat(3, rec{service: "a"}),
				repeat(1, rec{service: "a", attrs: map[string]string{"client.address": "10.0.0.9"}}),
			},
			ctxs:       []context.Context{withPeer(context.Background(), "10.0.0.1"), withPeer(context.Background(), "::ffff:10.0.0.2"), withPeer(context.Background(), "10.0.0.1")},
			wantPassed: []int{2, 4, 5},
		},
		{
			name: "a denial by one limit takes nothing from another",
			cfg: testConfig(nil,
				LimitConfig{Name: "global", Rate: slow, Burst: 4},
				LimitConfig{Name: "svc", Rate: slow, Burst: 2, Key: []KeyPart{{"service.name"}}}),
			// a's 3rd and 4th are denied by svc and must leave global's
			// tokens for b.
			requests:   [][]rec{append(repeat(4, rec{service: "a"}), repeat(2, rec{service: "b"})...)},
			wantPassed: []int{4},
		},
		{
			name:       "refuse takes nothing and refuses the whole request",
			cfg:        testConfig(func(c *Config) { c.Action = ActionRefuse }, LimitConfig{Name: "global", Rate: slow, Burst: 5}),
			requests:   [][]rec{repeat(3, rec{service: "a"}), repeat(3, rec{service: "a"}), repeat(2, rec{service: "a"})},
			wantPassed: []int{3, 3, 5},
			wantErr:    []codes.Code{codes.OK, codes.ResourceExhausted, codes.OK},
		},
		{
			// A request above the burst passes a full bucket and leaves it in
			// debt: the next request waits until it is paid back.
			name:       "refuse admits a request larger than the burst into a full bucket",
			cfg:        testConfig(func(c *Config) { c.Action = ActionRefuse }, LimitConfig{Name: "global", Rate: slow, Burst: 2}),
			requests:   [][]rec{repeat(5, rec{service: "a"}), repeat(1, rec{service: "a"}), repeat(5, rec{service: "a"})},
			wantPassed: []int{5, 5, 5},
			wantErr:    []codes.Code{codes.OK, codes.ResourceExhausted, codes.ResourceExhausted},
		},
		{
			name:       "refuse a request larger than the burst while the bucket is not full",
			cfg:        testConfig(func(c *Config) { c.Action = ActionRefuse }, LimitConfig{Name: "global", Rate: slow, Burst: 2}),
			requests:   [][]rec{repeat(1, rec{service: "a"}), repeat(3, rec{service: "a"}), repeat(1, rec{service: "a"})},
			wantPassed: []int{1, 1, 2},
			wantErr:    []codes.Code{codes.OK, codes.ResourceExhausted, codes.OK},
		},
		{
			// Per service: b's bucket is full and takes a request above its
			// burst; a's is not and refuses it, taking nothing from global.
			name: "refuse above the burst needs every bucket full",
			cfg: testConfig(func(c *Config) { c.Action = ActionRefuse },
				LimitConfig{Name: "global", Rate: slow, Burst: 10},
				LimitConfig{Name: "svc", Rate: slow, Burst: 2, Key: []KeyPart{{"service.name"}}}),
			requests:   [][]rec{repeat(1, rec{service: "a"}), repeat(4, rec{service: "a"}), repeat(4, rec{service: "b"})},
			wantPassed: []int{1, 1, 5},
			wantErr:    []codes.Code{codes.OK, codes.ResourceExhausted, codes.OK},
		},
		{
			name: "exempt severity and attribute bypass the limits",
			cfg: testConfig(func(c *Config) {
				c.Exempt = ExemptConfig{SeverityAtLeast: "ERROR", Attributes: []AttributeMatch{{Key: "tier", Value: "gold"}}}
			}, LimitConfig{Name: "global", Rate: slow, Burst: 1}),
			requests: [][]rec{{
				{service: "a"}, {service: "a"},
				{service: "a", severity: plog.SeverityNumberError},
				{service: "a", attrs: map[string]string{"tier": "gold"}},
				{service: "a", attrs: map[string]string{"tier": "silver"}},
			}},
			// metrics have no severity: see TestSignalsMetricsSeverity.
			wantPassed: []int{3},
		},
		{
			// Every record is larger than 10 bytes: the first finds the bucket
			// full and passes into debt, the others are dropped.
			name:       "drop with unit bytes passes a record larger than the burst into a full bucket",
			cfg:        testConfig(func(c *Config) { c.Unit = UnitBytes }, LimitConfig{Name: "global", Rate: slow, Burst: 10}),
			requests:   [][]rec{repeat(3, rec{service: "a"}), repeat(1, rec{service: "a"})},
			wantPassed: []int{1, 1},
		},
		{
			name:       "unit requests drops whole requests",
			cfg:        testConfig(func(c *Config) { c.Unit = UnitRequests }, LimitConfig{Name: "svc", Rate: slow, Burst: 2, Key: []KeyPart{{"service.name"}}}),
			requests:   [][]rec{repeat(5, rec{service: "a"}), repeat(5, rec{service: "a"}), repeat(5, rec{service: "a"}), repeat(1, rec{service: "b"})},
			wantPassed: []int{5, 10, 10, 11},
		},
		{
			name:       "when_key_missing share groups records without the key",
			cfg:        testConfig(nil, LimitConfig{Name: "svc", Rate: slow, Burst: 2, Key: []KeyPart{{"service.name"}}, WhenKeyMissing: KeyMissingShare}),
			requests:   [][]rec{repeat(3, rec{}), repeat(3, rec{service: "a"})},
			wantPassed: []int{2, 4},
		},
	} {
		for _, sc := range signalCases {
			t.Run(tc.name+"/"+sc.name, func(t *testing.T) {
				if sc.name == "metrics" && strings.HasPrefix(tc.name, "exempt") {
					t.Skip("metric points have no severity")
				}
				consume, count, stop := sc.create(t, NewFactory(), processortest.NewNopSettings(metadata.Type), tc.cfg)
				defer stop()
				for i, req := range tc.requests {
					ctx := context.Background()
					if tc.ctxs != nil {
						ctx = tc.ctxs[i]
					}
					err := consume(ctx, req)
					want := codes.OK
					if tc.wantErr != nil {
						want = tc.wantErr[i]
					}
					if want == codes.OK {
						require.NoError(t, err, "request %d", i)
					} else {
						require.Error(t, err, "request %d", i)
						st, ok := status.FromError(err)
						require.True(t, ok)
						assert.Equal(t, want, st.Code())
						assert.False(t, consumererror.IsPermanent(err), "a refusal clears with time")
					}
					assert.Equal(t, tc.wantPassed[i], count(), "records passed after request %d", i)
				}
			})
		}
	}
}

func TestSignalsMetricsSeverity(t *testing.T) {
	// Metric points are exempt by attribute only.
	cfg := testConfig(func(c *Config) {
		c.Exempt = ExemptConfig{SeverityAtLeast: "ERROR", Attributes: []AttributeMatch{{Key: "tier", Value: "gold"}}}
	}, LimitConfig{Name: "global", Rate: slow, Burst: 1})
	consume, count, stop := signalCases[2].create(t, NewFactory(), processortest.NewNopSettings(metadata.Type), cfg)
	defer stop()
	require.NoError(t, consume(context.Background(), []rec{{service: "a"}, {service: "a"}, {service: "a", attrs: map[string]string{"tier": "gold"}}}))
	assert.Equal(t, 2, count())
}

func TestRefusalCarriesRetryInfo(t *testing.T) {
	cfg := testConfig(func(c *Config) { c.Action = ActionRefuse }, LimitConfig{Name: "global", Rate: 0.5, Burst: 2})
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()

	require.NoError(t, p.ConsumeLogs(t.Context(), makeLogs(repeat(2, rec{service: "a"}))))
	err = p.ConsumeLogs(t.Context(), makeLogs(repeat(2, rec{service: "a"})))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var ce *consumererror.Error
	require.ErrorAs(t, err, &ce)
	assert.True(t, ce.IsRetryable())
	st, ok := status.FromError(err)
	require.True(t, ok)
	assert.Equal(t, codes.ResourceExhausted, st.Code())
	require.Len(t, st.Details(), 1)
	ri, ok := st.Details()[0].(*errdetails.RetryInfo)
	require.True(t, ok)
	// Two tokens at 0.5/s: 4 s.
	assert.Equal(t, 4*time.Second, ri.GetRetryDelay().AsDuration())
	assert.Contains(t, st.Message(), `"global"`)
}

// retryDelay is the RetryInfo delay of a refusal.
func retryDelay(t *testing.T, err error) time.Duration {
	t.Helper()
	require.Error(t, err)
	require.False(t, consumererror.IsPermanent(err))
	st, ok := status.FromError(err)
	require.True(t, ok)
	require.Equal(t, codes.ResourceExhausted, st.Code())
	require.Len(t, st.Details(), 1)
	ri, ok := st.Details()[0].(*errdetails.RetryInfo)
	require.True(t, ok)
	return ri.GetRetryDelay().AsDuration()
}

func TestRefusalRetryInfoAfterDebt(t *testing.T) {
	// A batch of 5 against a burst of 2 at 0.5/s, as the accesslog receiver
	// sends batches larger than a small burst.
	cfg := testConfig(func(c *Config) { c.Action = ActionRefuse }, LimitConfig{Name: "global", Rate: 0.5, Burst: 2})
	rep := startLogs(t, cfg, nil)
	require.NoError(t, rep.p.ConsumeLogs(t.Context(), makeLogs(repeat(5, rec{service: "a"}))))
	assert.Equal(t, 5, rep.sink.LogRecordCount())
	// The bucket owes 3. Another 5 need it full again: 5 tokens, 10 s.
	assert.Equal(t, 10*time.Second, retryDelay(t, rep.p.ConsumeLogs(t.Context(), makeLogs(repeat(5, rec{service: "a"})))))
	// One record needs one token: 4 tokens, 8 s.
	assert.Equal(t, 8*time.Second, retryDelay(t, rep.p.ConsumeLogs(t.Context(), makeLogs(repeat(1, rec{service: "a"})))))
	assert.Equal(t, 5, rep.sink.LogRecordCount())
	assert.Equal(t, int64(6), rep.r.stats.denied[0].Load())
}

func TestSignalsShareOneLimiter(t *testing.T) {
	cfg := testConfig(nil, LimitConfig{Name: "global", Rate: slow, Burst: 4})
	f := NewFactory()
	set := processortest.NewNopSettings(metadata.Type)
	consumeLogs, countLogs, stopLogs := signalCases[0].create(t, f, set, cfg)
	consumeTraces, countTraces, stopTraces := signalCases[1].create(t, f, set, cfg)
	require.NoError(t, consumeLogs(t.Context(), repeat(3, rec{service: "a"})))
	require.NoError(t, consumeTraces(t.Context(), repeat(3, rec{service: "a"})))
	assert.Equal(t, 3, countLogs())
	assert.Equal(t, 1, countTraces(), "traces share the bucket the logs drained")
	stopLogs()
	stopTraces()
}

func TestFactoryForgetsLimiterAfterLastShutdown(t *testing.T) {
	cfg := testConfig(nil, LimitConfig{Name: "global", Rate: slow, Burst: 4})
	f := &factory{limiters: map[*Config]*rateLimiter{}}
	set := processortest.NewNopSettings(metadata.Type)
	logs, err := f.createLogs(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	traces, err := f.createTraces(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.Len(t, f.limiters, 1)
	r := f.limiters[cfg]
	require.NoError(t, logs.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, traces.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, logs.Shutdown(t.Context()))
	require.NoError(t, logs.Shutdown(t.Context()), "second shutdown is a no-op")
	assert.Len(t, f.limiters, 1, "traces still use it")
	assert.False(t, r.closed)
	require.NoError(t, traces.Shutdown(t.Context()))
	assert.Empty(t, f.limiters)
	assert.True(t, r.closed)
	assert.Error(t, logs.Start(t.Context(), componenttest.NewNopHost()), "no start after shutdown")
}

// TestShutdownWithoutStartReleasesEverything covers a collector whose start
// aborts: it shuts down processors it created but never started, and the
// limiter must still close its Redis client and telemetry and leave the
// factory.
func TestShutdownWithoutStartReleasesEverything(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := redisConfig(freeAddr(t), "x:", nil, LimitConfig{Name: "global", Rate: slow, Burst: 4})
	f := &factory{limiters: map[*Config]*rateLimiter{}}
	set := metadatatest.NewSettings(tel)
	logs, err := f.createLogs(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	traces, err := f.createTraces(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	r := f.limiters[cfg]
	require.NotNil(t, r)
	_, err = tel.GetMetric("otelcol_processor_ratelimit_fallback_active")
	require.NoError(t, err, "the gauge's callback is registered at create")

	// Only the logs processor was started before the abort.
	require.NoError(t, logs.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, traces.Shutdown(t.Context()))
	require.NoError(t, traces.Shutdown(t.Context()), "second shutdown is a no-op")
	assert.Len(t, f.limiters, 1, "logs still use it")
	assert.NotErrorIs(t, r.client.Ping(t.Context()).Err(), redis.ErrClosed, "the client stays open")
	require.NoError(t, logs.Shutdown(t.Context()))
	assert.Empty(t, f.limiters)
	assert.ErrorIs(t, r.client.Ping(t.Context()).Err(), redis.ErrClosed)
	_, err = tel.GetMetric("otelcol_processor_ratelimit_fallback_active")
	assert.Error(t, err, "the telemetry builder was shut down")

	// Never started at all.
	f2 := &factory{limiters: map[*Config]*rateLimiter{}}
	metrics, err := f2.createMetrics(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	r2 := f2.limiters[cfg]
	require.NoError(t, metrics.Shutdown(t.Context()))
	require.NoError(t, metrics.Shutdown(t.Context()))
	assert.Empty(t, f2.limiters)
	assert.True(t, r2.closed)
	assert.ErrorIs(t, r2.client.Ping(t.Context()).Err(), redis.ErrClosed)

	// A later create of the same configuration builds a fresh limiter.
	again, err := f2.createLogs(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.NotSame(t, r2, f2.limiters[cfg])
	require.NoError(t, again.Shutdown(t.Context()))
}

func TestTelemetryAndSnapshot(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := testConfig(func(c *Config) {
		c.Exempt = ExemptConfig{Attributes: []AttributeMatch{{Key: "tier", Value: "gold"}}}
	},
		LimitConfig{Name: "global", Rate: slow, Burst: 4},
		LimitConfig{Name: "svc", Rate: slow, Burst: 2, Key: []KeyPart{{"service.name"}}})
	f := NewFactory()
	sink := new(consumertest.LogsSink)
	p, err := f.CreateLogs(t.Context(), metadatatest.NewSettings(tel), cfg, sink)
	require.NoError(t, err)
	host := newRegistryHost()
	require.NoError(t, p.Start(t.Context(), host))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()

	// a: 2 pass, 1 denied by svc; b: 2 pass (global now empty), c: denied by global; 1 exempt.
	req := append(repeat(3, rec{service: "a"}), repeat(2, rec{service: "b"})...)
	req = append(req, rec{service: "c"}, rec{service: "c", attrs: map[string]string{"tier": "gold"}})
	require.NoError(t, p.ConsumeLogs(t.Context(), makeLogs(req)))
	assert.Equal(t, 5, sink.LogRecordCount())

	metadatatest.AssertEqualProcessorRatelimitAdmitted(t, tel, []metricdata.DataPoint[int64]{{Value: 5}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRatelimitExempt(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRatelimitDenied(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("bucket", "global"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("bucket", "svc"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRatelimitFallbackActive(t, tel, []metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())

	// The healthz extension's view: JSON snapshot and Prometheus metrics.
	src := host.sources["processor/ratelimit"]
	require.NotNil(t, src)
	js, err := json.Marshal(src.Snapshot())
	require.NoError(t, err)
	var snap map[string]any
	require.NoError(t, json.Unmarshal(js, &snap))
	assert.InDelta(t, 5.0, snap["admitted"], 0)
	assert.Equal(t, map[string]any{"global": 1.0, "svc": 1.0}, snap["denied"])
	limits := snap["limits"].([]any)
	assert.InDelta(t, 3.0, limits[1].(map[string]any)["keys"], 0)

	coll, ok := src.(prometheus.Collector)
	require.True(t, ok)
	want := `
# HELP redline_ratelimit_admitted_total Records (log records, spans, metric data points) let through, exempt ones included.
# TYPE redline_ratelimit_admitted_total counter
redline_ratelimit_admitted_total 5
# HELP redline_ratelimit_backend_errors_total Failed calls to the shared (Redis) backend.
# TYPE redline_ratelimit_backend_errors_total counter
redline_ratelimit_backend_errors_total 0
# HELP redline_ratelimit_denied_total Records dropped or refused, by the limit (bucket) that denied them.
# TYPE redline_ratelimit_denied_total counter
redline_ratelimit_denied_total{bucket="global"} 1
redline_ratelimit_denied_total{bucket="svc"} 1
# HELP redline_ratelimit_fallback_active 1 while the shared backend is unavailable and on_backend_error applies, else 0.
# TYPE redline_ratelimit_fallback_active gauge
redline_ratelimit_fallback_active 0
# HELP redline_ratelimit_keys Distinct keys a keyed limit tracks in memory (local backend or local fallback).
# TYPE redline_ratelimit_keys gauge
redline_ratelimit_keys{bucket="svc"} 3
`
	require.NoError(t, testutil.CollectAndCompare(coll, strings.NewReader(want),
		"redline_ratelimit_admitted_total", "redline_ratelimit_denied_total", "redline_ratelimit_backend_errors_total",
		"redline_ratelimit_fallback_active", "redline_ratelimit_keys"))
	problems, err := testutil.CollectAndLint(coll)
	require.NoError(t, err)
	assert.Empty(t, problems)
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Empty(t, host.sources, "shutdown unregisters the snapshot")
}

// registryHost is a host whose one extension collects snapshot sources, as
// the healthz extension does.
type registryHost struct {
	component.Host
	sources map[string]snapshot.Source
}

func newRegistryHost() *registryHost {
	return &registryHost{Host: componenttest.NewNopHost(), sources: map[string]snapshot.Source{}}
}

type registryExt struct {
	component.StartFunc
	component.ShutdownFunc
	h *registryHost
}

func (e registryExt) RegisterSource(name string, src snapshot.Source) func() {
	e.h.sources[name] = src
	return func() { delete(e.h.sources, name) }
}

func (h *registryHost) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{component.MustNewID("healthz"): registryExt{h: h}}
}

func newNopSettings() processor.Settings { return processortest.NewNopSettings(metadata.Type) }

func TestRefusedRequestCountsEveryRecordAsDenied(t *testing.T) {
	cfg := testConfig(func(c *Config) {
		c.Action = ActionRefuse
		c.Exempt = ExemptConfig{SeverityAtLeast: "ERROR"}
	}, LimitConfig{Name: "global", Rate: slow, Burst: 3})
	rep := startLogs(t, cfg, nil)
	require.NoError(t, rep.p.ConsumeLogs(t.Context(), makeLogs(repeat(1, rec{service: "a"}))))
	// Two tokens left: three records and an exempt one are refused whole.
	req := append(repeat(3, rec{service: "a"}), rec{service: "a", severity: plog.SeverityNumberFatal})
	require.Error(t, rep.p.ConsumeLogs(t.Context(), makeLogs(req)))
	assert.Equal(t, 1, rep.sink.LogRecordCount())
	assert.Equal(t, int64(1), rep.r.stats.admitted.Load())
	assert.Zero(t, rep.r.stats.exempt.Load())
	assert.Equal(t, int64(4), rep.r.stats.denied[0].Load(), "the exempt record went back with its request")

	// The refusal took nothing: two records still pass, plus the exempt one.
	require.NoError(t, rep.p.ConsumeLogs(t.Context(), makeLogs(req[1:])))
	assert.Equal(t, 4, rep.sink.LogRecordCount())
	assert.Equal(t, int64(4), rep.r.stats.admitted.Load())
	assert.Equal(t, int64(1), rep.r.stats.exempt.Load())
}
