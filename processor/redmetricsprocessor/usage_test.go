package redmetricsprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// genAISpans are model calls as GenAI instrumentations emit them: client
// spans (calls, not requests), one agent span that totals the calls inside
// it, and a server span of the agent's own API.
func genAISpans() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "support-agent")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	start := pcommon.NewTimestampFromTime(time.Date(2026, 5, 8, 9, 12, 3, 0, time.UTC))
	add := func(kind ptrace.SpanKind, name string, dur time.Duration, attrs map[string]any) {
		sp := spans.AppendEmpty()
		sp.SetKind(kind)
		sp.SetName(name)
		sp.SetTraceID(pcommon.TraceID{0xee, byte(spans.Len())})
		sp.SetSpanID(pcommon.SpanID{0xff, byte(spans.Len())})
		sp.SetStartTimestamp(start)
		sp.SetEndTimestamp(start + pcommon.Timestamp(dur))
		putSorted(sp.Attributes(), attrs)
	}
	openai := func(in, out int) map[string]any {
		return map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
			"gen_ai.usage.input_tokens": in, "gen_ai.usage.output_tokens": out,
			"server.address": "api.openai.com", "gen_ai.response.finish_reasons": []any{"stop"},
		}
	}
	add(ptrace.SpanKindServer, "POST /v1/answers", 2600*time.Millisecond, map[string]any{
		"http.request.method": "POST", "http.route": "/v1/answers", "http.response.status_code": 200,
	})
	add(ptrace.SpanKindInternal, "invoke_agent support", 2500*time.Millisecond, map[string]any{
		"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1620, "gen_ai.usage.output_tokens": 248,
	})
	add(ptrace.SpanKindClient, "chat gpt-4o", 1200*time.Millisecond, openai(1200, 200))
	add(ptrace.SpanKindClient, "chat gpt-4o", 800*time.Millisecond, openai(420, 48))
	add(ptrace.SpanKindClient, "chat claude-sonnet-4-20250514", 1500*time.Millisecond, map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.system": "anthropic", // the attribute's name before gen_ai.provider.name
		"gen_ai.request.model": "claude-sonnet-4-20250514", "gen_ai.response.model": "claude-sonnet-4-20250514",
		"gen_ai.usage.input_tokens": 900, "gen_ai.usage.output_tokens": 300,
	})
	add(ptrace.SpanKindClient, "embeddings text-embedding-3-small", 100*time.Millisecond, map[string]any{
		"gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.input_tokens": 64,
	})
	add(ptrace.SpanKindClient, "GET", 5*time.Millisecond, map[string]any{"http.request.method": "GET", "http.response.status_code": 200})
	return td
}

func usageConfig() *Config {
	cfg := goldenConfig()
	cfg.Usage.Prices = map[string]PriceConfig{
		"gpt-4o":                 {Input: 2.5, Output: 10},
		"text-embedding-3-small": {Input: 0.02},
		"qwen2.5-7b":             {Input: 0.1, Output: 0.3},
	}
	return cfg
}

// usageValue is one red.usage.* data point, by its attributes.
type usageValue struct {
	metric, service, model, provider, direction string
}

func usagePoints(t *testing.T, md pmetric.Metrics) map[usageValue]float64 {
	t.Helper()
	out := map[usageValue]float64{}
	str := func(m pcommon.Map, k string) string {
		if v, ok := m.Get(k); ok {
			return v.AsString()
		}
		return ""
	}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		ms := rms.At(i).ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			m := ms.At(j)
			if m.Name() != metricUsageTokens && m.Name() != metricUsageCost {
				continue
			}
			dps := m.Sum().DataPoints()
			for k := 0; k < dps.Len(); k++ {
				a := dps.At(k).Attributes()
				v := float64(dps.At(k).IntValue())
				if m.Name() == metricUsageCost {
					v = dps.At(k).DoubleValue()
				}
				out[usageValue{m.Name(), str(a, "service"), str(a, "model"), str(a, "provider"), str(a, "direction")}] = v
			}
		}
	}
	return out
}

func TestUsageFromGenAISpans(t *testing.T) {
	sink := new(consumertest.MetricsSink)
	c, err := newRedConnector(usageConfig(), componenttest.NewNopTelemetrySettings(), sink, newFakeClock().Now)
	require.NoError(t, err)
	c.consumed(t.Context(), c.engine.consumeTraces(genAISpans(), false))
	require.NoError(t, c.flush(t.Context()))
	md := sink.AllMetrics()[0]
	checkGoldenMetrics(t, "usage_spans", md)

	const gpt, claude, emb = "gpt-4o-2024-08-06", "claude-sonnet-4-20250514", "text-embedding-3-small"
	got := usagePoints(t, md)
	assert.Equal(t, map[usageValue]float64{
		{metricUsageTokens, "", gpt, "openai", "input"}:        1620,
		{metricUsageTokens, "", gpt, "openai", "output"}:       248,
		{metricUsageCost, "", gpt, "openai", ""}:               (1620*2.5 + 248*10) / 1e6, // priced by the request model
		{metricUsageTokens, "", claude, "anthropic", "input"}:  900,
		{metricUsageTokens, "", claude, "anthropic", "output"}: 300, // no price: tokens, no cost
		{metricUsageTokens, "", emb, "openai", "input"}:        64,
		{metricUsageCost, "", emb, "openai", ""}:               64 * 0.02 / 1e6,
	}, got, "the agent span's totals are not counted again")
	requests := collect(t, md)
	assert.Len(t, requests, 1, "only the server span is a request: %v", requests)
}

func TestUsageFromAccessLogs(t *testing.T) {
	p, err := newRedProcessor(usageConfig(), componenttest.NewNopTelemetrySettings(), component.MustNewID("redmetrics"), newFakeClock().Now)
	require.NoError(t, err)
	ld := logsFromJSONL(t, exampleLogsPath("access-2026-05-08.jsonl"), "aistack")
	// A call that reports tokens but no cost is priced from the table.
	extra := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty().Attributes()
	require.NoError(t, extra.FromRaw(map[string]any{
		"category": "llm", "model": "qwen2.5-7b", "method": "POST", "path": "/v1/chat/completions", "status": 200,
		"latency_ms": 990.0, "extra": map[string]any{"provider": "vllm", "input_tokens": 1000, "output_tokens": 100},
	}))
	_, err = p.processLogs(t.Context(), ld)
	require.NoError(t, err)
	snap := (&snapshotSource{engine: p.engine}).Snapshot().(Snapshot)
	byModel := map[string]UsageEntry{}
	for _, u := range snap.Usage {
		byModel[u.Model+"/"+u.Provider] = u
	}
	qwen := byModel["qwen2.5-7b/vllm"]
	assert.Equal(t, uint64(3), qwen.Calls, "200, 503-busy and the added call")
	assert.Equal(t, uint64(1512), qwen.InputTokens)
	assert.Equal(t, uint64(228), qwen.OutputTokens)
	require.NotNil(t, qwen.CostUSD)
	assert.InDelta(t, 0.00042+(1000*0.1+100*0.3)/1e6, *qwen.CostUSD, 1e-12, "the record's own cost, else the price")
	require.NotNil(t, qwen.AvgLatencyMS)
	assert.InDelta(t, (1830.2+2.1+990)/3, *qwen.AvgLatencyMS, 1e-9)
	unknown := byModel["unknown-model/"]
	assert.Equal(t, uint64(1), unknown.Calls)
	assert.Nil(t, unknown.CostUSD, "not guessed")
	assert.Contains(t, byModel, "sensevoice-small/sensevoice", "a call without tokens is still a call")
}

func TestUsageDisabled(t *testing.T) {
	cfg := usageConfig()
	cfg.Usage.Enabled = false
	sink := new(consumertest.MetricsSink)
	c, err := newRedConnector(cfg, componenttest.NewNopTelemetrySettings(), sink, newFakeClock().Now)
	require.NoError(t, err)
	c.engine.consumeTraces(genAISpans(), false)
	c.engine.consumeLogs(logsFromJSONL(t, exampleLogsPath("access-2026-05-08.jsonl"), "aistack"), false)
	require.NoError(t, c.flush(t.Context()))
	assert.Empty(t, usagePoints(t, sink.AllMetrics()[0]))
	p, err := newRedProcessor(cfg, componenttest.NewNopTelemetrySettings(), component.MustNewID("redmetrics"), newFakeClock().Now)
	require.NoError(t, err)
	p.engine.consumeLogs(plog.NewLogs(), true)
	assert.Nil(t, (&snapshotSource{engine: p.engine}).Snapshot().(Snapshot).Usage)
}

func TestUsageGoldenInput(t *testing.T) {
	path := filepath.Join("testdata", "usage_spans", "input.yaml")
	if *update {
		require.NoError(t, golden.WriteTraces(t, path, genAISpans()))
	}
	want, err := golden.ReadTraces(path)
	require.NoError(t, err)
	assert.Equal(t, want.SpanCount(), genAISpans().SpanCount(), "testdata/usage_spans/input.yaml shows the spans of TestUsageFromGenAISpans")
}
