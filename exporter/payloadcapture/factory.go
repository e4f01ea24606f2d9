package payloadcapture // import "github.com/redline-otel/redline/exporter/payloadcapture"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/redline-otel/redline/exporter/payloadcapture/internal/metadata"
)

// NewFactory returns the payloadcapture exporter factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(metadata.Type, createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	retry := configretry.NewDefaultBackOffConfig()
	// Off: a failed capture is dropped and counted. Turning it on keeps
	// failed records in the queue for another try (disk full, for example,
	// until the sweeper frees space).
	retry.Enabled = false
	return &Config{
		Enabled:         false,
		Directory:       "/var/lib/redline/payloads",
		CreateDirectory: true,
		Fsync:           false,
		MaxAgeDays:      7,
		MaxSizeGB:       5,
		SweepInterval:   30 * time.Minute,
		Attributes: AttributesConfig{
			RequestBody:     "http.request.body",
			ResponseBody:    "http.response.body",
			RequestHeaders:  "http.request.header",
			ResponseHeaders: "http.response.header",
			RequestID:       []string{"request_id", "http.request.header.x-request-id"},
			Service:         []string{"service.name", "service"},
			Method:          []string{"http.request.method", "method"},
			Path:            []string{"url.path", "http.route", "path"},
			Category:        []string{"category"},
			Status:          []string{"http.response.status_code", "status_code", "status", "rpc.grpc.status_code"},
			DurationMS:      []string{"duration_ms", "latency_ms"},
			DurationS:       []string{"duration_s", "http.server.request.duration"},
		},
		BodyEncoding: BodyEncodingRaw,
		// Disk writes take milliseconds; a generous timeout keeps a large
		// batch on a slow disk from being cut short.
		TimeoutConfig: exporterhelper.TimeoutConfig{Timeout: 30 * time.Second},
		// On by default so a slow disk never slows the pipeline: when the
		// queue is full, new batches are dropped, not waited for.
		QueueConfig: configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig: retry,
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e, err := newPayloadExporter(c, set)
	if err != nil {
		return nil, fmt.Errorf("create payloadcapture exporter: %w", err)
	}
	return wrapLogs(ctx, set, c, e)
}

// wrapLogs puts the exporterhelper's timeout, retry and queue around e.
func wrapLogs(ctx context.Context, set exporter.Settings, c *Config, e *payloadExporter) (exporter.Logs, error) {
	return exporterhelper.NewLogs(ctx, set, c, e.pushLogs,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown))
}
