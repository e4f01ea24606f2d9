package payloadcapture // import "github.com/redline-otel/redline/exporter/payloadcapture"

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"
	"github.com/redline-otel/redline/exporter/payloadcapture/internal/metadata"
	"github.com/redline-otel/redline/internal/snapshot"
)

const (
	// tempGrace leaves a temporary folder alone for this long; a capture is
	// written in milliseconds, so an older one is a crash's leftover.
	tempGrace = 10 * time.Minute
	// errorLogInterval rate-limits the error log of failed captures.
	errorLogInterval = 10 * time.Second
	// maxEarlySweepGap bounds how often writes past the size budget trigger
	// a sweep before the next scheduled one.
	maxEarlySweepGap = time.Minute
)

type payloadExporter struct {
	cfg    *Config
	set    exporter.Settings
	logger *zap.Logger
	mapper *recordMapper
	policy capture.Policy
	budget int64
	// earlySweepGap is the least time between a sweep and one triggered by
	// writes past the budget.
	earlySweepGap time.Duration
	// storeOptions is read at start; tests inject faults through it.
	storeOptions capture.Options

	store *capture.Store
	tb    *metadata.TelemetryBuilder
	stats *stats

	// mu guards the status state below and host.
	mu           sync.Mutex
	host         component.Host
	failing      bool
	failingCause capture.Cause
	lastErrLog   time.Time
	suppressed   int

	trigger    chan struct{}
	stop       chan struct{}
	done       chan struct{}
	unregister func()
	started    bool
	shutOnce   sync.Once
}

func newPayloadExporter(cfg *Config, set exporter.Settings) (*payloadExporter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	e := &payloadExporter{
		cfg:    cfg,
		set:    set,
		logger: set.Logger,
		mapper: newRecordMapper(cfg),
		policy: capture.Policy{MaxAge: cfg.maxAge(), MaxSize: cfg.maxSizeBytes(), TempGrace: tempGrace},
		budget: cfg.maxSizeBytes(),

		earlySweepGap: min(cfg.SweepInterval, maxEarlySweepGap),
		storeOptions: capture.Options{
			Fsync:           cfg.Fsync,
			CreateDirectory: cfg.CreateDirectory,
		},
		tb:      tb,
		trigger: make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	e.stats = newStats(cfg, e.budget)
	return e, nil
}

func (e *payloadExporter) start(_ context.Context, host component.Host) error {
	e.mu.Lock()
	e.host = host
	e.mu.Unlock()
	e.store = capture.NewStore(e.cfg.Directory, e.storeOptions)
	e.stats.usage = e.store.Usage
	if err := e.tb.RegisterExporterPayloadcaptureDiskUsageCallback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(e.store.Usage())
		return nil
	}); err != nil {
		return fmt.Errorf("register disk usage gauge: %w", err)
	}
	e.unregister = snapshot.RegisterWithHost(host, snapshot.Name(component.KindExporter, e.set.ID), e.stats)

	if e.cfg.Enabled {
		e.logger.Info("Payload capture is on: request and response bodies are written to disk unscrubbed",
			zap.String("directory", e.cfg.Directory), zap.Int("max_age_days", e.cfg.MaxAgeDays), zap.Float64("max_size_gb", e.cfg.MaxSizeGB))
		// A directory that is not usable yet does not fail the start: the
		// collector runs without captures, and every write tries again.
		if err := e.store.Check(); err != nil {
			e.logger.Warn("Payload capture directory is not usable yet; captures are dropped until it is",
				zap.String("cause", string(capture.CauseOf(err))), zap.Error(err))
		}
	} else {
		e.logger.Info("Payload capture is off (enabled: false): log records are accepted and dropped, nothing is written; captures already in the directory are still swept",
			zap.String("directory", e.cfg.Directory))
	}
	e.started = true
	go e.runSweeper()
	return nil
}

func (e *payloadExporter) shutdown(ctx context.Context) error {
	var err error
	e.shutOnce.Do(func() {
		if !e.started {
			e.tb.Shutdown()
			return
		}
		close(e.stop)
		select {
		case <-e.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		e.unregister()
		e.tb.Shutdown()
		if errClose := e.store.Close(); errClose != nil && err == nil {
			err = errClose
		}
	})
	return err
}

// pushLogs writes one capture per record that carries a body. A capture
// that cannot be written is dropped and counted, and the batch still
// succeeds: returning an error would make exporterhelper log every batch
// and, with a queue, hold the pipeline's data for a disk that is full. With
// retry_on_failure enabled, the failed records alone are handed back as a
// retryable error, so the queue tries them again after a backoff.
func (e *payloadExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	if !e.cfg.Enabled {
		return nil
	}
	var retry plog.Logs
	var retryCount int
	var lastErr error
	now := time.Now()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			lrs := sl.LogRecords()
			var retryScope plog.ScopeLogs
			for k := 0; k < lrs.Len(); k++ {
				if err := ctx.Err(); err != nil {
					// Timeout or shutdown: the rest are dropped rather than
					// retried, so no capture is ever written twice.
					return consumererror.NewPermanent(fmt.Errorf("payload capture stopped: %w", err))
				}
				lr := lrs.At(k)
				c, ok := e.mapper.toCapture(rl.Resource(), lr, now)
				if !ok {
					continue
				}
				res, err := e.store.Write(c)
				if err != nil {
					e.failed(ctx, err)
					if e.cfg.RetryConfig.Enabled && retryable(err) {
						if retryCount == 0 {
							retry = plog.NewLogs()
						}
						if retryScope == (plog.ScopeLogs{}) {
							rlOut := retry.ResourceLogs().AppendEmpty()
							rl.Resource().CopyTo(rlOut.Resource())
							rlOut.SetSchemaUrl(rl.SchemaUrl())
							retryScope = rlOut.ScopeLogs().AppendEmpty()
							sl.Scope().CopyTo(retryScope.Scope())
							retryScope.SetSchemaUrl(sl.SchemaUrl())
						}
						lr.CopyTo(retryScope.LogRecords().AppendEmpty())
						retryCount++
						lastErr = err
					}
					continue
				}
				e.written(ctx, res)
			}
		}
	}
	if retryCount > 0 {
		return consumererror.NewLogs(fmt.Errorf("%d captures not written: %w", retryCount, lastErr), retry)
	}
	return nil
}

// retryable tells whether trying again later can help: not for a symlink
// pointing outside the tree or a meta.json that cannot be encoded.
func retryable(err error) bool {
	switch capture.CauseOf(err) {
	case capture.CausePathEscape, capture.CauseEncode:
		return false
	default:
		return true
	}
}

func (e *payloadExporter) written(ctx context.Context, res capture.Result) {
	e.tb.ExporterPayloadcaptureCapturesWritten.Add(ctx, 1)
	e.tb.ExporterPayloadcaptureBytesWritten.Add(ctx, res.Bytes)
	e.stats.written(res.Bytes)

	e.mu.Lock()
	recovered := e.failing
	e.failing, e.failingCause = false, ""
	host := e.host
	e.mu.Unlock()
	if recovered {
		e.logger.Info("Payload captures are written again", zap.String("directory", e.cfg.Directory))
		componentstatus.ReportStatus(host, componentstatus.NewEvent(componentstatus.StatusOK))
	}
	if e.store.Usage() > e.budget {
		select {
		case e.trigger <- struct{}{}:
		default:
		}
	}
}

// failed counts a dropped capture, logs at most once per errorLogInterval
// (with the number of failures not logged) and reports a recoverable error
// when the exporter starts failing or the cause changes.
func (e *payloadExporter) failed(ctx context.Context, err error) {
	cause := capture.CauseOf(err)
	e.tb.ExporterPayloadcaptureFailures.Add(ctx, 1, metric.WithAttributes(attribute.String("cause", string(cause))))
	e.stats.failed(cause, err)

	e.mu.Lock()
	report := !e.failing || e.failingCause != cause
	e.failing, e.failingCause = true, cause
	host := e.host
	logNow := time.Since(e.lastErrLog) >= errorLogInterval
	suppressed := e.suppressed
	if logNow {
		e.lastErrLog = time.Now()
		e.suppressed = 0
	} else {
		e.suppressed++
	}
	e.mu.Unlock()

	if logNow {
		e.logger.Error("Payload capture dropped: it could not be written",
			zap.String("cause", string(cause)), zap.Error(err), zap.Int("dropped_since_last_log", suppressed),
			zap.String("directory", e.cfg.Directory))
	}
	if report {
		componentstatus.ReportStatus(host, componentstatus.NewRecoverableErrorEvent(err))
	}
}

// runSweeper sweeps at start, every sweep_interval, and early (at most once
// per maxEarlySweepGap) when writes push the usage past the budget.
func (e *payloadExporter) runSweeper() {
	defer close(e.done)
	ticker := time.NewTicker(e.cfg.SweepInterval)
	defer ticker.Stop()
	last := e.sweep()
	for {
		select {
		case <-e.stop:
			return
		case <-ticker.C:
			last = e.sweep()
		case <-e.trigger:
			if time.Since(last) >= e.earlySweepGap {
				last = e.sweep()
			}
		}
	}
}

func (e *payloadExporter) sweep() time.Time {
	start := time.Now()
	res, err := e.store.Sweep(start, e.policy)
	ctx := context.Background()
	if res.RemovedByAge > 0 {
		e.tb.ExporterPayloadcaptureCapturesSwept.Add(ctx, int64(res.RemovedByAge), metric.WithAttributes(attribute.String("reason", "age")))
	}
	if res.RemovedBySize > 0 {
		e.tb.ExporterPayloadcaptureCapturesSwept.Add(ctx, int64(res.RemovedBySize), metric.WithAttributes(attribute.String("reason", "size")))
	}
	if res.BytesRemoved > 0 {
		e.tb.ExporterPayloadcaptureBytesSwept.Add(ctx, res.BytesRemoved)
	}
	e.stats.swept(res, start, time.Since(start), err)
	if err != nil {
		e.logger.Warn("Payload capture sweep incomplete", zap.Error(err), zap.Int("errors", res.Errors))
	}
	if res.RemovedByAge+res.RemovedBySize+res.TempsRemoved > 0 {
		e.logger.Info("Payload captures swept",
			zap.Int("removed_by_age", res.RemovedByAge), zap.Int("removed_by_size", res.RemovedBySize),
			zap.Int64("bytes_removed", res.BytesRemoved), zap.Int("stale_temporary_folders", res.TempsRemoved),
			zap.Int("captures", res.Captures), zap.Int64("bytes", res.Bytes), zap.Duration("took", time.Since(start)))
	}
	return time.Now()
}
