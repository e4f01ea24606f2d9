package redmetricsprocessor

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// NewFactory returns the factory of the redmetrics processor (logs, traces).
func NewFactory() processor.Factory {
	cores := newSharedCores[*redProcessor]()
	return processor.NewFactory(metadata.Type, createDefaultConfig,
		processor.WithLogs(func(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
			h, err := acquireProcessor(cores, set, cfg.(*Config))
			if err != nil {
				return nil, err
			}
			return processorhelper.NewLogs(ctx, set, cfg, next, h.shared.core.processLogs,
				processorhelper.WithCapabilities(capabilities(cfg.(*Config))),
				processorhelper.WithStart(h.Start), processorhelper.WithShutdown(h.Shutdown))
		}, metadata.LogsStability),
		processor.WithTraces(func(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
			h, err := acquireProcessor(cores, set, cfg.(*Config))
			if err != nil {
				return nil, err
			}
			return processorhelper.NewTraces(ctx, set, cfg, next, h.shared.core.processTraces,
				processorhelper.WithCapabilities(capabilities(cfg.(*Config))),
				processorhelper.WithStart(h.Start), processorhelper.WithShutdown(h.Shutdown))
		}, metadata.TracesStability),
	)
}

func acquireProcessor(cores *sharedCores[*redProcessor], set processor.Settings, cfg *Config) (*handle[*redProcessor], error) {
	h, err := cores.acquire(cfg, func() (*redProcessor, error) {
		return newRedProcessor(cfg, set.TelemetrySettings, set.ID, time.Now)
	})
	if err != nil {
		return nil, fmt.Errorf("create redmetrics processor: %w", err)
	}
	return h, nil
}

// capabilities: the processor stamps status_class into the data it is
// given; switched off it leaves the data alone, and saying so spares the
// pipeline a copy when the data fans out.
func capabilities(cfg *Config) consumer.Capabilities {
	return consumer.Capabilities{MutatesData: cfg.Enabled}
}

func metadataClassSet(c statusclass.Class) attribute.Set {
	return attribute.NewSet(attribute.String("status_class", c.String()))
}
