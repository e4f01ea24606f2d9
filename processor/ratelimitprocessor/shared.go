package ratelimitprocessor // import "github.com/redline-otel/redline/processor/ratelimitprocessor"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/limiter"
	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/metadata"
)

// backendBucket is the bucket label of records denied because Redis failed
// and on_backend_error is deny.
const backendBucket = "backend"

// rateLimiter is the state one Config shares across its logs, traces and
// metrics processors: the buckets, the backend and the counters.
type rateLimiter struct {
	cfg    *Config
	logger *zap.Logger
	id     component.ID
	tb     *metadata.TelemetryBuilder

	keys    []keySpec
	decider limiter.Decider
	// locals are the in-process buckets to sweep and report: the local
	// backend, or Redis's local fallback.
	local    *limiter.Local
	failover *limiter.Failover
	client   *redis.Client

	// deniedAttrs holds, per bucket and one for backendBucket, the options
	// of the denied counter, kept as slices so that Add does not allocate.
	deniedAttrs [][]metric.AddOption
	stats       counters
	scratch     sync.Pool

	// refs counts the processors created on r (guarded by the factory's
	// lock): the last one to shut down closes r.
	refs int

	mu         sync.Mutex
	started    bool
	closed     bool
	stop       chan struct{}
	done       chan struct{}
	unregister func()
}

// counters back the snapshot and the Prometheus view.
type counters struct {
	admitted      atomic.Int64
	exempt        atomic.Int64
	denied        []atomic.Int64 // per bucket, last one for backendBucket
	backendErrors atomic.Int64
}

func newRateLimiter(cfg *Config, set processor.Settings) (*rateLimiter, error) {
	buckets := make([]limiter.Bucket, len(cfg.Limits))
	keys := make([]keySpec, len(cfg.Limits))
	for i, l := range cfg.Limits {
		overflow := limiter.OverflowShare
		if l.Overflow == OverflowDeny {
			overflow = limiter.OverflowDeny
		}
		buckets[i] = limiter.Bucket{
			Name: l.Name, Rate: l.Rate, Burst: l.Burst, Keyed: len(l.Key) > 0,
			MaxKeys: l.MaxKeys, Overflow: overflow, IdleTimeout: l.IdleTimeout,
		}
		keys[i] = newKeySpec(l)
	}
	r := &rateLimiter{cfg: cfg, logger: set.Logger, id: set.ID, keys: keys}
	r.stats.denied = make([]atomic.Int64, len(buckets)+1)
	for _, l := range cfg.Limits {
		r.deniedAttrs = append(r.deniedAttrs, []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("bucket", l.Name)))})
	}
	r.deniedAttrs = append(r.deniedAttrs, []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("bucket", backendBucket)))})

	now := time.Now()
	switch cfg.Backend {
	case BackendLocal:
		local, err := limiter.NewLocal(buckets, now)
		if err != nil {
			return nil, err
		}
		r.local, r.decider = local, local
	case BackendRedis:
		tlsCfg, err := cfg.Redis.TLS.LoadTLSConfig(context.Background())
		if err != nil {
			return nil, fmt.Errorf("'redis.tls': %w", err)
		}
		r.client = redis.NewClient(&redis.Options{
			TLSConfig:    tlsCfg,
			Addr:         cfg.Redis.Endpoint,
			Username:     cfg.Redis.Username,
			Password:     string(cfg.Redis.Password),
			DB:           cfg.Redis.DB,
			DialTimeout:  cfg.Redis.Timeout,
			ReadTimeout:  cfg.Redis.Timeout,
			WriteTimeout: cfg.Redis.Timeout,
			PoolSize:     cfg.Redis.PoolSize,
			// The script takes tokens: a retry after a lost reply could take
			// them twice. A failed call goes to the fallback instead.
			MaxRetries: -1,
			// One dial per call: the probe interval paces reconnection.
			DialerRetries: 1,
		})
		routeRedisLogs(set.Logger)
		shared, err := limiter.NewRedis(r.client, cfg.Redis.KeyPrefix, buckets)
		if err != nil {
			_ = r.client.Close()
			return nil, err
		}
		policy := limiter.FallbackAllow
		switch cfg.OnBackendError {
		case OnBackendErrorLocal:
			policy = limiter.FallbackLocal
			// Each replica takes its share of the shared rate; the burst is
			// kept so that a request that fits the shared bucket still fits.
			scaled := make([]limiter.Bucket, len(buckets))
			for i, b := range buckets {
				b.Rate /= float64(cfg.ExpectedReplicas)
				scaled[i] = b
			}
			if r.local, err = limiter.NewLocal(scaled, now); err != nil {
				_ = r.client.Close()
				return nil, err
			}
		case OnBackendErrorDeny:
			policy = limiter.FallbackDeny
		case OnBackendErrorAllow:
		}
		var fallback limiter.Decider
		if r.local != nil {
			fallback = r.local
		}
		r.failover = limiter.NewFailover(shared, fallback, policy, cfg.Redis.ProbeInterval, r.onFallbackChange)
		r.decider = r.failover
	default:
		return nil, fmt.Errorf("unknown backend %q", cfg.Backend)
	}

	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err == nil {
		err = tb.RegisterProcessorRatelimitFallbackActiveCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(r.fallbackActive())
			return nil
		})
		if err != nil {
			tb.Shutdown()
		}
	}
	if err != nil {
		if r.client != nil {
			_ = r.client.Close()
		}
		return nil, fmt.Errorf("create telemetry: %w", err)
	}
	r.tb = tb
	r.scratch.New = func() any { return newScratch(len(buckets)) }
	return r, nil
}

// redisLogOnce routes go-redis's own messages (it logs dial failures to
// stderr through a process-wide logger) to the collector's logger at debug
// level: the processor already reports outages once per transition.
var redisLogOnce sync.Once

func routeRedisLogs(logger *zap.Logger) {
	redisLogOnce.Do(func() { redis.SetLogger(zapRedisLogger{logger.Named("go-redis")}) })
}

type zapRedisLogger struct{ l *zap.Logger }

func (z zapRedisLogger) Printf(_ context.Context, format string, v ...any) {
	if ce := z.l.Check(zap.DebugLevel, ""); ce != nil {
		ce.Message = fmt.Sprintf(format, v...)
		ce.Write()
	}
}

func (r *rateLimiter) onFallbackChange(active bool, err error) {
	if active {
		r.logger.Warn("rate-limit backend unavailable; applying on_backend_error until it answers again",
			zap.String("on_backend_error", string(r.cfg.OnBackendError)),
			zap.String("endpoint", r.cfg.Redis.Endpoint), zap.Error(err))
		return
	}
	r.logger.Info("rate-limit backend answers again; shared limits restored", zap.String("endpoint", r.cfg.Redis.Endpoint))
}

func (r *rateLimiter) fallbackActive() int64 {
	if r.failover != nil && r.failover.Active() {
		return 1
	}
	return 0
}

// start runs once for all signals: the sweeper, the snapshot registration
// and a first look at Redis. Later calls (the other signals) do nothing.
func (r *rateLimiter) start(ctx context.Context, host component.Host) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.closed {
		return nil
	}
	r.started = true
	r.unregister = snapshot.RegisterWithHost(host, snapshot.Name(component.KindProcessor, r.id), r)
	if r.local != nil {
		r.stop, r.done = make(chan struct{}), make(chan struct{})
		go r.sweep(r.local, r.stop, r.done)
	}
	if r.client != nil {
		pingCtx, cancel := context.WithTimeout(ctx, r.cfg.Redis.Timeout)
		defer cancel()
		if err := r.client.Ping(pingCtx).Err(); err != nil {
			// Not fatal: batches use on_backend_error until Redis answers.
			r.logger.Warn("rate-limit backend does not answer at start", zap.String("endpoint", r.cfg.Redis.Endpoint), zap.Error(err))
		}
	}
	return nil
}

// close releases everything newRateLimiter and start acquired, started or
// not. The factory calls it once the last processor using r shuts down.
func (r *rateLimiter) close(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	var errs error
	if r.stop != nil {
		close(r.stop)
		select {
		case <-r.done:
		case <-ctx.Done():
			errs = errors.Join(errs, ctx.Err())
		}
		r.stop = nil
	}
	if r.unregister != nil {
		r.unregister()
		r.unregister = nil
	}
	if r.client != nil {
		if err := r.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			errs = errors.Join(errs, err)
		}
	}
	r.tb.Shutdown()
	return errs
}

// sweep forgets idle keys often enough that a key outlives its idle
// timeout by at most half of it.
func (r *rateLimiter) sweep(local *limiter.Local, stop, done chan struct{}) {
	defer close(done)
	interval := time.Minute
	for _, l := range r.cfg.Limits {
		if len(l.Key) > 0 {
			interval = min(interval, l.IdleTimeout/2)
		}
	}
	interval = max(interval, 100*time.Millisecond)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			local.Sweep(now)
		}
	}
}
