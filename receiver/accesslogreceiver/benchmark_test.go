package accesslogreceiver

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
)

// writeSeedShapes writes n lines cycling through the three seed shapes
// (testdata/golden), each with a distinct request_id.
func writeSeedShapes(b *testing.B, path string, n int) int64 {
	b.Helper()
	var shapes []string
	for _, name := range []string{"aster-2026-04-06", "astrocyte-access", "access-2026-05-08"} {
		data, err := os.ReadFile(filepath.Join("testdata", "golden", name+".jsonl"))
		require.NoError(b, err)
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			shapes = append(shapes, l)
		}
	}
	f, err := os.Create(path)
	require.NoError(b, err)
	w := bufio.NewWriterSize(f, 1<<20)
	var size int64
	for i := range n {
		l := shapes[i%len(shapes)]
		// A distinct value per line so nothing is accidentally shared.
		l = strings.Replace(l, `"request_id":"`, fmt.Sprintf(`"request_id":"%08d-`, i), 1)
		k, err := w.WriteString(l + "\n")
		require.NoError(b, err)
		size += int64(k)
	}
	require.NoError(b, w.Flush())
	require.NoError(b, f.Close())
	return size
}

// BenchmarkFileToConsumer reads a file of 1,000,000 seed-shaped lines from
// disk into a counting consumer, through the factory-built receiver.
func BenchmarkFileToConsumer(b *testing.B) {
	const lines = 1_000_000
	path := filepath.Join(b.TempDir(), "access.jsonl")
	size := writeSeedShapes(b, path, lines)
	b.SetBytes(size)
	b.ReportAllocs()
	var elapsed time.Duration
	var allocated, mallocs uint64
	var cpu int64
	for b.Loop() {
		var count atomic.Int64
		done := make(chan struct{})
		next, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
			if count.Add(int64(ld.LogRecordCount())) == lines {
				close(done)
			}
			return nil
		})
		require.NoError(b, err)
		cfg := createDefaultConfig().(*Config)
		cfg.Include = []string{path}
		cfg.StartAt = StartAtBeginning
		rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, next)
		require.NoError(b, err)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		cpuStart := processCPUTime()
		require.NoError(b, rcv.Start(context.Background(), componenttest.NewNopHost()))
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatalf("only %d of %d lines after 5 minutes", count.Load(), lines)
		}
		elapsed += time.Since(start)
		cpu += processCPUTime() - cpuStart
		runtime.ReadMemStats(&after)
		allocated += after.TotalAlloc - before.TotalAlloc
		mallocs += after.Mallocs - before.Mallocs
		require.NoError(b, rcv.Shutdown(context.Background()))
	}
	runs := float64(b.N)
	b.ReportMetric(lines*runs/elapsed.Seconds(), "lines/s")
	b.ReportMetric(float64(allocated)/(lines*runs), "B/line")
	// CPU time of the process (both cores, GC included) per line: steadier
	// than lines/s while other jobs share the machine.
	if cpu > 0 {
		b.ReportMetric(float64(cpu)/(lines*runs), "cpu-ns/line")
	}
	// allocs/op also counts writing the file; this is the receiver's share.
	b.ReportMetric(float64(mallocs)/(lines*runs), "allocs/line")
}
