package redmetricsprocessor

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// faceTelemetry records one face's internal metrics per batch.
type faceTelemetry struct {
	requests metric.Int64Counter
	overflow metric.Int64Counter
	series   metric.Int64UpDownCounter
	// byClass holds prebuilt attribute options so recording does not allocate.
	byClass [statusclass.Count + 1]metric.AddOption
}

func newFaceTelemetry(requests, overflow metric.Int64Counter, series metric.Int64UpDownCounter) faceTelemetry {
	ft := faceTelemetry{requests: requests, overflow: overflow, series: series}
	for _, c := range statusclass.All {
		ft.byClass[c] = metric.WithAttributeSet(metadataClassSet(c))
	}
	return ft
}

func (ft *faceTelemetry) record(ctx context.Context, st *batchStats, expired int) {
	for _, c := range statusclass.All {
		if n := st.byClass[c]; n > 0 {
			ft.requests.Add(ctx, n, ft.byClass[c])
		}
	}
	if st.overflow > 0 {
		ft.overflow.Add(ctx, st.overflow)
	}
	if d := st.newSeries - int64(expired); d != 0 {
		ft.series.Add(ctx, d)
	}
}

// redProcessor is the processor face's shared core.
type redProcessor struct {
	cfg      *Config
	id       component.ID
	logger   *zap.Logger
	engine   *engine
	tb       *metadata.TelemetryBuilder
	tel      faceTelemetry
	interval time.Duration

	unregister func()
	stop       chan struct{}
	wg         sync.WaitGroup
	overflowed sync.Once
}

func newRedProcessor(cfg *Config, set component.TelemetrySettings, id component.ID, now func() time.Time) (*redProcessor, error) {
	e, err := newEngine(cfg, engineOptions{recent: true, now: now})
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	return &redProcessor{
		cfg: cfg, id: id, logger: set.Logger, engine: e, tb: tb,
		tel:      newFaceTelemetry(tb.ProcessorRedmetricsRequests, tb.ProcessorRedmetricsOverflowRequests, tb.ProcessorRedmetricsSeries),
		interval: cfg.MetricsFlushInterval,
	}, nil
}

func (p *redProcessor) start(_ context.Context, host component.Host) error {
	if !p.cfg.Enabled {
		p.logger.Info("redmetrics: disabled ('enabled: false'); records pass through unclassified")
		return nil
	}
	p.unregister = snapshot.RegisterWithHost(host, snapshot.Name(component.KindProcessor, p.id), &snapshotSource{engine: p.engine})
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go p.expireLoop()
	return nil
}

// expireLoop drops series past series_ttl; the processor emits nothing.
func (p *redProcessor) expireLoop() {
	defer p.wg.Done()
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			e := p.engine
			e.mu.Lock()
			n := e.expireLocked(e.now().UnixNano())
			e.mu.Unlock()
			if n > 0 {
				p.tel.series.Add(context.Background(), -int64(n))
			}
		}
	}
}

func (p *redProcessor) shutdown(context.Context) error {
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
	}
	if p.unregister != nil {
		p.unregister()
	}
	p.tb.Shutdown()
	return nil
}

func (p *redProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	if !p.cfg.Enabled {
		return ld, nil
	}
	st := p.engine.consumeLogs(ld, true)
	p.after(ctx, &st)
	return ld, nil
}

func (p *redProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	if !p.cfg.Enabled {
		return td, nil
	}
	st := p.engine.consumeTraces(td, true)
	p.after(ctx, &st)
	return td, nil
}

func (p *redProcessor) after(ctx context.Context, st *batchStats) {
	p.tel.record(ctx, st, 0)
	if st.firstOver {
		p.overflowed.Do(func() {
			p.logger.Warn("redmetrics: max_series reached; further new series fold into the overflow series (otel.metric.overflow=true)",
				zap.Int("max_series", p.cfg.MaxSeries))
		})
	}
}
