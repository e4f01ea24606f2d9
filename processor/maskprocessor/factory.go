package maskprocessor // import "github.com/redline-otel/redline/processor/maskprocessor"

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/processor/maskprocessor/internal/metadata"
)

// NewFactory returns the mask processor factory.
func NewFactory() processor.Factory {
	reg := &statsRegistry{m: map[*Config]*sharedStats{}}
	return processor.NewFactory(metadata.Type, createDefaultConfig,
		processor.WithLogs(reg.createLogs, metadata.LogsStability),
		processor.WithTraces(reg.createTraces, metadata.TracesStability),
		processor.WithMetrics(reg.createMetrics, metadata.MetricsStability))
}

func (r *statsRegistry) newProcessor(set processor.Settings, cfg component.Config) (*maskProcessor, error) {
	c := cfg.(*Config)
	p, err := newMaskProcessor(c, set.TelemetrySettings, snapshot.Name(component.KindProcessor, set.ID))
	if err != nil {
		return nil, fmt.Errorf("create mask processor: %w", err)
	}
	p.stats, p.release = r.acquire(c, p.masker)
	return p, nil
}

func (p *maskProcessor) options() []processorhelper.Option {
	// Disabled, the processor hands data on untouched, so it needs no copy.
	return []processorhelper.Option{
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: p.enabled}),
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown),
	}
}

func (r *statsRegistry) createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := r.newProcessor(set, cfg)
	if err != nil {
		return nil, err
	}
	proc, err := processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs, p.options()...)
	if err != nil {
		_ = p.shutdown(ctx)
		return nil, err
	}
	return proc, nil
}

func (r *statsRegistry) createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := r.newProcessor(set, cfg)
	if err != nil {
		return nil, err
	}
	proc, err := processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces, p.options()...)
	if err != nil {
		_ = p.shutdown(ctx)
		return nil, err
	}
	return proc, nil
}

func (r *statsRegistry) createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	p, err := r.newProcessor(set, cfg)
	if err != nil {
		return nil, err
	}
	proc, err := processorhelper.NewMetrics(ctx, set, cfg, next, p.processMetrics, p.options()...)
	if err != nil {
		_ = p.shutdown(ctx)
		return nil, err
	}
	return proc, nil
}
