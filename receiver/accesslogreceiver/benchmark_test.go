package accesslogreceiver

import (
	"bufio"
	"context"
	"fmt"
	"hash/maphash"
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
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/tail"

	"github.com/redline-otel/redline/internal/cputime"
)

// writeSeedShapes writes n lines cycling through the lines of the three
// golden JSONL files in testdata/golden (RPC events with a logger and a peer,
// a JSON object inside the msg string, access entries with nested extra and
// headers), each with a distinct request_id.
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

// BenchmarkFileToConsumer reads a file of 1,000,000 golden-shaped lines from
// disk into a counting consumer, through the factory-built receiver.
func BenchmarkFileToConsumer(b *testing.B) {
	benchmarkFileToConsumer(b, func(plog.Logs) {})
}

// BenchmarkFileToBusyConsumer is BenchmarkFileToConsumer with a consumer that
// spends CPU on every record (about 3 µs a line here, like a real pipeline of
// processors), which is where reading overlapping delivery shows.
func BenchmarkFileToBusyConsumer(b *testing.B) {
	var sink atomic.Uint64
	busy := func(ld plog.Logs) { sink.Add(hashLogs(ld, busyPasses)) }
	b.Run("pipelined", func(b *testing.B) { benchmarkFileToConsumer(b, busy) })
}

// busyPasses makes hashLogs cost about 3 µs per golden-shaped line here.
const busyPasses = 15

// hashLogs walks every record's attributes and body passes times, hashing
// keys and values: CPU work proportional to the records' content.
func hashLogs(ld plog.Logs, passes int) uint64 {
	var h maphash.Hash
	h.SetSeed(busySeed)
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			recs := sls.At(j).LogRecords()
			for k := range recs.Len() {
				lr := recs.At(k)
				for range passes {
					hashValue(&h, lr.Body())
					lr.Attributes().Range(func(key string, v pcommon.Value) bool {
						h.WriteString(key)
						hashValue(&h, v)
						return true
					})
				}
			}
		}
	}
	return h.Sum64()
}

var busySeed = maphash.MakeSeed()

func hashValue(h *maphash.Hash, v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		h.WriteString(v.Str())
	case pcommon.ValueTypeInt:
		maphash.WriteComparable(h, v.Int())
	case pcommon.ValueTypeDouble:
		maphash.WriteComparable(h, v.Double())
	case pcommon.ValueTypeBool:
		maphash.WriteComparable(h, v.Bool())
	case pcommon.ValueTypeMap:
		v.Map().Range(func(key string, v pcommon.Value) bool {
			h.WriteString(key)
			hashValue(h, v)
			return true
		})
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := range s.Len() {
			hashValue(h, s.At(i))
		}
	default:
		h.WriteString(v.AsString())
	}
}

// BenchmarkBusyConsumerWork is the busy consumer's own cost, to calibrate
// busyPasses: ns/op is per line.
func BenchmarkBusyConsumerWork(b *testing.B) {
	path := filepath.Join(b.TempDir(), "access.jsonl")
	writeSeedShapes(b, path, 1000)
	data, err := os.ReadFile(path)
	require.NoError(b, err)
	r, err := newAccessLogReceiver(receivertest.NewNopSettings(metadata.Type), testConfig(path), &lineSink{})
	require.NoError(b, err)
	var batch tail.Batch
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		start := len(batch.Data)
		batch.Data = append(batch.Data, l...)
		batch.Lines = append(batch.Lines, tail.Line{Start: start, End: len(batch.Data), Offset: int64(i)})
	}
	ld, _ := r.buildLogs(&batch)
	n := ld.LogRecordCount()
	b.ReportAllocs()
	var s uint64
	for b.Loop() {
		s += hashLogs(ld, busyPasses)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/line")
	_ = s
}

func benchmarkFileToConsumer(b *testing.B, work func(plog.Logs)) {
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
			work(ld)
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
		cpuStart := cputime.Process()
		require.NoError(b, rcv.Start(context.Background(), componenttest.NewNopHost()))
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatalf("only %d of %d lines after 5 minutes", count.Load(), lines)
		}
		elapsed += time.Since(start)
		cpu += cputime.Process() - cpuStart
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

// BenchmarkBuildLogs turns a batch of 1,000 golden-shaped lines into plog.Logs
// with the file attributes of config/collector.yaml. "stamped" then adds one
// attribute to every record, as the redmetrics processor does (status_class)
// downstream in the default pipeline: the B/line it adds is what the record's
// attribute slice costs when it has no room left for it.
func BenchmarkBuildLogs(b *testing.B) {
	path := filepath.Join(b.TempDir(), "access.jsonl")
	writeSeedShapes(b, path, 1000)
	data, err := os.ReadFile(path)
	require.NoError(b, err)
	var batch tail.Batch
	batch.Path = path
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		start := len(batch.Data)
		batch.Data = append(batch.Data, l...)
		batch.Lines = append(batch.Lines, tail.Line{Start: start, End: len(batch.Data), Offset: int64(i)})
	}
	for _, stamp := range []bool{false, true} {
		name := "parsed"
		if stamp {
			name = "stamped"
		}
		b.Run(name, func(b *testing.B) {
			cfg := testConfig(path)
			cfg.IncludeFileName, cfg.IncludeFilePath, cfg.IncludeFileOffset = true, true, true
			r, err := newAccessLogReceiver(receivertest.NewNopSettings(metadata.Type), cfg, &lineSink{})
			require.NoError(b, err)
			b.ReportAllocs()
			cpuStart := cputime.Process()
			for b.Loop() {
				ld, _ := r.buildLogs(&batch)
				if stamp {
					stampAll(ld)
				}
			}
			lines := float64(b.N * len(batch.Lines))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/lines, "ns/line")
			if cpu := cputime.Process() - cpuStart; cpu > 0 {
				b.ReportMetric(float64(cpu)/lines, "cpu-ns/line")
			}
		})
	}
}

func stampAll(ld plog.Logs) {
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			recs := sls.At(j).LogRecords()
			for k := range recs.Len() {
				recs.At(k).Attributes().PutStr("status_class", "2xx")
			}
		}
	}
}
