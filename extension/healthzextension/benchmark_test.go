package healthzextension

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
)

// BenchmarkHealthzHandler is the /healthz handler without network: bare,
// and wrapped in the confighttp middleware (otelhttp, client info) as
// Start serves it.
func BenchmarkHealthzHandler(b *testing.B) {
	ext := newTestExtension(b, nil)
	require.NoError(b, ext.Start(b.Context(), &testHost{}))
	b.Cleanup(func() { _ = ext.Shutdown(context.Background()) })
	for _, tc := range []struct {
		name    string
		handler http.Handler
	}{{"bare", ext.endpointsHandler()}, {"confighttp", ext.serverHandler()}} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/healthz", http.NoBody)
			w := &discard{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				tc.handler.ServeHTTP(w, req)
			}
		})
	}
}

type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// generatorReceiver pushes 100,000 log records/s (a batch of 500 every
// 5 ms) through the pipeline, so the collector is busy while /healthz is
// probed. Unthrottled, it would measure CPU starvation, not the extension.
type generatorReceiver struct {
	next    consumer.Logs
	records atomic.Int64
	stop    chan struct{}
	done    sync.WaitGroup
}

func (g *generatorReceiver) Start(context.Context, component.Host) error {
	g.stop = make(chan struct{})
	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	for i := range 500 {
		lr := sl.LogRecords().AppendEmpty()
		lr.Body().SetStr(`127.0.0.1 - - [22/Nov/2026:01:00:00 +0000] "GET /api/orders HTTP/1.1" 200 512`)
		lr.Attributes().PutInt("seq", int64(i))
	}
	g.done.Add(1)
	go func() {
		defer g.done.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-g.stop:
				return
			case <-tick.C:
			}
			batch := plog.NewLogs()
			ld.CopyTo(batch)
			if err := g.next.ConsumeLogs(context.Background(), batch); err == nil {
				g.records.Add(int64(batch.LogRecordCount()))
			}
		}
	}()
	return nil
}

func (g *generatorReceiver) Shutdown(context.Context) error {
	if g.stop != nil {
		close(g.stop)
		g.done.Wait()
	}
	return nil
}

// BenchmarkHealthzLoopback probes /healthz over loopback at a fixed
// 1,000 requests/s (open loop: a slow answer does not delay the next
// request) and reports latency percentiles, once against an idle collector
// and once while the collector pushes logs through a pipeline. Target:
// p99 under 1 ms. Run with -benchtime=3000x for a 3-second sample.
func BenchmarkHealthzLoopback(b *testing.B) {
	for _, tc := range []struct {
		name string
		busy bool
	}{{"idle-collector", false}, {"processing-logs", true}} {
		b.Run(tc.name, func(b *testing.B) {
			gen := &generatorReceiver{}
			var factory receiver.Factory
			if tc.busy {
				factory = receiver.NewFactory(component.MustNewType("generator"), func() component.Config { return &struct{}{} },
					receiver.WithLogs(func(_ context.Context, _ receiver.Settings, _ component.Config, next consumer.Logs) (receiver.Logs, error) {
						gen.next = next
						return gen, nil
					}, component.StabilityLevelAlpha))
			} else {
				factory = receiver.NewFactory(component.MustNewType("idle"), func() component.Config { return &struct{}{} },
					receiver.WithLogs(func(context.Context, receiver.Settings, component.Config, consumer.Logs) (receiver.Logs, error) {
						return idleReceiver{}, nil
					}, component.StabilityLevelAlpha))
			}
			col, addr, _ := startCollector(b, factory, 0)
			b.Cleanup(col.Shutdown)
			url := "http://" + addr + "/healthz"
			require.Eventually(b, func() bool {
				code, _, err := tryGet(b, "http://"+addr+"/readyz")
				return err == nil && code == 200
			}, 20*time.Second, 20*time.Millisecond)

			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 5 * time.Second}
			probe := func() (time.Duration, bool) {
				start := time.Now()
				res, err := client.Get(url)
				if err != nil {
					return 0, false
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				return time.Since(start), res.StatusCode == http.StatusOK
			}
			for range 50 { // warm the connection pool
				probe()
			}

			latencies := make([]time.Duration, 0, b.N)
			var mu sync.Mutex
			var failures atomic.Int64
			var wg sync.WaitGroup
			recordsBefore := gen.records.Load()
			ticker := time.NewTicker(time.Millisecond)
			defer ticker.Stop()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				<-ticker.C
				wg.Add(1)
				go func() {
					defer wg.Done()
					d, ok := probe()
					if !ok {
						failures.Add(1)
						return
					}
					mu.Lock()
					latencies = append(latencies, d)
					mu.Unlock()
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()

			require.Zero(b, failures.Load(), "failed probes")
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds())
			}
			b.ReportMetric(pct(0.50), "p50-µs")
			b.ReportMetric(pct(0.99), "p99-µs")
			b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds()), "max-µs")
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			if tc.busy {
				b.ReportMetric(float64(gen.records.Load()-recordsBefore)/elapsed.Seconds(), "log-records/s")
			}
		})
	}
}

type idleReceiver struct {
	component.StartFunc
	component.ShutdownFunc
}
