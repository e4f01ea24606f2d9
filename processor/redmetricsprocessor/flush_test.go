package redmetricsprocessor

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The flush copies the series under the lock and builds the metrics after
// releasing it: records that arrive in between must not leak into the
// flush being built, and must show in the next one.
func TestConnectorFlushCopyIsolatedFromLaterRecords(t *testing.T) {
	clock := newFakeClock()
	c, err := newRedConnector(goldenConfig(), componenttest.NewNopTelemetrySettings(), new(consumertest.MetricsSink), clock.Now)
	require.NoError(t, err)
	e := c.engine
	e.consumeLogs(mixLogs(), false)
	want := func() map[string]point {
		// What a flush at this moment reports, from a separate connector fed the same input.
		ref, err := newRedConnector(goldenConfig(), componenttest.NewNopTelemetrySettings(), new(consumertest.MetricsSink), clock.Now)
		require.NoError(t, err)
		ref.engine.consumeLogs(mixLogs(), false)
		var buf flushBuffer
		ref.engine.mu.Lock()
		ref.engine.flushLocked(clock.Now().UnixNano(), &buf)
		ref.engine.mu.Unlock()
		md := pmetric.NewMetrics()
		ref.engine.buildMetrics(&buf, clock.Now().UnixNano(), md)
		return collect(t, md)
	}()

	var buf flushBuffer
	e.mu.Lock()
	e.flushLocked(clock.Now().UnixNano(), &buf)
	e.mu.Unlock()
	e.consumeLogs(mixLogs(), false) // arrives while the flush is being built
	md := pmetric.NewMetrics()
	e.buildMetrics(&buf, clock.Now().UnixNano(), md)
	assert.Equal(t, want, collect(t, md))

	// The next flush (cumulative) has both batches, reusing the buffer.
	e.mu.Lock()
	e.flushLocked(clock.Now().UnixNano(), &buf)
	e.mu.Unlock()
	md = pmetric.NewMetrics()
	e.buildMetrics(&buf, clock.Now().UnixNano(), md)
	got := collect(t, md)
	require.Len(t, got, len(want))
	for k, w := range want {
		g := got[k]
		assert.Equal(t, 2*w.count, g.count, k)
		assert.Equal(t, 2*w.hist, g.hist, k)
		for i := range w.buckets {
			assert.Equal(t, 2*w.buckets[i], g.buckets[i], k)
		}
	}
}

// Flushes built outside the lock while records keep arriving (run with
// -race): the last cumulative flush counts every request sent.
func TestConnectorFlushConcurrentWithRecords(t *testing.T) {
	sink := new(consumertest.MetricsSink)
	c, err := newRedConnector(goldenConfig(), componenttest.NewNopTelemetrySettings(), sink, time.Now)
	require.NoError(t, err)
	const writers, batches = 4, 25
	var sent atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	flusherDone := make(chan struct{})
	go func() {
		defer close(flusherDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			assert.NoError(t, c.flush(t.Context()))
			time.Sleep(time.Millisecond)
		}
	}()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range batches {
				st := c.engine.consumeLogs(mixLogs(), false)
				for _, n := range st.byClass {
					sent.Add(n)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-flusherDone
	require.NoError(t, c.flush(t.Context()))

	all := sink.AllMetrics()
	require.NotEmpty(t, all)
	var total int64
	for _, p := range collect(t, all[len(all)-1]) {
		total += p.count
	}
	assert.Equal(t, sent.Load(), total)
	assert.Equal(t, int64(writers*batches*43), total) // mixLogs holds 43 requests
}
