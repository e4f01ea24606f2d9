package redline_test

import (
	"os"
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
	"go.yaml.in/yaml/v3"

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

	assert.Equal(t, ids("healthz", "pprof", "file_storage", "storage_guard"), []component.ID(cfg.Service.Extensions))

	want := map[string]struct{ receivers, processors, exporters []string }{
		"logs":          {[]string{"accesslog", "otlp"}, []string{"memory_limiter", "ratelimit", "mask", "redmetrics"}, []string{"redmetrics", "debug"}},
		"logs/payloads": {[]string{"otlp"}, []string{"memory_limiter"}, []string{"payloadcapture"}},
		"traces":        {[]string{"otlp"}, []string{"memory_limiter", "ratelimit", "mask", "redmetrics"}, []string{"redmetrics", "debug"}},
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
// of every outgoing pipeline, by the OTLP exporters' current names and by
// their former ones, which carry the same settings.
func TestExporterFromEnvironment(t *testing.T) {
	for exporter, sameAs := range map[string]string{"otlp_grpc": "", "otlp_http": "", "otlp": "otlp_grpc", "otlphttp": "otlp_http"} {
		t.Run(exporter, func(t *testing.T) {
			t.Setenv("REDLINE_EXPORTER", exporter)
			cfg := loadDefaultConfig(t)
			for name, want := range map[string][]component.ID{
				"logs":    ids("redmetrics", exporter),
				"traces":  ids("redmetrics", exporter),
				"metrics": ids(exporter),
			} {
				var pid pipeline.ID
				require.NoError(t, pid.UnmarshalText([]byte(name)))
				assert.Equal(t, want, cfg.Service.Pipelines[pid].Exporters, name)
			}
			if sameAs != "" {
				assert.Equal(t, cfg.Exporters[ids(sameAs)[0]], cfg.Exporters[ids(exporter)[0]], "%s is %s by its former name", exporter, sameAs)
			}
		})
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
	t.Setenv("REDLINE_PPROF_ENDPOINT", "127.0.0.1:0")
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

// TestDefaultConfigNeverAcknowledgesEarly pins the settings the at-least-once
// promise rests on: every queue is persistent and blocks when full, and the
// rate limit refuses (so the sender retries) instead of dropping.
func TestDefaultConfigNeverAcknowledgesEarly(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("config", "collector.yaml"))
	require.NoError(t, err)
	var doc struct {
		Extensions map[string]map[string]any `yaml:"extensions"`
		Receivers  map[string]map[string]any `yaml:"receivers"`
		Processors map[string]map[string]any `yaml:"processors"`
		Exporters  map[string]map[string]any `yaml:"exporters"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))

	// Everything is stored through the guard, which stands in front of
	// file_storage: on a full disk file_storage alone lets the persistent
	// queue delete items (see extension/storageguardextension).
	assert.Equal(t, "file_storage", doc.Extensions["storage_guard"]["storage"])
	assert.Equal(t, doc.Extensions["file_storage"]["directory"], doc.Extensions["storage_guard"]["directory"],
		"the guard watches file_storage's directory")
	assert.Equal(t, "storage_guard", doc.Receivers["accesslog"]["storage"])

	assert.Equal(t, "refuse", doc.Processors["ratelimit"]["action"], "a dropped record would be checkpointed as delivered")
	assert.NotContains(t, doc.Processors, "batch")
	queued := 0
	for name, exp := range doc.Exporters {
		q, ok := exp["sending_queue"].(map[string]any)
		if !ok {
			continue
		}
		queued++
		assert.Equal(t, "storage_guard", q["storage"], "%s: the queue must be persistent, through the guard", name)
		assert.Equal(t, true, q["block_on_overflow"], "%s: a full queue must push back, not fail and be retried", name)
		if _, remote := exp["endpoint"]; remote {
			retry, _ := exp["retry_on_failure"].(map[string]any)
			assert.Equal(t, "0s", retry["max_elapsed_time"],
				"%s: a batch whose retries run out is deleted from the persistent queue: retry without end", name)
		}
	}
	assert.GreaterOrEqual(t, queued, 3)
}
