package ratelimitprocessor

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/metadata"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// pipeline is an OTLP receiver feeding a ratelimit processor per signal,
// each feeding a sink: the path a sender meets in a real collector.
type pipeline struct {
	grpcAddr, httpAddr string
	spans              *consumertest.TracesSink
	logs               *consumertest.LogsSink
}

func startPipeline(t *testing.T, tracesCfg, logsCfg *Config) *pipeline {
	t.Helper()
	p := &pipeline{grpcAddr: freeAddr(t), httpAddr: freeAddr(t), spans: new(consumertest.TracesSink), logs: new(consumertest.LogsSink)}
	host := componenttest.NewNopHost()

	f := NewFactory()
	tp, err := f.CreateTraces(t.Context(), processortest.NewNopSettings(metadata.Type), tracesCfg, p.spans)
	require.NoError(t, err)
	lp, err := f.CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), logsCfg, p.logs)
	require.NoError(t, err)

	rf := otlpreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"protocols": map[string]any{
			"grpc": map[string]any{"endpoint": p.grpcAddr},
			"http": map[string]any{"endpoint": p.httpAddr},
		},
	}).Unmarshal(rcfg))
	rset := receivertest.NewNopSettings(rf.Type())
	tr, err := rf.CreateTraces(t.Context(), rset, rcfg, consumer.Traces(tp))
	require.NoError(t, err)
	lr, err := rf.CreateLogs(t.Context(), rset, rcfg, consumer.Logs(lp))
	require.NoError(t, err)

	require.NoError(t, tp.Start(t.Context(), host))
	require.NoError(t, lp.Start(t.Context(), host))
	require.NoError(t, tr.Start(t.Context(), host))
	require.NoError(t, lr.Start(t.Context(), host))
	t.Cleanup(func() {
		assert.NoError(t, tr.Shutdown(context.Background()))
		assert.NoError(t, lr.Shutdown(context.Background()))
		assert.NoError(t, tp.Shutdown(context.Background()))
		assert.NoError(t, lp.Shutdown(context.Background()))
	})
	return p
}

func spanStubs(n int) []sdktrace.ReadOnlySpan {
	stubs := make(tracetest.SpanStubs, n)
	for i := range stubs {
		stubs[i] = tracetest.SpanStub{
			Name: "op",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{1, byte(i + 1)}, SpanID: trace.SpanID{2, byte(i + 1)},
			}),
			StartTime: time.Unix(1700000000, 0), EndTime: time.Unix(1700000001, 0),
		}
	}
	return stubs.Snapshots()
}

// grpcExporter returns an OTLP/gRPC trace exporter without retries and the
// last status the server answered.
func grpcExporter(t *testing.T, addr string) (*otlptrace.Exporter, func() *status.Status) {
	t.Helper()
	var mu sync.Mutex
	var last *status.Status
	capture := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		mu.Lock()
		last, _ = status.FromError(err)
		mu.Unlock()
		return err
	}
	exp, err := otlptracegrpc.New(t.Context(),
		otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}),
		otlptracegrpc.WithDialOption(grpc.WithUnaryInterceptor(capture)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp, func() *status.Status {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// recordingTransport keeps the status and Retry-After of the last response.
type recordingTransport struct {
	mu         sync.Mutex
	code       int
	retryAfter string
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		rt.mu.Lock()
		rt.code, rt.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
		rt.mu.Unlock()
	}
	return resp, err
}

func (rt *recordingTransport) last() (int, string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.code, rt.retryAfter
}

func emitLogs(t *testing.T, addr string, rt *recordingTransport, n int) {
	t.Helper()
	exp, err := otlploghttp.New(t.Context(),
		otlploghttp.WithEndpoint(addr), otlploghttp.WithInsecure(),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}),
		otlploghttp.WithHTTPClient(&http.Client{Transport: rt, Timeout: 10 * time.Second}))
	require.NoError(t, err)
	// One request per batch of n records.
	batch := make([]sdklog.Record, n)
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(&collect{out: &batch}))
	logger := lp.Logger("test")
	for range n {
		var r otellog.Record
		r.SetBody(attribute.StringValue("hello"))
		r.SetSeverity(otellog.SeverityInfo)
		logger.Emit(t.Context(), r)
	}
	_ = exp.Export(t.Context(), batch) // the outcome is read from the transport
	require.NoError(t, exp.Shutdown(context.Background()))
	require.NoError(t, lp.Shutdown(context.Background()))
}

// collect is a log processor that keeps the emitted records, so that a test
// can export them as one request.
type collect struct {
	out *[]sdklog.Record
	n   int
}

func (c *collect) OnEmit(_ context.Context, r *sdklog.Record) error {
	(*c.out)[c.n] = r.Clone()
	c.n++
	return nil
}
func (*collect) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (*collect) Shutdown(context.Context) error                         { return nil }
func (*collect) ForceFlush(context.Context) error                       { return nil }

func TestOTLPRefuse(t *testing.T) {
	refuse := func() *Config {
		return testConfig(func(c *Config) { c.Action = ActionRefuse }, LimitConfig{Name: "global", Rate: 0.5, Burst: 3})
	}
	p := startPipeline(t, refuse(), refuse())

	t.Run("grpc gets RESOURCE_EXHAUSTED with RetryInfo", func(t *testing.T) {
		exp, last := grpcExporter(t, p.grpcAddr)
		require.NoError(t, exp.ExportSpans(t.Context(), spanStubs(2)))
		assert.Equal(t, 2, p.spans.SpanCount())

		err := exp.ExportSpans(t.Context(), spanStubs(2))
		require.Error(t, err)
		st := last()
		require.NotNil(t, st)
		assert.Equal(t, codes.ResourceExhausted, st.Code())
		var ri *errdetails.RetryInfo
		for _, d := range st.Details() {
			if v, ok := d.(*errdetails.RetryInfo); ok {
				ri = v
			}
		}
		require.NotNil(t, ri, "RetryInfo detail")
		// One token missing at 0.5/s: 2 s.
		assert.Equal(t, 2*time.Second, ri.GetRetryDelay().AsDuration())
		assert.Equal(t, 2, p.spans.SpanCount(), "refused spans do not reach the sink")

		// The refusal took nothing: one span still fits.
		require.NoError(t, exp.ExportSpans(t.Context(), spanStubs(1)))
		assert.Equal(t, 3, p.spans.SpanCount())
	})

	t.Run("http gets 429 with Retry-After", func(t *testing.T) {
		rt := &recordingTransport{}
		emitLogs(t, p.httpAddr, rt, 3)
		code, _ := rt.last()
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, 3, p.logs.LogRecordCount())

		emitLogs(t, p.httpAddr, rt, 2)
		code, retryAfter := rt.last()
		assert.Equal(t, http.StatusTooManyRequests, code)
		// Two tokens at 0.5/s: 4 s.
		assert.Equal(t, "4", retryAfter)
		assert.Equal(t, 3, p.logs.LogRecordCount())
	})
}

// TestOTLPRefuseAboveBurst: a request larger than the burst (an SDK batch of
// 512 spans against a small burst) passes a full bucket, and the next one is
// refused with a retryable status whose delay waits out the debt.
func TestOTLPRefuseAboveBurst(t *testing.T) {
	refuse := func() *Config {
		return testConfig(func(c *Config) { c.Action = ActionRefuse }, LimitConfig{Name: "global", Rate: 0.5, Burst: 3})
	}
	p := startPipeline(t, refuse(), refuse())

	t.Run("grpc", func(t *testing.T) {
		exp, last := grpcExporter(t, p.grpcAddr)
		require.NoError(t, exp.ExportSpans(t.Context(), spanStubs(5)))
		assert.Equal(t, 5, p.spans.SpanCount())
		require.Error(t, exp.ExportSpans(t.Context(), spanStubs(5)))
		st := last()
		require.NotNil(t, st)
		assert.Equal(t, codes.ResourceExhausted, st.Code())
		var ri *errdetails.RetryInfo
		for _, d := range st.Details() {
			if v, ok := d.(*errdetails.RetryInfo); ok {
				ri = v
			}
		}
		require.NotNil(t, ri, "RetryInfo detail")
		// The bucket owes 2; full again after 5 tokens at 0.5/s.
		assert.Equal(t, 10*time.Second, ri.GetRetryDelay().AsDuration())
		assert.Equal(t, 5, p.spans.SpanCount())
	})

	t.Run("http", func(t *testing.T) {
		rt := &recordingTransport{}
		emitLogs(t, p.httpAddr, rt, 5)
		code, _ := rt.last()
		require.Equal(t, http.StatusOK, code)
		emitLogs(t, p.httpAddr, rt, 1)
		code, retryAfter := rt.last()
		assert.Equal(t, http.StatusTooManyRequests, code)
		// One record: 3 tokens at 0.5/s.
		assert.Equal(t, "6", retryAfter)
		assert.Equal(t, 5, p.logs.LogRecordCount())
	})
}

func TestOTLPDropPeer(t *testing.T) {
	// Per-peer limit keyed on the sender's address, which the OTLP receiver
	// puts in the client info without include_metadata.
	perPeer := func() *Config {
		return testConfig(nil, LimitConfig{Name: "peer", Rate: 0.001, Burst: 2, Key: []KeyPart{{"client.address", PeerSource}}})
	}
	p := startPipeline(t, perPeer(), perPeer())
	exp, last := grpcExporter(t, p.grpcAddr)
	require.NoError(t, exp.ExportSpans(t.Context(), spanStubs(5)))
	assert.Equal(t, codes.OK, last().Code())
	assert.Equal(t, 2, p.spans.SpanCount(), "the over-limit spans are dropped, the request succeeds")
	require.NoError(t, exp.ExportSpans(t.Context(), spanStubs(1)))
	assert.Equal(t, 2, p.spans.SpanCount(), "same peer, bucket empty")
}
