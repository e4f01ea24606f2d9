package ratelimitprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/redistest"

	"github.com/redline-otel/redline/internal/cputime"
)

// benchLogs is a request of n records from 4 services, 5 methods and the
// sender 10.1.2.3: the shape of a gateway's traffic.
func benchLogs(n int) plog.Logs {
	rs := make([]rec, n)
	for i := range rs {
		rs[i] = rec{service: fmt.Sprintf("svc-%d", i%4), method: fmt.Sprintf("Method%d", i%5)}
	}
	return makeLogs(rs)
}

func benchLimits(rate float64, burst int64) []LimitConfig {
	return []LimitConfig{
		{Name: "global", Rate: rate, Burst: burst},
		{Name: "per_service", Rate: rate, Burst: burst, Key: []KeyPart{{"service.name"}}},
		{Name: "per_method", Rate: rate, Burst: burst, Key: []KeyPart{{"service.name"}, {"rpc.method", "method"}}},
		{Name: "per_peer", Rate: rate, Burst: burst, Key: []KeyPart{{"client.address", PeerSource}}},
	}
}

func newBenchProcessor(b *testing.B, cfg *Config) *rlProcessor {
	b.Helper()
	r, err := newRateLimiter(cfg, newNopSettings())
	require.NoError(b, err)
	b.Cleanup(func() { _ = r.close(context.Background()) })
	return &rlProcessor{r: r, exempt: newExemption(cfg.Exempt), bytes: cfg.Unit == UnitBytes}
}

// BenchmarkLocal measures the hot path of the local backend with the four
// granularities at once; ns/record is the figure the issue bounds.
func BenchmarkLocal(b *testing.B) {
	for _, tc := range []struct {
		name  string
		rate  float64
		burst int64
	}{
		{name: "admit", rate: 1e12, burst: 1e12},
		{name: "deny", rate: 1e-9, burst: 1},
	} {
		for _, n := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("%s/%d-records", tc.name, n), func(b *testing.B) {
				p := newBenchProcessor(b, testConfig(nil, benchLimits(tc.rate, tc.burst)...))
				ld := benchLogs(n)
				ctx := withPeer(context.Background(), "10.1.2.3")
				// Create the keys (and, for deny, spend the burst) on a copy:
				// a partly dropped request is modified. Steady state from here.
				_, _ = p.processLogs(ctx, benchLogs(n))
				b.ReportAllocs()
				cpu := time.Duration(cputime.Process())
				for b.Loop() {
					_, _ = p.processLogs(ctx, ld)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
				// CPU time is what the record costs; wall time on a shared
				// machine also counts the time other processes ran.
				b.ReportMetric(float64((time.Duration(cputime.Process())-cpu).Nanoseconds())/float64(b.N*n), "cpu-ns/record")
			})
		}
	}
}

// BenchmarkRedis measures one processor against a real redis-server with
// batches of 100 records; records/s is the figure the issue bounds.
func BenchmarkRedis(b *testing.B) {
	srv := redistest.Start(b)
	cfg := testConfig(func(c *Config) {
		c.Backend = BackendRedis
		c.Redis.Endpoint = srv.Addr
		c.Redis.Timeout = time.Second
	}, benchLimits(1e9, 1e9)...)
	p := newBenchProcessor(b, cfg)
	ld := benchLogs(100)
	ctx := withPeer(context.Background(), "10.1.2.3")
	_, err := p.processLogs(ctx, ld)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.processLogs(ctx, ld); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "records/s")
	require.Zero(b, p.r.stats.backendErrors.Load())
}
