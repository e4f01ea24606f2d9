package ratelimitprocessor

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/redistest"
)

func redisConfig(endpoint, prefix string, mut func(*Config), limits ...LimitConfig) *Config {
	return testConfig(func(c *Config) {
		c.Backend = BackendRedis
		c.Redis.Endpoint = endpoint
		c.Redis.KeyPrefix = prefix
		if mut != nil {
			mut(c)
		}
	}, limits...)
}

type logsUnderTest struct {
	p    processor.Logs
	sink *consumertest.LogsSink
	r    *rateLimiter
}

// startLogs builds a logs processor from its own factory, as a separate
// collector replica would.
func startLogs(t *testing.T, cfg *Config, logger *zap.Logger) logsUnderTest {
	t.Helper()
	f := &factory{limiters: map[*Config]*rateLimiter{}}
	set := processortest.NewNopSettings(metadata.Type)
	if logger != nil {
		set.Logger = logger
	}
	sink := new(consumertest.LogsSink)
	p, err := f.createLogs(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, p.Shutdown(context.Background())) })
	return logsUnderTest{p: p, sink: sink, r: f.limiters[cfg]}
}

func TestRedisTwoReplicasShareTheGlobalRate(t *testing.T) {
	srv := redistest.Start(t)
	const rate, burst = 500, 50
	const run = 10 * time.Second
	var replicas [2]logsUnderTest
	for i := range replicas {
		replicas[i] = startLogs(t, redisConfig(srv.Addr, t.Name()+":", nil, LimitConfig{Name: "global", Rate: rate, Burst: burst}), nil)
	}

	// Each replica is offered 2,000 records/s, eight times what the two
	// together may admit.
	start := time.Now()
	var wg sync.WaitGroup
	for _, rep := range replicas {
		wg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for time.Since(start) < run {
				<-tick.C
				assert.NoError(t, rep.p.ConsumeLogs(context.Background(), makeLogs(repeat(20, rec{service: "a"}))))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	admitted := replicas[0].sink.LogRecordCount() + replicas[1].sink.LogRecordCount()
	want := rate*elapsed.Seconds() + burst
	t.Logf("admitted %d in %s (replica 1: %d, replica 2: %d), want %.0f", admitted, elapsed,
		replicas[0].sink.LogRecordCount(), replicas[1].sink.LogRecordCount(), want)
	assert.InEpsilon(t, want, float64(admitted), 0.10)
	for _, rep := range replicas {
		assert.Positive(t, rep.sink.LogRecordCount(), "both replicas get a share")
		assert.Zero(t, rep.r.stats.backendErrors.Load())
	}
}

// TestRedisRefuseAboveBurst: with shared buckets, as with local ones, a
// request larger than the burst passes a full bucket and leaves it in debt,
// and the next request's RetryInfo waits out the debt.
func TestRedisRefuseAboveBurst(t *testing.T) {
	srv := redistest.Start(t)
	cfg := redisConfig(srv.Addr, t.Name()+":", func(c *Config) { c.Action = ActionRefuse },
		LimitConfig{Name: "global", Rate: 0.5, Burst: 2})
	rep := startLogs(t, cfg, nil)
	require.NoError(t, rep.p.ConsumeLogs(t.Context(), makeLogs(repeat(5, rec{service: "a"}))))
	assert.Equal(t, 5, rep.sink.LogRecordCount())
	// The bucket owes 3: another 5 need it full again (5 tokens, 10 s), one
	// record needs 4 tokens (8 s). Whole seconds, rounded up.
	assert.Equal(t, 10*time.Second, retryDelay(t, rep.p.ConsumeLogs(t.Context(), makeLogs(repeat(5, rec{service: "a"})))))
	assert.Equal(t, 8*time.Second, retryDelay(t, rep.p.ConsumeLogs(t.Context(), makeLogs(repeat(1, rec{service: "a"})))))
	assert.Equal(t, 5, rep.sink.LogRecordCount())
	assert.Zero(t, rep.r.stats.backendErrors.Load())
}

func TestRedisOutageFallsBackAndRecovers(t *testing.T) {
	srv := redistest.Start(t)
	core, logs := observer.New(zapcore.InfoLevel)
	const probe = 200 * time.Millisecond
	cfg := redisConfig(srv.Addr, t.Name()+":", func(c *Config) {
		c.Redis.ProbeInterval = probe
		c.Redis.Timeout = 100 * time.Millisecond
		c.ExpectedReplicas = 2
	}, LimitConfig{Name: "global", Rate: 1000, Burst: 100})
	rep := startLogs(t, cfg, zap.New(core))

	send := func(d time.Duration) {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			require.NoError(t, rep.p.ConsumeLogs(context.Background(), makeLogs(repeat(10, rec{service: "a"}))))
			time.Sleep(5 * time.Millisecond)
		}
	}

	send(300 * time.Millisecond)
	require.Zero(t, rep.r.stats.backendErrors.Load())
	require.Zero(t, rep.r.fallbackActive())

	srv.Stop()
	const outage = 1500 * time.Millisecond
	before := rep.sink.LogRecordCount()
	send(outage)
	assert.Equal(t, int64(1), rep.r.fallbackActive())
	// One failed call starts the fallback, then one probe per interval:
	// no burst of errors, whatever the number of batches.
	errs := rep.r.stats.backendErrors.Load()
	assert.GreaterOrEqual(t, errs, int64(1))
	assert.LessOrEqual(t, errs, int64(outage/probe)+2)
	// The local fallback keeps limiting, at rate/expected_replicas.
	passed := rep.sink.LogRecordCount() - before
	assert.Positive(t, passed)
	assert.LessOrEqual(t, float64(passed), 500*outage.Seconds()*1.1+100)

	srv.Restart()
	require.Eventually(t, func() bool {
		_ = rep.p.ConsumeLogs(context.Background(), makeLogs(repeat(1, rec{service: "a"})))
		return rep.r.fallbackActive() == 0
	}, 5*time.Second, 20*time.Millisecond)
	errs = rep.r.stats.backendErrors.Load()
	send(300 * time.Millisecond)
	assert.Equal(t, errs, rep.r.stats.backendErrors.Load(), "no errors once recovered")

	assert.Equal(t, 1, logs.FilterMessageSnippet("backend unavailable").Len(), "one warning per outage")
	assert.Equal(t, 1, logs.FilterMessageSnippet("shared limits restored").Len(), "one info per recovery")
}

func TestRedisUnreachablePolicies(t *testing.T) {
	// No server at all: every policy must answer without blocking.
	for _, tc := range []struct {
		policy     OnBackendError
		action     Action
		wantPassed int
		wantCode   codes.Code
	}{
		{policy: OnBackendErrorAllow, action: ActionDrop, wantPassed: 5},
		{policy: OnBackendErrorDeny, action: ActionDrop, wantPassed: 0},
		{policy: OnBackendErrorDeny, action: ActionRefuse, wantPassed: 0, wantCode: codes.ResourceExhausted},
		{policy: OnBackendErrorLocal, action: ActionDrop, wantPassed: 3},
	} {
		t.Run(string(tc.policy)+"/"+string(tc.action), func(t *testing.T) {
			cfg := redisConfig(freeAddr(t), "x:", func(c *Config) {
				c.OnBackendError = tc.policy
				c.Action = tc.action
				c.Redis.Timeout = 50 * time.Millisecond
			}, LimitConfig{Name: "global", Rate: slow, Burst: 3})
			rep := startLogs(t, cfg, nil)
			err := rep.p.ConsumeLogs(t.Context(), makeLogs(repeat(5, rec{service: "a"})))
			if tc.wantCode == codes.OK {
				require.NoError(t, err)
			} else {
				st, ok := status.FromError(err)
				require.True(t, ok)
				assert.Equal(t, tc.wantCode, st.Code())
				assert.True(t, strings.Contains(st.Message(), `"backend"`), st.Message())
			}
			assert.Equal(t, tc.wantPassed, rep.sink.LogRecordCount())
			assert.Equal(t, int64(1), rep.r.stats.backendErrors.Load())
			if tc.policy == OnBackendErrorDeny {
				assert.Equal(t, int64(5), rep.r.stats.denied[len(cfg.Limits)].Load())
			}
		})
	}
}

func TestRedisTLSConfigErrorsAtCreate(t *testing.T) {
	cfg := redisConfig("127.0.0.1:6379", "x:", func(c *Config) {
		c.Redis.TLS.Insecure = false
		c.Redis.TLS.CAFile = filepath.Join(t.TempDir(), "missing-ca.pem")
	}, LimitConfig{Name: "global", Rate: 1, Burst: 1})
	_, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	assert.ErrorContains(t, err, "'redis.tls'")
}
