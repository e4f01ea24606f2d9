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

// processorFor returns a processor holding one reference to cfg's shared
// limiter, creating the limiter for the first one.
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
	r.refs++
	return &rlProcessor{
		r:       r,
		exempt:  newExemption(c.Exempt),
		bytes:   c.Unit == UnitBytes,
		release: func() bool { return f.release(c, r) },
	}, nil
}

// release drops one reference to r and reports whether it was the last; r is
// then forgotten, so a later create builds a fresh limiter.
func (f *factory) release(c *Config, r *rateLimiter) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	r.refs--
	if r.refs > 0 {
		return false
	}
	if f.limiters[c] == r {
		delete(f.limiters, c)
	}
	return true
}

// wrap finishes a create: if the helper fails, the reference p holds is
// dropped at once, since no Shutdown will come for it.
func wrap[T any](p *rlProcessor, created T, err error) (T, error) {
	if err != nil {
		_ = p.shutdown(context.Background())
		var zero T
		return zero, err
	}
	return created, nil
}

// capabilities: dropping records modifies the data.
var capabilities = processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true})

func (f *factory) createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := f.processorFor(cfg, set)
	if err != nil {
		return nil, err
	}
	created, err := processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs, capabilities,
		processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
	return wrap(p, created, err)
}

func (f *factory) createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := f.processorFor(cfg, set)
	if err != nil {
		return nil, err
	}
	created, err := processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces, capabilities,
		processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
	return wrap(p, created, err)
}

func (f *factory) createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	p, err := f.processorFor(cfg, set)
	if err != nil {
		return nil, err
	}
	created, err := processorhelper.NewMetrics(ctx, set, cfg, next, p.processMetrics, capabilities,
		processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
	return wrap(p, created, err)
}
