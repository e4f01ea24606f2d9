package accesslogreceiver

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadatatest"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/parser"
)

var update = flag.Bool("update", false, "rewrite the expected golden files")

// TestGolden reads each seed shape from disk through the factory-built
// receiver and compares the records with testdata/golden/<name>.yaml.
func TestGolden(t *testing.T) {
	for _, name := range []string{"aster-2026-04-06", "astrocyte-access", "access-2026-05-08"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			data, err := os.ReadFile(filepath.Join("testdata", "golden", name+".jsonl"))
			require.NoError(t, err)
			path := filepath.Join(dir, name+".jsonl")
			require.NoError(t, os.WriteFile(path, data, 0o600))
			wantLines := strings.Count(string(data), "\n")

			cfg := testConfig(path)
			cfg.Resource = map[string]any{"service.name": strings.SplitN(name, "-", 2)[0]}
			cfg.IncludeFileOffset = true
			sink := &lineSink{}
			rcv, err := NewFactory().CreateLogs(t.Context(), receivertestSettings(), cfg, sink)
			require.NoError(t, err)
			require.NoError(t, rcv.Start(t.Context(), componenttest.NewNopHost()))
			waitFor(t, "all lines", func() bool { return sink.count() >= wantLines })
			mustShutdown(t, rcv)

			got := plog.NewLogs()
			for _, ld := range sink.allLogs() {
				ld.ResourceLogs().MoveAndAppendTo(got.ResourceLogs())
			}
			expected := filepath.Join("testdata", "golden", name+".yaml")
			if *update {
				require.NoError(t, golden.WriteLogs(t, expected, got))
			}
			want, err := golden.ReadLogs(expected)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, got,
				plogtest.IgnoreObservedTimestamp(), plogtest.IgnoreResourceLogsOrder(),
				plogtest.IgnoreScopeLogsOrder(), plogtest.IgnoreLogRecordsOrder()))
		})
	}
}

// TestBadInputIsCountedAndNeverStops feeds every kind of bad line and checks
// each one's fate and its telemetry.
func TestBadInputIsCountedAndNeverStops(t *testing.T) {
	path := tempLog(t, "bad.jsonl")
	lines := []string{
		`{"msg":"first"}`,
		"",                         // empty
		`{"msg":"crlf"}` + "\r",    // CRLF
		"\uFEFF" + `{"msg":"bom"}`, // BOM
		"{\"msg\":\"bad \xff utf8\"}",
		`{"msg":"truncated`,
		`[1,2,3]`,
		`42`,
		"\x00\x01\x02\x03binary\xfe",
		strings.Repeat(`{"a":`, 30) + "1" + strings.Repeat("}", 30),
		`{"k":1,"k":2}`,
		`{"ts":"not a time"}`,
		`{"msg":"` + strings.Repeat("x", 10<<20) + `"}`, // 10 MiB
		`{"msg":"last"}`,
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))

	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := testConfig(path)
	cfg.IncludeFileName = false
	cfg.Format = FormatJSON // the binary line is invalid JSON, not unstructured text
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink, metadatatest.NewSettings(tel))
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "13 records", func() bool { return sink.count() >= 13 })
	mustShutdown(t, r)

	bodies := map[string]map[string]any{}
	for _, rec := range sink.records {
		b := rec.Body().AsString()
		if len(b) > 40 {
			b = b[:40]
		}
		bodies[b] = rec.Attributes().AsRaw()
	}
	assert.Contains(t, bodies, "first")
	assert.Contains(t, bodies, "crlf")
	assert.Contains(t, bodies, "bom")
	assert.Contains(t, bodies, "bad \uFFFD utf8")
	assert.Contains(t, bodies, "last")
	for _, raw := range []string{`{"msg":"truncated`, `[1,2,3]`, `42`} {
		require.Contains(t, bodies, raw)
		assert.Contains(t, bodies[raw], parser.AttrParseError, raw)
	}
	truncated := sink.attr(attrTruncated)
	assert.Equal(t, 1, strings.Count(strings.Join(truncated, ","), "true"))
	assert.Equal(t, 13, sink.count(), "every line but the empty one is a record")

	assertCounter := func(name string, want int64, attrs ...attribute.KeyValue) {
		t.Helper()
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		sum := m.Data.(metricdata.Sum[int64])
		for _, dp := range sum.DataPoints {
			if dp.Attributes.Equals(ptrSet(attrs...)) {
				assert.Equal(t, want, dp.Value, "%s %v", name, attrs)
				return
			}
		}
		t.Errorf("%s: no data point with %v", name, attrs)
	}
	assertCounter("otelcol_receiver_accesslog_lines_read", int64(len(lines)))
	assertCounter("otelcol_receiver_accesslog_records_emitted", 13)
	assertCounter("otelcol_receiver_accesslog_truncated_lines", 1)
	assertCounter("otelcol_receiver_accesslog_parse_errors", 3, attribute.String("reason", "invalid_json")) // truncated JSON, binary, 10 MiB cut
	assertCounter("otelcol_receiver_accesslog_parse_errors", 2, attribute.String("reason", "not_object"))
	assertCounter("otelcol_receiver_accesslog_records_dropped", 1, attribute.String("reason", "empty_line"))
	for anomaly, n := range map[string]int64{
		"empty": 1, "crlf": 1, "bom": 1, "invalid_utf8": 2, "invalid_json": 3, "not_object": 2,
		"depth_capped": 1, "duplicate_key": 1, "bad_timestamp": 1, "truncated": 1,
	} {
		assertCounter("otelcol_receiver_accesslog_line_anomalies", n, attribute.String("anomaly", anomaly))
	}
	st := r.stats
	assert.Equal(t, uint64(len(lines)), st.linesRead.Load())
	assert.Equal(t, uint64(5), st.parseErrors.Load())
}

func ptrSet(kvs ...attribute.KeyValue) *attribute.Set {
	s := attribute.NewSet(kvs...)
	return &s
}

func TestOnParseErrorDrop(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("not json\n{\"msg\":\"ok\"}\n"), 0o600))
	cfg := testConfig(path)
	cfg.OnParseError = OnParseErrorDrop
	cfg.Format = FormatJSON // with auto, "not json" is a text record and never dropped
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "both lines read", func() bool { return r.stats.linesRead.Load() == 2 })
	mustShutdown(t, r)
	require.Equal(t, 1, sink.count())
	assert.Equal(t, "ok", sink.records[0].Body().Str())
	assert.Equal(t, uint64(1), r.stats.recordsDropped.Load())
}

func TestFileAttributesResourceAndScopes(t *testing.T) {
	path := tempLog(t, "svc.jsonl")
	content := `{"logger":"a","msg":"1"}` + "\n" + `{"logger":"b","msg":"2"}` + "\n" + `{"logger":"a","msg":"3"}` + "\n" + `{"msg":"4"}` + "\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	cfg := testConfig(path)
	cfg.IncludeFilePath = true
	cfg.IncludeFileOffset = true
	cfg.Resource = map[string]any{"service.name": "svc", "replicas": 3}
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "4 records", func() bool { return sink.count() == 4 })
	mustShutdown(t, r)

	ld := sink.allLogs()[0]
	require.Equal(t, 1, ld.ResourceLogs().Len())
	assert.Equal(t, map[string]any{"service.name": "svc", "replicas": int64(3)}, ld.ResourceLogs().At(0).Resource().Attributes().AsRaw())
	byScope := map[string][]string{}
	sls := ld.ResourceLogs().At(0).ScopeLogs()
	for i := 0; i < sls.Len(); i++ {
		for j := 0; j < sls.At(i).LogRecords().Len(); j++ {
			byScope[sls.At(i).Scope().Name()] = append(byScope[sls.At(i).Scope().Name()], sls.At(i).LogRecords().At(j).Body().Str())
		}
	}
	assert.Equal(t, map[string][]string{"a": {"1", "3"}, "b": {"2"}, "": {"4"}}, byScope)
	assert.Equal(t, []string{"svc.jsonl", "svc.jsonl", "svc.jsonl", "svc.jsonl"}, sink.attr(attrFileName))
	assert.Equal(t, []string{path, path, path, path}, sink.attr(attrFilePath))
	offsets := sink.attr(attrFileOffset)
	assert.ElementsMatch(t, []string{"0", "25", "50", "75"}, offsets)
}

func TestLatin1(t *testing.T) {
	path := tempLog(t, "l1.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("{\"msg\":\"caf\xe9\"}\n"), 0o600))
	cfg := testConfig(path)
	cfg.Encoding = EncodingLatin1
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "record", func() bool { return sink.count() == 1 })
	mustShutdown(t, r)
	assert.Equal(t, "café", sink.records[0].Body().Str())
}

func TestNoStorageWarnsAndStartAtEnd(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 5)
	cfg := testConfig(path)
	cfg.StartAt = StartAtEnd
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "first poll", func() bool { return len(r.tailer.Files()) == 1 })
	writeLines(t, path, 5, 7)
	waitFor(t, "new lines", func() bool { return sink.count() == 2 })
	mustShutdown(t, r)
	assert.Equal(t, []int64{5, 6}, seqs(t, sink))
}

// TestRestartWithFileStorage stops a receiver, writes more (and rotates)
// while it is down, and starts a new one on the same storage.
func TestRestartWithFileStorage(t *testing.T) {
	storageDir := t.TempDir()
	logDir := t.TempDir()
	path := filepath.Join(logDir, "access.jsonl")
	writeLines(t, path, 0, 100)
	cfg := testConfig(filepath.Join(logDir, "access.jsonl*"))
	cfg.StartAt = StartAtEnd // with checkpoints, start_at no longer matters
	cfg.Storage = &fileStorageID

	run := func(act func(*accessLogReceiver), until func(*lineSink) bool) *lineSink {
		host := newTestHost()
		ext := startFileStorage(t, host, storageDir)
		sink := &lineSink{}
		r := newTestReceiver(t, cfg, sink, fixedSettings())
		require.NoError(t, r.Start(t.Context(), host))
		act(r)
		waitFor(t, "lines", func() bool { return until(sink) })
		mustShutdown(t, r)
		mustShutdown(t, ext)
		return sink
	}
	// First run: start_at end, then 50 new lines.
	first := run(func(r *accessLogReceiver) {
		waitFor(t, "first poll", func() bool { return len(r.tailer.Files()) == 1 })
		writeLines(t, path, 100, 150)
	}, func(s *lineSink) bool { return s.count() == 50 })
	assert.Equal(t, seqRange(100, 150), seqs(t, first))

	// Down: more lines, a rename rotation, lines in the new file.
	writeLines(t, path, 150, 170)
	require.NoError(t, os.Rename(path, path+".1"))
	writeLines(t, path, 170, 180)

	second := run(func(*accessLogReceiver) {}, func(s *lineSink) bool { return s.count() >= 30 })
	got := seqs(t, second)
	assert.ElementsMatch(t, seqRange(150, 180), got, "no loss, no repeat")
}

func seqRange(from, to int) []int64 {
	out := make([]int64, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, int64(i))
	}
	return out
}

// TestBackpressure: while the next consumer fails, the offset stays, the
// batch is retried with backoff, and nothing is lost or saved early.
func TestBackpressure(t *testing.T) {
	storageDir := t.TempDir()
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 10)
	host := newTestHost()
	ext := startFileStorage(t, host, storageDir)
	defer mustShutdown(t, ext)

	var attempts atomic.Int64
	failUntil := int64(4)
	sink := &lineSink{fail: func() error {
		if attempts.Add(1) <= failUntil {
			return errTransient
		}
		return nil
	}}
	cfg := testConfig(path)
	cfg.Storage = &fileStorageID
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "third attempt", func() bool { return attempts.Load() >= 3 })
	assert.Equal(t, 0, sink.count())
	assert.Equal(t, int64(0), r.tailer.Files()[0].Offset, "offset kept while failing")
	waitFor(t, "delivery", func() bool { return sink.count() == 10 })
	mustShutdown(t, r)
	assert.Equal(t, seqRange(0, 10), seqs(t, sink))
	assert.Equal(t, uint64(4), r.stats.retries.Load())
	assert.Equal(t, int64(5), attempts.Load(), "backoff, not a busy loop")
}

func TestShutdownWhileBlockedIsPrompt(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 10)
	sink := &lineSink{fail: func() error { return errTransient }}
	cfg := testConfig(path)
	cfg.RetryMaxInterval = time.Hour
	r := newTestReceiver(t, cfg, sink)
	r.retryFirst = time.Hour
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "a retry", func() bool { return r.stats.retries.Load() >= 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, r.Shutdown(ctx))
	assert.Less(t, time.Since(start), 2*time.Second)
	require.NoError(t, r.Shutdown(ctx), "twice is fine")
}

func TestPermanentErrorDrops(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 3)
	var calls atomic.Int64
	sink := &lineSink{fail: func() error {
		if calls.Add(1) == 1 {
			return consumererror.NewPermanent(errTransient)
		}
		return nil
	}}
	cfg := testConfig(path)
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "dropped", func() bool { return r.stats.recordsDropped.Load() == 3 })
	writeLines(t, path, 3, 4)
	waitFor(t, "next line", func() bool { return sink.count() == 1 })
	mustShutdown(t, r)
	assert.Equal(t, []int64{3}, seqs(t, sink))
}

// TestUnreadableFileReportsStatus uses a dangling symlink, which the glob
// matches but nobody (not even root) can open; creating its target makes it
// readable.
func TestUnreadableFileReportsStatus(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.data")
	link := filepath.Join(dir, "a.jsonl")
	require.NoError(t, os.Symlink(target, link))
	host := newTestHost()
	sink := &lineSink{}
	r := newTestReceiver(t, testConfig(filepath.Join(dir, "*.jsonl")), sink)
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "error status", func() bool { return len(host.statuses()) >= 1 })
	ev := host.statuses()[0]
	assert.Equal(t, componentstatus.StatusRecoverableError, ev.Status())
	assert.Contains(t, ev.Err().Error(), link)

	writeLines(t, target, 0, 2)
	waitFor(t, "recovery", func() bool { return sink.count() == 2 })
	waitFor(t, "ok status", func() bool {
		st := host.statuses()
		return st[len(st)-1].Status() == componentstatus.StatusOK
	})
	mustShutdown(t, r)
	assert.Len(t, host.statuses(), 2, "reported once each, not every poll")
}

func TestUnreadableByPermissions(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can read any file; TestUnreadableFileReportsStatus covers the path")
	}
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 1)
	require.NoError(t, os.Chmod(path, 0))
	host := newTestHost()
	sink := &lineSink{}
	r := newTestReceiver(t, testConfig(path), sink)
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "error status", func() bool { return len(host.statuses()) >= 1 })
	assert.Contains(t, host.statuses()[0].Err().Error(), "permission denied")
	require.NoError(t, os.Chmod(path, 0o600))
	waitFor(t, "recovery", func() bool { return sink.count() == 1 })
	mustShutdown(t, r)
}

func TestStorageErrors(t *testing.T) {
	cfg := testConfig(tempLog(t, "x.jsonl"))
	cfg.Storage = &fileStorageID
	r := newTestReceiver(t, cfg, &lineSink{})
	err := r.Start(t.Context(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "'storage'")
	require.ErrorContains(t, err, "not found")
	mustShutdown(t, r)

	host := newTestHost()
	host.exts[fileStorageID] = componentNop{}
	r = newTestReceiver(t, cfg, &lineSink{})
	require.ErrorContains(t, r.Start(t.Context(), host), "not a storage extension")
	mustShutdown(t, r)
}

type componentNop struct {
	component.StartFunc
	component.ShutdownFunc
}

// TestRotationThroughReceiver: daily new file and rename rotation under a
// running receiver, every line once.
func TestRotationThroughReceiver(t *testing.T) {
	dir := t.TempDir()
	day1 := filepath.Join(dir, "access-2026-05-08.jsonl")
	writeLines(t, day1, 0, 10)
	sink := &lineSink{}
	r := newTestReceiver(t, testConfig(filepath.Join(dir, "access-*.jsonl")), sink)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "day 1", func() bool { return sink.count() == 10 })
	writeLines(t, day1, 10, 15)
	writeLines(t, filepath.Join(dir, "access-2026-05-09.jsonl"), 15, 30)
	waitFor(t, "day 2", func() bool { return sink.count() == 30 })
	require.NoError(t, os.Remove(day1))
	writeLines(t, filepath.Join(dir, "access-2026-05-09.jsonl"), 30, 35)
	waitFor(t, "more", func() bool { return sink.count() == 35 })
	mustShutdown(t, r)
	assert.ElementsMatch(t, seqRange(0, 35), seqs(t, sink))
}

// TestManyFilesUnderRace: many writers, one receiver, a slow consumer.
func TestManyFilesUnderRace(t *testing.T) {
	dir := t.TempDir()
	const files, perFile = 24, 200
	sink := &lineSink{fail: func() error { time.Sleep(time.Millisecond); return nil }}
	cfg := testConfig(filepath.Join(dir, "*.jsonl"))
	cfg.MaxBatchSize = 50
	cfg.IncludeFilePath = true
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	src := &snapshotSource{r: r}
	var wg sync.WaitGroup
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := filepath.Join(dir, fmt.Sprintf("f%02d.jsonl", i))
			for j := 0; j < perFile; j += 20 {
				writeLines(t, path, j, j+20)
				_ = src.Snapshot() // concurrent readers of the state
			}
		}()
	}
	wg.Wait()
	waitFor(t, "all lines", func() bool { return sink.count() == files*perFile })
	mustShutdown(t, r)
	perPath := map[string][]int64{}
	paths := sink.attr(attrFilePath)
	for i, s := range seqs(t, sink) {
		perPath[paths[i]] = append(perPath[paths[i]], s)
	}
	require.Len(t, perPath, files)
	for p, got := range perPath {
		assert.Equal(t, seqRange(0, perFile), got, p)
	}
}

func TestSnapshotAndPrometheus(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 3)
	sink := &lineSink{}
	reg := &fakeRegistry{}
	host := newTestHost()
	host.exts[component.MustNewID("healthz")] = reg
	r := newTestReceiver(t, testConfig(path), sink)
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "records", func() bool { return sink.count() == 3 })
	require.NotNil(t, reg.src)
	assert.True(t, strings.HasPrefix(reg.name, "receiver/accesslog"), reg.name)

	js, err := json.Marshal(reg.src.Snapshot())
	require.NoError(t, err)
	var snap map[string]any
	require.NoError(t, json.Unmarshal(js, &snap))
	assert.InDelta(t, 3, snap["lines_read"], 0)
	assert.InDelta(t, 3, snap["records_emitted"], 0)
	files := snap["files"].([]any)
	require.Len(t, files, 1)
	f := files[0].(map[string]any)
	assert.Equal(t, path, f["path"])
	assert.Equal(t, f["size"], f["offset"])
	assert.InDelta(t, 0, f["lag_bytes"], 0)

	// Write without the receiver reading yet is visible as lag: use the source
	// directly on a stopped receiver.
	mustShutdown(t, r)
	assert.Nil(t, reg.src, "unregistered at shutdown")
	writeLines(t, path, 3, 4)

	promReg := prometheus.NewPedanticRegistry()
	require.NoError(t, promReg.Register(&snapshotSource{r: r}))
	mfs, err := promReg.Gather()
	require.NoError(t, err)
	names := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			names[mf.GetName()] += v
		}
	}
	for _, n := range []string{
		"redline_accesslog_lines_read_total", "redline_accesslog_records_emitted_total",
		"redline_accesslog_records_dropped_total", "redline_accesslog_parse_errors_total",
		"redline_accesslog_truncated_lines_total", "redline_accesslog_bytes_read_total",
		"redline_accesslog_delivery_retries_total", "redline_accesslog_line_anomalies_total",
		"redline_accesslog_files_open", "redline_accesslog_files_tracked",
		"redline_accesslog_read_lag_bytes", "redline_accesslog_read_offset_bytes",
	} {
		assert.Contains(t, names, n)
	}
	assert.InDelta(t, 3, names["redline_accesslog_lines_read_total"], 0)
	assert.InDelta(t, 0, names["redline_accesslog_files_open"], 0)
}

type fakeRegistry struct {
	componentNop
	mu   sync.Mutex
	name string
	src  snapshot.Source
}

func (f *fakeRegistry) RegisterSource(name string, src snapshot.Source) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.name, f.src = name, src
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.src = nil
	}
}

func TestTelemetryGauges(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 3)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	sink := &lineSink{}
	r := newTestReceiver(t, testConfig(path), sink, metadatatest.NewSettings(tel))
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "records", func() bool { return sink.count() == 3 })
	metadatatest.AssertEqualReceiverAccesslogFilesOpen(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualReceiverAccesslogReadLag(t, tel, []metricdata.DataPoint[int64]{
		{Value: 0, Attributes: attribute.NewSet(attribute.String(attrFilePath, path))},
	}, metricdatatest.IgnoreTimestamp())
	mustShutdown(t, r)
}

func receivertestSettings() receiver.Settings {
	return receivertest.NewNopSettings(metadata.Type)
}
