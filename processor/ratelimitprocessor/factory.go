package ratelimitprocessor // import "github.com/redline-otel/redline/processor/ratelimitprocessor"

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/metadata"
)

// NewFactory returns the ratelimit processor factory.
func NewFactory() processor.Factory {
	f := &factory{limiters: map[*Config]*rateLimiter{}}
	return processor.NewFactory(metadata.Type, createDefaultConfig,
		processor.WithLogs(f.createLogs, metadata.LogsStability),
		processor.WithTraces(f.createTraces, metadata.TracesStability),
		processor.WithMetrics(f.createMetrics, metadata.MetricsStability))
}

// factory shares one rateLimiter among the logs, traces and metrics
// processors of one configuration (as core's memorylimiter does): a record
// admitted on any signal takes tokens from the same buckets.
type factory struct {
	mu       sync.Mutex
	limiters map[*Config]*rateLimiter
}

func (f *factory) processorFor(cfg component.Config, set processor.Settings) (*rlProcessor, error) {
	c := cfg.(*Config)
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.limiters[c]
	if !ok {
		var err error
		if r, err = newRateLimiter(c, set); err != nil {
			return nil, fmt.Errorf("create ratelimit processor: %w", err)
		}
		f.limiters[c] = r
	}
	return &rlProcessor{
		r:       r,
		exempt:  newExemption(c.Exempt),
		bytes:   c.Unit == UnitBytes,
		release: func(done *rateLimiter) { f.release(c, done) },
	}, nil
}

func (f *factory) release(c *Config, done *rateLimiter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.limiters[c] == done {
		delete(f.limiters, c)
	}
}

// capabilities: dropping records modifies the data.
var capabilities = processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true})

func (f *factory) createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := f.processorFor(cfg, set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs, capabilities,
		processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
}

func (f *factory) createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := f.processorFor(cfg, set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces, capabilities,
		processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
}

func (f *factory) createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	p, err := f.processorFor(cfg, set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewMetrics(ctx, set, cfg, next, p.processMetrics, capabilities,
		processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
}
