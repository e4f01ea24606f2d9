package accesslogreceiver

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadatatest"
)

// TestGoldenText reads plain-text logs from disk through the receiver with
// the default format (auto) and compares the records with
// testdata/golden/<name>.yaml. The dates of times of day come from the file
// names.
func TestGoldenText(t *testing.T) {
	for _, name := range []string{"aster-text-2026-04-06", "astrocyte-text-2026-04-13"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "golden", name+".log"))
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), name+".log")
			require.NoError(t, os.WriteFile(path, data, 0o600))
			lines := strings.Count(string(data), "\n")

			cfg := testConfig(path)
			cfg.Resource = map[string]any{"service.name": strings.SplitN(name, "-", 2)[0]}
			cfg.IncludeFileOffset = true
			sink := &lineSink{}
			r := newTestReceiver(t, cfg, sink)
			require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
			waitFor(t, "all lines", func() bool { return r.stats.linesRead.Load() >= uint64(lines) })
			mustShutdown(t, r)

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

const (
	header1 = "2026-04-13 10:30:45 - gateway.access - INFO"
	entry1  = "r1 POST /v1/recall 200 45.23ms"
	header2 = "2026-04-13 10:30:46 - gateway.access - WARNING"
	entry2  = "r2 GET /v1/recall 503 1.5s"
)

// TestBuildLogsJoinsHeaders checks the grouping of a header and its message
// within a batch, and what happens at a batch's end: the header is a record
// of its own, counted, and its message, first in the next batch, is a record
// of its own too, with the access fields. Record offsets are those of each
// record's first line.
func TestBuildLogsJoinsHeaders(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Include = []string{"/var/log/*.log"}
	cfg.IncludeFileOffset = true
	r, err := newAccessLogReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)

	ld, c := r.buildLogs(batchOf(header1, entry1, "plain text", header2))
	assert.Equal(t, [][]string{{"gateway.access", entry1, ""}, {"", "plain text"}}, scopesOf(ld))
	recs := allRecords(ld) // by scope: the pair, the lone header, the text
	require.Len(t, recs, 3)
	assert.Equal(t, map[string]any{
		"request_id": "r1", "method": "POST", "path": "/v1/recall", "status_code": int64(200), "duration_ms": 45.23,
		attrFileName: "a.jsonl", attrFileOffset: int64(0),
	}, recs[0].Attributes().AsRaw())
	assert.Equal(t, "2026-04-13T10:30:45Z", recs[0].Timestamp().AsTime().Format(timeLayout))
	assert.Equal(t, "WARNING", recs[1].SeverityText(), "the header that ends the batch")
	assert.Equal(t, map[string]any{attrFileName: "a.jsonl", attrFileOffset: int64(3)}, recs[1].Attributes().AsRaw())
	assert.Equal(t, map[string]any{attrFileName: "a.jsonl", attrFileOffset: int64(2)}, recs[2].Attributes().AsRaw())
	assert.Equal(t, int64(1), c.anomalies[anomalyUnstructured])
	assert.Equal(t, int64(1), c.anomalies[anomalyUnpairedHeader])

	// The next batch starts with the message: a record of its own.
	ld, c = r.buildLogs(batchOf(entry2, header1, entry1))
	recs = allRecords(ld)
	require.Len(t, recs, 2)
	assert.Equal(t, entry2, recs[0].Body().Str())
	assert.Zero(t, recs[0].Timestamp())
	assert.Equal(t, map[string]any{
		"request_id": "r2", "method": "GET", "path": "/v1/recall", "status_code": int64(503), "duration_ms": 1500.0,
		attrFileName: "a.jsonl", attrFileOffset: int64(0),
	}, recs[0].Attributes().AsRaw())
	assert.Equal(t, entry1, recs[1].Body().Str())
	assert.Equal(t, [numAnomalies]int64{}, c.anomalies)
}

// A truncated message line marks its record and is counted once per line.
func TestBuildLogsTruncatedMessage(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Include = []string{"/var/log/*.log"}
	r, err := newAccessLogReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	b := batchOf(header1, "r1 POST /v1/rec")
	b.Lines[1].Truncated = true
	ld, c := r.buildLogs(b)
	recs := allRecords(ld)
	require.Len(t, recs, 1)
	v, ok := recs[0].Attributes().Get(attrTruncated)
	require.True(t, ok)
	assert.True(t, v.Bool())
	assert.Equal(t, int64(1), c.truncated)
}

// Latin-1 files are converted line by line, the message line too.
func TestBuildLogsLatin1Header(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Include = []string{"/var/log/*.log"}
	cfg.Encoding = EncodingLatin1
	r, err := newAccessLogReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	ld, _ := r.buildLogs(batchOf(header1, "caf\xe9 ferm\xe9"))
	recs := allRecords(ld)
	require.Len(t, recs, 1)
	assert.Equal(t, "café fermé", recs[0].Body().Str())
}

// TestTextHeaderSplitByBatches reads header/message pairs in batches of
// three lines, so that some pairs straddle two batches, and checks that
// every line ends in exactly one record: each header's time in one record,
// each message's access fields in one record.
func TestTextHeaderSplitByBatches(t *testing.T) {
	path := tempLog(t, "gateway-2026-04-13.log")
	var sb strings.Builder
	const pairs = 20
	for i := range pairs {
		sb.WriteString("2026-04-13 10:30:" + twoDigits(i) + " - gateway.access - INFO\n")
		sb.WriteString("r" + twoDigits(i) + " GET /x 200 1ms\n")
		if i%3 == 0 {
			sb.WriteString("14:30:45.123 INFO  server — a single line\n")
		}
	}
	require.NoError(t, os.WriteFile(path, []byte(sb.String()), 0o600))
	lines := strings.Count(sb.String(), "\n")

	cfg := testConfig(path)
	cfg.MaxBatchSize = 3
	cfg.IncludeFileOffset = true
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "all lines", func() bool { return r.stats.linesRead.Load() == uint64(lines) })
	mustShutdown(t, r)

	ids := map[string]int{}
	headers, unpaired, offsets := 0, 0, map[int64]bool{}
	for _, rec := range sink.records {
		off, ok := rec.Attributes().Get(attrFileOffset)
		require.True(t, ok)
		assert.False(t, offsets[off.Int()], "offset %d twice", off.Int())
		offsets[off.Int()] = true
		if id, ok := rec.Attributes().Get("request_id"); ok {
			ids[id.Str()]++
		}
		if rec.Attributes().Len() == 2 && rec.Body().Type() == 0 {
			unpaired++
		}
		if strings.HasPrefix(rec.Timestamp().AsTime().Format(timeLayout), "2026-04-13T10:30:") {
			headers++
		}
	}
	assert.Len(t, ids, pairs)
	for id, n := range ids {
		assert.Equal(t, 1, n, id)
	}
	assert.Equal(t, pairs, headers, "every header's time in one record")
	assert.Positive(t, unpaired, "some pairs straddle batches")
	assert.Equal(t, uint64(unpaired), r.stats.anomalies[anomalyUnpairedHeader].Load())
	assert.Equal(t, lines-(pairs-unpaired), sink.count(), "one record per line, minus the joined messages")
}

// TestTextHeaderCheckpointBetweenPair stops the receiver when the saved
// checkpoint lies between a header (the last line of an accepted batch) and
// its message, then restarts it: nothing is lost or repeated; the header
// and the message are two records, one per run.
func TestTextHeaderCheckpointBetweenPair(t *testing.T) {
	path := tempLog(t, "gateway.log")
	lines := []string{"14:30:45.000 INFO x — one", header1, entry1, "14:30:46.000 INFO x — two", header2, entry2}
	content := strings.Join(lines, "\n") + "\n"
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	client := &fakeClient{data: map[string][]byte{}}
	host := newTestHost()
	host.exts[fileStorageID] = &fakeStorage{client: client}
	cfg := testConfig(path)
	cfg.Storage = &fileStorageID
	cfg.MaxBatchSize = 2
	cfg.IncludeFileOffset = true

	// First run: the first batch (ending with the header) is accepted, every
	// later one refused until shutdown.
	var accepted atomic.Int32
	first := &lineSink{fail: func() error {
		if accepted.Add(1) > 1 {
			return errTransient
		}
		return nil
	}}
	r := newTestReceiver(t, cfg, first)
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "first batch", func() bool { return first.count() == 2 })
	waitFor(t, "a refusal", func() bool { return r.stats.retries.Load() > 0 })
	mustShutdown(t, r)
	var doc checkpointDoc
	require.NoError(t, json.Unmarshal(client.data[checkpointKey], &doc))
	require.Len(t, doc.Files, 1)
	entryOffset := int64(len(lines[0]) + 1 + len(lines[1]) + 1)
	require.Equal(t, entryOffset, doc.Files[0].Offset, "saved between the header and its message")

	second := &lineSink{}
	r = newTestReceiver(t, cfg, second)
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "the rest", func() bool { return second.count() == 3 })
	mustShutdown(t, r)

	offsets := make([]string, len(lines))
	for i, off := 0, 0; i < len(lines); i++ {
		offsets[i] = strconv.Itoa(off)
		off += len(lines[i]) + 1
	}
	assert.Equal(t, []string{offsets[0], offsets[1]}, first.attr(attrFileOffset))
	assert.Equal(t, []string{"<none>", "<none>"}, first.attr("request_id"), "the header alone")
	assert.Equal(t, "INFO", first.records[1].SeverityText())
	assert.Equal(t, []string{offsets[2], offsets[3], offsets[4]}, second.attr(attrFileOffset))
	assert.Equal(t, []string{"r1", "<none>", "r2"}, second.attr("request_id"))
	assert.Equal(t, "WARNING", second.records[2].SeverityText(), "the second pair joined")
}

// TestTextCounters checks the telemetry of text lines, and that
// on_parse_error: drop never drops a text line (only JSON errors).
func TestTextCounters(t *testing.T) {
	path := tempLog(t, "mixed.log")
	lines := []string{
		`{"msg":"json"}`,
		`{"msg":"truncated`,
		"just words",
		header1,
		entry1,
		header2,
		"",
		"14:30:45.123 INFO x — y [a=1 a=2]",
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := testConfig(path)
	cfg.OnParseError = OnParseErrorDrop
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink, metadatatest.NewSettings(tel))
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "all lines", func() bool { return r.stats.linesRead.Load() == uint64(len(lines)) })
	mustShutdown(t, r)

	bodies := []string{}
	for _, rec := range sink.records {
		bodies = append(bodies, rec.Body().AsString())
	}
	assert.Equal(t, []string{"json", "just words", entry1, "", "y"}, bodies)
	anomalies := map[string]int64{}
	m, err := tel.GetMetric("otelcol_receiver_accesslog_line_anomalies")
	require.NoError(t, err)
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		v, _ := dp.Attributes.Value(attribute.Key("anomaly"))
		anomalies[v.AsString()] = dp.Value
	}
	assert.Equal(t, map[string]int64{
		"invalid_json": 1, "unstructured": 1, "unpaired_header": 1, "empty": 1, "duplicate_key": 1,
	}, anomalies)
	assert.Equal(t, uint64(1), r.stats.parseErrors.Load())
	assert.Equal(t, uint64(2), r.stats.recordsDropped.Load(), "the invalid JSON and the empty line")
}

const timeLayout = "2006-01-02T15:04:05.999999999Z07:00"

func allRecords(ld plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	sls := ld.ResourceLogs().At(0).ScopeLogs()
	for i := range sls.Len() {
		for j := range sls.At(i).LogRecords().Len() {
			out = append(out, sls.At(i).LogRecords().At(j))
		}
	}
	return out
}

func twoDigits(i int) string {
	return string([]byte{byte('0' + i/10), byte('0' + i%10)})
}
