package redmetricsprocessor

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
)

// The connector's stability, written here because its generated metadata
// lives in redmetricsconnector/internal/metadata, which this package cannot
// import; redmetricsconnector's tests check these against it. The type is
// the same "redmetrics" as the processor's (different component kinds).
const (
	connectorLogsToMetricsStability   = component.StabilityLevelAlpha
	connectorTracesToMetricsStability = component.StabilityLevelAlpha
)

// NewConnectorFactory returns the factory of the redmetrics connector
// (logs → metrics, traces → metrics). Distributions import it through
// redmetricsconnector.NewFactory.
func NewConnectorFactory() connector.Factory {
	cores := newSharedCores[*redConnector]()
	return connector.NewFactory(metadata.Type, createDefaultConfig,
		connector.WithLogsToMetrics(func(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Logs, error) {
			h, err := acquireConnector(cores, set, cfg.(*Config), next)
			if err != nil {
				return nil, err
			}
			return &logsToMetrics{handle: h}, nil
		}, connectorLogsToMetricsStability),
		connector.WithTracesToMetrics(func(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Traces, error) {
			h, err := acquireConnector(cores, set, cfg.(*Config), next)
			if err != nil {
				return nil, err
			}
			return &tracesToMetrics{handle: h}, nil
		}, connectorTracesToMetricsStability),
	)
}

func acquireConnector(cores *sharedCores[*redConnector], set connector.Settings, cfg *Config, next consumer.Metrics) (*handle[*redConnector], error) {
	return cores.acquire(cfg, func() (*redConnector, error) {
		return newRedConnector(cfg, set.TelemetrySettings, next, time.Now)
	})
}

type logsToMetrics struct {
	*handle[*redConnector]
}

func (c *logsToMetrics) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *logsToMetrics) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if core := c.shared.core; core.cfg.Enabled {
		core.consumed(ctx, core.engine.consumeLogs(ld, false))
	}
	return nil
}

type tracesToMetrics struct {
	*handle[*redConnector]
}

func (c *tracesToMetrics) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *tracesToMetrics) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	if core := c.shared.core; core.cfg.Enabled {
		core.consumed(ctx, core.engine.consumeTraces(td, false))
	}
	return nil
}

// redConnector is the connector face's shared core: it flushes the
// aggregates to the metrics pipelines every metrics_flush_interval.
type redConnector struct {
	cfg    *Config
	logger *zap.Logger
	engine *engine
	next   consumer.Metrics
	tb     *metadata.TelemetryBuilder
	tel    faceTelemetry

	stop       chan struct{}
	wg         sync.WaitGroup
	overflowed sync.Once
	flushMu    sync.Mutex  // one flush at a time: the ticker and shutdown
	flushBuf   flushBuffer // guarded by flushMu
}

func newRedConnector(cfg *Config, set component.TelemetrySettings, next consumer.Metrics, now func() time.Time) (*redConnector, error) {
	e, err := newEngine(cfg, engineOptions{now: now})
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	return &redConnector{
		cfg: cfg, logger: set.Logger, engine: e, next: next, tb: tb,
		tel: newFaceTelemetry(tb.ConnectorRedmetricsRequests, tb.ConnectorRedmetricsOverflowRequests, tb.ConnectorRedmetricsSeries),
	}, nil
}

func (c *redConnector) start(context.Context, component.Host) error {
	if !c.cfg.Enabled {
		c.logger.Info("redmetrics: disabled ('enabled: false'); no RED metrics are emitted")
		return nil
	}
	c.stop = make(chan struct{})
	c.wg.Add(1)
	go c.flushLoop()
	return nil
}

func (c *redConnector) flushLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.MetricsFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if err := c.flush(context.Background()); err != nil {
				c.logger.Warn("redmetrics: sending RED metrics failed", zap.Error(err))
			}
		}
	}
}

// shutdown stops the loop and flushes once more, so the last interval is
// not lost (downstream components shut down after connectors).
func (c *redConnector) shutdown(ctx context.Context) error {
	var err error
	if c.stop != nil {
		close(c.stop)
		c.wg.Wait()
		err = c.flush(ctx)
	}
	c.tb.Shutdown()
	return err
}

// flush builds one batch of metrics and sends it. Only copying the series
// values holds the aggregate's lock; the OTLP metrics are built after it is
// released, so records are not blocked for the whole flush.
func (c *redConnector) flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	began := time.Now()
	e := c.engine
	e.mu.Lock()
	now := e.now().UnixNano()
	st := e.flushLocked(now, &c.flushBuf)
	e.mu.Unlock()
	md := pmetric.NewMetrics()
	e.buildMetrics(&c.flushBuf, now, md)
	dropEmptyMetrics(md)
	if st.Expired > 0 {
		c.tel.series.Add(ctx, -int64(st.Expired))
	}
	c.tb.ConnectorRedmetricsFlushDuration.Record(ctx, time.Since(began).Seconds())
	if md.DataPointCount() == 0 {
		return nil
	}
	return c.next.ConsumeMetrics(ctx, md)
}

func (c *redConnector) consumed(ctx context.Context, st batchStats) {
	c.tel.record(ctx, &st, 0)
	if st.firstOver {
		c.overflowed.Do(func() {
			c.logger.Warn("redmetrics: max_series reached; further new series fold into the overflow series (otel.metric.overflow=true)",
				zap.Int("max_series", c.cfg.MaxSeries))
		})
	}
}
