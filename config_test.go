package redline_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"
	"go.opentelemetry.io/collector/pipeline"

	"github.com/redline-otel/redline/internal/distribution"
)

func loadDefaultConfig(t *testing.T) *otelcol.Config {
	t.Helper()
	factories, err := distribution.Components()
	require.NoError(t, err)
	cfg, err := otelcoltest.LoadConfigAndValidate(filepath.Join("config", "collector.yaml"), factories)
	require.NoError(t, err)
	return cfg
}

func ids(names ...string) []component.ID {
	out := make([]component.ID, len(names))
	for i, n := range names {
		var id component.ID
		if err := id.UnmarshalText([]byte(n)); err != nil {
			panic(err)
		}
		out[i] = id
	}
	return out
}

// TestDefaultConfigLoads loads config/collector.yaml with the distribution's
// factories, so a broken default config fails `go test ./...` without ocb,
// and pins the shape of the default pipelines.
func TestDefaultConfigLoads(t *testing.T) {
	cfg := loadDefaultConfig(t)

	assert.Equal(t, ids("healthz", "file_storage"), []component.ID(cfg.Service.Extensions))

	want := map[string]struct{ receivers, processors, exporters []string }{
		"logs":          {[]string{"accesslog", "otlp"}, []string{"memory_limiter", "mask", "redmetrics"}, []string{"redmetrics", "forward/logs"}},
		"logs/export":   {[]string{"forward/logs"}, []string{"ratelimit"}, []string{"debug"}},
		"logs/payloads": {[]string{"otlp"}, []string{"memory_limiter"}, []string{"payloadcapture"}},
		"traces":        {[]string{"otlp"}, []string{"memory_limiter", "mask", "redmetrics"}, []string{"redmetrics", "forward/traces"}},
		"traces/export": {[]string{"forward/traces"}, []string{"ratelimit"}, []string{"debug"}},
		"metrics":       {[]string{"otlp", "redmetrics"}, []string{"memory_limiter", "mask"}, []string{"debug"}},
	}
	assert.Len(t, cfg.Service.Pipelines, len(want))
	for name, w := range want {
		var pid pipeline.ID
		require.NoError(t, pid.UnmarshalText([]byte(name)))
		p, ok := cfg.Service.Pipelines[pid]
		require.True(t, ok, "pipeline %s", name)
		assert.Equal(t, ids(w.receivers...), p.Receivers, "%s receivers", name)
		assert.Equal(t, ids(w.processors...), p.Processors, "%s processors", name)
		assert.Equal(t, ids(w.exporters...), p.Exporters, "%s exporters", name)
		assert.NotContains(t, p.Processors, component.MustNewID("batch"),
			"batching belongs in the exporters' persistent sending_queue, not in memory")
	}
}

// TestExporterFromEnvironment shows that REDLINE_EXPORTER picks the exporter
// of every outgoing pipeline.
func TestExporterFromEnvironment(t *testing.T) {
	t.Setenv("REDLINE_EXPORTER", "otlp")
	cfg := loadDefaultConfig(t)
	for _, name := range []string{"logs/export", "traces/export", "metrics"} {
		var pid pipeline.ID
		require.NoError(t, pid.UnmarshalText([]byte(name)))
		assert.Equal(t, ids("otlp"), cfg.Service.Pipelines[pid].Exporters, name)
	}
}

// TestDefaultConfigStartsAndStops runs the default configuration in-process:
// every component must start with its defaults and shut down cleanly.
func TestDefaultConfigStartsAndStops(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REDLINE_STORAGE_DIR", filepath.Join(dir, "storage"))
	t.Setenv("REDLINE_PAYLOAD_DIR", filepath.Join(dir, "payloads"))
	t.Setenv("REDLINE_EXPORTER", "nop")
	for _, v := range []string{"REDLINE_OTLP_GRPC_PORT", "REDLINE_OTLP_HTTP_PORT", "REDLINE_HEALTH_PORT", "REDLINE_TELEMETRY_PORT"} {
		t.Setenv(v, "0")
	}
	factories, err := distribution.Components()
	require.NoError(t, err)

	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.NewDefaultBuildInfo(),
		Factories: func() (otelcol.Factories, error) { return factories, nil },
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{filepath.Join("config", "collector.yaml")},
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
			DefaultScheme:     "env",
		}},
	})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- col.Run(t.Context()) }()
	require.Eventually(t, func() bool { return col.GetState() == otelcol.StateRunning }, 30*time.Second, 50*time.Millisecond)
	col.Shutdown()
	require.NoError(t, <-done)
}
