package ratelimitprocessor

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/metadata"
)

// -update rewrites the expected files (and creates missing inputs from the
// case's record list).
var update = flag.Bool("update", false, "rewrite testdata/<case>/expected_*.yaml")

// goldenCases show what drop leaves of a request: only over-limit records
// go, and resources and scopes left empty go with them.
var goldenCases = []struct {
	name string
	cfg  *Config
	recs []rec
}{
	{
		name: "drop_per_service",
		cfg: testConfig(func(c *Config) {
			c.Exempt = ExemptConfig{SeverityAtLeast: "ERROR", Attributes: []AttributeMatch{{Key: "tier", Value: "gold"}}}
		},
			LimitConfig{Name: "per_service", Rate: slow, Burst: 2, Key: []KeyPart{{"service.name"}}},
			LimitConfig{Name: "per_method", Rate: slow, Burst: 1, Key: []KeyPart{{"rpc.method"}}}),
		recs: []rec{
			{service: "checkout", method: "Pay"},
			{service: "checkout", method: "Refund"},
			{service: "checkout", method: "Pay"},                                       // per_method: Pay spent
			{service: "checkout", method: "Quote"},                                     // per_service: checkout spent
			{service: "checkout", method: "Pay", severity: plog.SeverityNumberError},   // exempt (logs, traces)
			{service: "cart", method: "Pay"},                                           // per_method: Pay spent
			{service: "cart", method: "Add", attrs: map[string]string{"tier": "gold"}}, // exempt
			{service: "search"},                                                        // per_service only
			{service: "search", attrs: map[string]string{"q": "shoes"}},
			{service: "search"}, // per_service: search spent
		},
	},
}

func goldenPath(name, file string) string { return filepath.Join("testdata", name, file) }

func ensureInput(t *testing.T, path string, write func() error) {
	t.Helper()
	if _, err := os.Stat(path); err == nil || !*update {
		return
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, write())
}

func TestGoldenLogs(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			in := goldenPath(tc.name, "input_logs.yaml")
			ensureInput(t, in, func() error { return golden.WriteLogsToFile(in, makeLogs(tc.recs)) })
			ld, err := golden.ReadLogs(in)
			require.NoError(t, err)
			sink := new(consumertest.LogsSink)
			p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), tc.cfg, sink)
			require.NoError(t, err)
			require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
			defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
			require.NoError(t, p.ConsumeLogs(t.Context(), ld))
			require.Len(t, sink.AllLogs(), 1)
			want := goldenPath(tc.name, "expected_logs.yaml")
			if *update {
				require.NoError(t, golden.WriteLogs(t, want, sink.AllLogs()[0]))
			}
			expected, err := golden.ReadLogs(want)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(expected, sink.AllLogs()[0]))
		})
	}
}

func TestGoldenTraces(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			in := goldenPath(tc.name, "input_traces.yaml")
			ensureInput(t, in, func() error { return golden.WriteTracesToFile(in, makeTraces(tc.recs)) })
			td, err := golden.ReadTraces(in)
			require.NoError(t, err)
			sink := new(consumertest.TracesSink)
			p, err := NewFactory().CreateTraces(t.Context(), processortest.NewNopSettings(metadata.Type), tc.cfg, sink)
			require.NoError(t, err)
			require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
			defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
			require.NoError(t, p.ConsumeTraces(t.Context(), td))
			require.Len(t, sink.AllTraces(), 1)
			want := goldenPath(tc.name, "expected_traces.yaml")
			if *update {
				require.NoError(t, golden.WriteTraces(t, want, sink.AllTraces()[0]))
			}
			expected, err := golden.ReadTraces(want)
			require.NoError(t, err)
			require.NoError(t, ptracetest.CompareTraces(expected, sink.AllTraces()[0]))
		})
	}
}

func TestGoldenMetrics(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			in := goldenPath(tc.name, "input_metrics.yaml")
			ensureInput(t, in, func() error { return golden.WriteMetricsToFile(in, makeMetrics(tc.recs)) })
			md, err := golden.ReadMetrics(in)
			require.NoError(t, err)
			sink := new(consumertest.MetricsSink)
			p, err := NewFactory().CreateMetrics(t.Context(), processortest.NewNopSettings(metadata.Type), tc.cfg, sink)
			require.NoError(t, err)
			require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
			defer func() { require.NoError(t, p.Shutdown(context.Background())) }()
			require.NoError(t, p.ConsumeMetrics(t.Context(), md))
			require.Len(t, sink.AllMetrics(), 1)
			want := goldenPath(tc.name, "expected_metrics.yaml")
			if *update {
				require.NoError(t, golden.WriteMetrics(t, want, sink.AllMetrics()[0]))
			}
			expected, err := golden.ReadMetrics(want)
			require.NoError(t, err)
			require.NoError(t, pmetrictest.CompareMetrics(expected, sink.AllMetrics()[0]))
		})
	}
}
