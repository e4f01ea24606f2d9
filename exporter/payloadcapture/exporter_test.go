package payloadcapture

import (
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"
	"github.com/redline-otel/redline/exporter/payloadcapture/internal/metadata"
	"github.com/redline-otel/redline/exporter/payloadcapture/internal/metadatatest"
	"github.com/redline-otel/redline/internal/snapshot"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current output")

var recordTime = time.Date(2026, 5, 8, 9, 15, 30, 250_000_000, time.UTC)

// testHost records status events and offers a snapshot registry.
type testHost struct {
	mu       sync.Mutex
	events   []*componentstatus.Event
	registry *fakeRegistry
}

func newTestHost() *testHost {
	return &testHost{registry: &fakeRegistry{sources: map[string]snapshot.Source{}}}
}

func (h *testHost) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{component.MustNewID("healthz"): h.registry}
}

func (h *testHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *testHost) statuses() []componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]componentstatus.Status, len(h.events))
	for i, ev := range h.events {
		out[i] = ev.Status()
	}
	return out
}

type fakeRegistry struct {
	component.StartFunc
	component.ShutdownFunc
	mu      sync.Mutex
	sources map[string]snapshot.Source
}

func (r *fakeRegistry) RegisterSource(name string, src snapshot.Source) func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sources[name] = src
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.sources, name)
	}
}

func (r *fakeRegistry) source(name string) snapshot.Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sources[name]
}

// testConfig is an enabled exporter writing below a fresh directory, with
// no queue so ConsumeLogs returns after the writes.
func testConfig(t *testing.T) *Config {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Enabled = true
	cfg.Directory = filepath.Join(t.TempDir(), "payloads")
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	return cfg
}

type started struct {
	exp  exporter.Logs
	impl *payloadExporter
	host *testHost
	logs *observer.ObservedLogs
}

// startExporter builds the exporter as the factory does, lets prepare adjust
// it (fault injection), and starts it; it is shut down when the test ends.
func startExporter(t *testing.T, cfg *Config, set exporter.Settings, prepare func(*payloadExporter)) started {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	set.Logger = zap.New(core)
	impl, err := newPayloadExporter(cfg, set)
	require.NoError(t, err)
	if prepare != nil {
		prepare(impl)
	}
	exp, err := wrapLogs(t.Context(), set, cfg, impl)
	require.NoError(t, err)
	host := newTestHost()
	require.NoError(t, exp.Start(t.Context(), host))
	t.Cleanup(func() { assert.NoError(t, exp.Shutdown(context.Background())) })
	return started{exp: exp, impl: impl, host: host, logs: logs}
}

func nopSettings() exporter.Settings { return exportertest.NewNopSettings(metadata.Type) }

// requestLogs is one resource with one record per mutator; each record has
// the default request and response body attributes unless it removes them.
func requestLogs(mutators ...func(lr plog.LogRecord)) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "aistack")
	sl := rl.ScopeLogs().AppendEmpty()
	for _, mut := range mutators {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(recordTime))
		lr.Body().SetStr("request completed")
		lr.Attributes().PutEmptyBytes("http.request.body").FromRaw([]byte("RIFF\x00\x01binary"))
		lr.Attributes().PutStr("http.response.body", `{"text":"hello"}`)
		mut(lr)
	}
	return ld
}

// captureFolders lists the date/id folders below dir.
func captureFolders(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	dates, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	for _, d := range dates {
		entries, err := os.ReadDir(filepath.Join(dir, d.Name()))
		require.NoError(t, err)
		for _, e := range entries {
			out = append(out, d.Name()+"/"+e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func readMeta(t *testing.T, dir, folder string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, folder, capture.MetaFile))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func TestCaptureGolden(t *testing.T) {
	cfg := testConfig(t)
	s := startExporter(t, cfg, nopSettings(), nil)
	ld := requestLogs(func(lr plog.LogRecord) {
		a := lr.Attributes()
		a.PutStr("request_id", "videocraft-42-step-3")
		a.PutStr("http.request.method", "POST")
		a.PutStr("url.path", "/v1/audio/transcriptions")
		a.PutStr("category", "asr")
		a.PutInt("http.response.status_code", 200)
		a.PutDouble("latency_ms", 812.5)
		a.PutStr("model", "sensevoice")
		a.PutStr("authorization", "Bearer sk-should-not-leak") // a header logged as a plain attribute
		a.PutDouble("rtf", math.Inf(1))
		h := a.PutEmptyMap("http.request.header")
		h.PutStr("Authorization", "Bearer secret")
		h.PutStr("Content-Type", "multipart/form-data")
		h.PutStr("X-API-KEY", "k")
		a.PutEmptySlice("http.request.header.cookie").AppendEmpty().SetStr("session=abc")
		a.PutEmptySlice("http.request.header.proxy-authorization").AppendEmpty().SetStr("Basic x")
		rh := a.PutEmptyMap("http.response.header")
		rh.PutStr("set-cookie", "session=def")
		rh.PutEmptySlice("x-request-id").AppendEmpty().SetStr("videocraft-42-step-3")
		lr.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
		lr.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	})
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), ld))

	folders := captureFolders(t, cfg.Directory)
	require.Equal(t, []string{"2026-05-08/videocraft-42-step-3"}, folders)
	req, err := os.ReadFile(filepath.Join(cfg.Directory, folders[0], capture.RequestFile))
	require.NoError(t, err)
	assert.Equal(t, "RIFF\x00\x01binary", string(req), "bytes bodies are written as they are")
	resp, err := os.ReadFile(filepath.Join(cfg.Directory, folders[0], capture.ResponseFile))
	require.NoError(t, err)
	assert.JSONEq(t, `{"text":"hello"}`, string(resp))

	got, err := os.ReadFile(filepath.Join(cfg.Directory, folders[0], capture.MetaFile))
	require.NoError(t, err)
	golden := filepath.Join("testdata", "golden", "meta.json")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
	assert.NotContains(t, string(got), "secret")
	assert.NotContains(t, string(got), "sk-should-not-leak")
	assert.NotContains(t, string(got), "session=")
}

func TestRecordMapping(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config func(*Config)
		record func(lr plog.LogRecord)
		check  func(t *testing.T, folder string, meta map[string]any, req, resp []byte)
	}{
		{
			name:   "missing id gets a fresh one",
			record: func(plog.LogRecord) {},
			check: func(t *testing.T, folder string, meta map[string]any, _, _ []byte) {
				assert.Regexp(t, `^2026-05-08/[0-9a-f]{16}$`, folder)
				generated, _ := meta["request_id_generated"].(bool)
				assert.True(t, generated)
				assert.NotContains(t, meta, "original_request_id")
			},
		},
		{
			name: "invalid id is replaced and kept escaped",
			record: func(lr plog.LogRecord) {
				lr.Attributes().PutStr("request_id", "../../etc/passwd\x00é")
			},
			check: func(t *testing.T, folder string, meta map[string]any, _, _ []byte) {
				assert.Regexp(t, `^2026-05-08/[0-9a-f]{16}$`, folder)
				assert.Equal(t, `../../etc/passwd\x00\u00e9`, meta["original_request_id"])
			},
		},
		{
			name: "x-request-id from the header map in any case",
			record: func(lr plog.LogRecord) {
				lr.Attributes().PutEmptyMap("http.request.header").PutStr("X-Request-ID", "from-header")
			},
			check: func(t *testing.T, folder string, _ map[string]any, _, _ []byte) {
				assert.Equal(t, "2026-05-08/from-header", folder)
			},
		},
		{
			name: "x-request-id as a semantic-convention attribute",
			record: func(lr plog.LogRecord) {
				lr.Attributes().PutEmptySlice("http.request.header.x-request-id").AppendEmpty().SetStr("semconv-id")
			},
			check: func(t *testing.T, folder string, meta map[string]any, _, _ []byte) {
				assert.Equal(t, "2026-05-08/semconv-id", folder)
				assert.Equal(t, map[string]any{"x-request-id": []any{"semconv-id"}}, meta["request_headers"])
			},
		},
		{
			name:   "configured request id key",
			config: func(c *Config) { c.Attributes.RequestID = []string{"trace"} },
			record: func(lr plog.LogRecord) {
				lr.Attributes().PutStr("request_id", "ignored")
				lr.Attributes().PutStr("trace", "chosen")
			},
			check: func(t *testing.T, folder string, _ map[string]any, _, _ []byte) {
				assert.Equal(t, "2026-05-08/chosen", folder)
			},
		},
		{
			name:   "base64 bodies",
			config: func(c *Config) { c.BodyEncoding = BodyEncodingBase64 },
			record: func(lr plog.LogRecord) {
				lr.Attributes().PutStr("http.request.body", "aGVsbG8=")
				lr.Attributes().PutStr("http.response.body", "d29ybGQ") // unpadded
			},
			check: func(t *testing.T, _ string, meta map[string]any, req, resp []byte) {
				assert.Equal(t, "hello", string(req))
				assert.Equal(t, "world", string(resp))
				assert.NotContains(t, meta, "notes")
			},
		},
		{
			name:   "invalid base64 is written as text and noted",
			config: func(c *Config) { c.BodyEncoding = BodyEncodingBase64 },
			record: func(lr plog.LogRecord) {
				lr.Attributes().PutStr("http.request.body", "not base64!")
				lr.Attributes().Remove("http.response.body")
			},
			check: func(t *testing.T, _ string, meta map[string]any, req, resp []byte) {
				assert.Equal(t, "not base64!", string(req))
				assert.Empty(t, resp)
				assert.Equal(t, []any{"request body is not valid base64; written as text"}, meta["notes"])
			},
		},
		{
			name:   "raw strings are UTF-8",
			record: func(lr plog.LogRecord) { lr.Attributes().PutStr("http.request.body", "héllo") },
			check: func(t *testing.T, _ string, _ map[string]any, req, _ []byte) {
				assert.Equal(t, []byte("h\xc3\xa9llo"), req)
			},
		},
		{
			name: "duration in seconds, status as text, service from the record",
			record: func(lr plog.LogRecord) {
				lr.Attributes().PutDouble("http.server.request.duration", 0.25)
				lr.Attributes().PutStr("status", "503")
				lr.Attributes().PutStr("service", "fallback")
			},
			check: func(t *testing.T, _ string, meta map[string]any, _, _ []byte) {
				assert.InDelta(t, 250.0, meta["duration_ms"], 1e-9)
				assert.InDelta(t, 503, meta["status"], 0)
				assert.Equal(t, "aistack", meta["service"], "the resource's service.name wins")
			},
		},
		{
			name: "RPC status name stays a string",
			record: func(lr plog.LogRecord) {
				lr.Attributes().PutStr("rpc.grpc.status_code", "RESOURCE_EXHAUSTED")
			},
			check: func(t *testing.T, _ string, meta map[string]any, _, _ []byte) {
				assert.Equal(t, "RESOURCE_EXHAUSTED", meta["status"])
			},
		},
		{
			name:   "configured scrub names apply to headers and attributes",
			config: func(c *Config) { c.ScrubHeaders = []string{"X-Session-Token"} },
			record: func(lr plog.LogRecord) {
				lr.Attributes().PutEmptyMap("http.response.header").PutStr("x-session-token", "t0k3n")
				lr.Attributes().PutStr("x_session_token", "t0k3n")
			},
			check: func(t *testing.T, _ string, meta map[string]any, _, _ []byte) {
				assert.Equal(t, map[string]any{"x-session-token": []any{"***"}}, meta["response_headers"])
				assert.Equal(t, "***", meta["attributes"].(map[string]any)["x_session_token"])
			},
		},
		{
			name: "observed timestamp when the record has none",
			record: func(lr plog.LogRecord) {
				lr.SetTimestamp(0)
				lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
				lr.Attributes().PutStr("request_id", "observed")
			},
			check: func(t *testing.T, folder string, meta map[string]any, _, _ []byte) {
				assert.Equal(t, "2026-01-02/observed", folder)
				assert.Equal(t, "2026-01-02T03:04:05Z", meta["time"])
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			if tc.config != nil {
				tc.config(cfg)
			}
			require.NoError(t, cfg.Validate())
			s := startExporter(t, cfg, nopSettings(), nil)
			require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(tc.record)))
			folders := captureFolders(t, cfg.Directory)
			require.Len(t, folders, 1)
			req, err := os.ReadFile(filepath.Join(cfg.Directory, folders[0], capture.RequestFile))
			require.NoError(t, err)
			resp, err := os.ReadFile(filepath.Join(cfg.Directory, folders[0], capture.ResponseFile))
			require.NoError(t, err)
			tc.check(t, folders[0], readMeta(t, cfg.Directory, folders[0]), req, resp)
		})
	}
}

func TestRecordsWithoutBodiesAreIgnored(t *testing.T) {
	cfg := testConfig(t)
	s := startExporter(t, cfg, nopSettings(), nil)
	ld := requestLogs(func(lr plog.LogRecord) {
		lr.Attributes().Remove("http.request.body")
		lr.Attributes().Remove("http.response.body")
	}, func(plog.LogRecord) {})
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), ld))
	assert.Len(t, captureFolders(t, cfg.Directory), 1)
}

func TestDuplicateIDsAreSuffixed(t *testing.T) {
	cfg := testConfig(t)
	s := startExporter(t, cfg, nopSettings(), nil)
	same := func(lr plog.LogRecord) { lr.Attributes().PutStr("request_id", "dup") }
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(same, same)))
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(same)))
	assert.Equal(t, []string{"2026-05-08/dup", "2026-05-08/dup-1", "2026-05-08/dup-2"}, captureFolders(t, cfg.Directory))
}

func TestDisabledWritesNothing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Enabled = false
	s := startExporter(t, cfg, nopSettings(), nil)
	for range 3 {
		require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(func(plog.LogRecord) {})))
	}
	_, err := os.Stat(cfg.Directory)
	assert.ErrorIs(t, err, fs.ErrNotExist, "a disabled exporter never creates the directory")
	off := s.logs.FilterMessageSnippet("Payload capture is off").All()
	assert.Len(t, off, 1, "said once, at start")
	assert.Empty(t, s.host.statuses())
}

func TestDisabledStillSweepsExistingCaptures(t *testing.T) {
	cfg := testConfig(t)
	cfg.Enabled = false
	old := plantCapture(t, cfg.Directory, "old", 30*24*time.Hour)
	s := startExporter(t, cfg, nopSettings(), nil)
	require.Eventually(t, func() bool { return !exists(filepath.Join(cfg.Directory, old)) }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(func(plog.LogRecord) {})))
	assert.Empty(t, captureFolders(t, cfg.Directory))
}

// plantCapture writes a capture through the core and backdates it.
func plantCapture(t *testing.T, dir, id string, age time.Duration) string {
	t.Helper()
	st := capture.NewStore(dir, capture.Options{CreateDirectory: true})
	defer st.Close()
	written := time.Now().Add(-age)
	res, err := st.Write(&capture.Capture{Meta: capture.Meta{RequestID: id, Time: written}, Request: []byte("old")})
	require.NoError(t, err)
	require.NoError(t, os.Chtimes(filepath.Join(dir, res.Folder, capture.MetaFile), written, written))
	return res.Folder
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// faultSwitch injects an errno into every file write while it is on.
type faultSwitch struct {
	mu  sync.Mutex
	err error
}

func (f *faultSwitch) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *faultSwitch) writeFile(root *os.Root, name string, data []byte, fsync bool) error {
	f.mu.Lock()
	err := f.err
	f.mu.Unlock()
	if err != nil {
		return &fs.PathError{Op: "write", Path: name, Err: err}
	}
	file, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err = file.Write(data); err == nil && fsync {
		err = file.Sync()
	}
	if errClose := file.Close(); err == nil {
		err = errClose
	}
	return err
}

// TestDiskFullDropsCountsAndRecovers: a full disk never fails the batch,
// each dropped capture is counted by cause, the error log is rate-limited,
// and status goes recoverable-error, then OK when writes succeed again.
func TestDiskFullDropsCountsAndRecovers(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := testConfig(t)
	fault := &faultSwitch{}
	s := startExporter(t, cfg, metadatatest.NewSettings(tel), func(e *payloadExporter) {
		e.storeOptions.WriteFile = fault.writeFile
	})

	fault.set(syscall.ENOSPC)
	for range 5 {
		require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(func(plog.LogRecord) {})), "a dropped capture does not fail the pipeline")
	}
	assert.Empty(t, captureFolders(t, cfg.Directory), "no capture, whole or partial")
	errLogs := s.logs.FilterMessageSnippet("Payload capture dropped").All()
	require.Len(t, errLogs, 1, "the error log is rate-limited")
	assert.Equal(t, "no_space", errLogs[0].ContextMap()["cause"])
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError}, s.host.statuses())

	fault.set(syscall.EROFS)
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(func(plog.LogRecord) {})))
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError, componentstatus.StatusRecoverableError}, s.host.statuses(),
		"a new cause is reported again")

	fault.set(nil)
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(func(plog.LogRecord) {})))
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(func(plog.LogRecord) {})))
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError, componentstatus.StatusRecoverableError, componentstatus.StatusOK}, s.host.statuses())
	assert.Len(t, captureFolders(t, cfg.Directory), 2)

	metadatatest.AssertEqualExporterPayloadcaptureFailures(t, tel, []metricdata.DataPoint[int64]{
		{Value: 5, Attributes: attribute.NewSet(attribute.String("cause", "no_space"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("cause", "read_only"))},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	metadatatest.AssertEqualExporterPayloadcaptureCapturesWritten(t, tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())

	snap := s.host.registry.source("exporter/payloadcapture").Snapshot().(Snapshot)
	assert.Equal(t, int64(5), snap.Failures["no_space"])
	assert.Equal(t, int64(1), snap.Failures["read_only"])
	assert.Equal(t, int64(2), snap.CapturesWritten)
	assert.Contains(t, snap.LastError, "read-only")
}

func TestMissingDirectoryWithoutCreate(t *testing.T) {
	cfg := testConfig(t)
	cfg.CreateDirectory = false
	s := startExporter(t, cfg, nopSettings(), nil)
	warn := s.logs.FilterMessageSnippet("not usable yet").All()
	require.Len(t, warn, 1, "the start warns, and does not fail")
	assert.Equal(t, "missing_directory", warn[0].ContextMap()["cause"])
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(func(plog.LogRecord) {})))
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError}, s.host.statuses())
	assert.Equal(t, int64(1), s.impl.stats.Snapshot().(Snapshot).Failures["missing_directory"])

	require.NoError(t, os.MkdirAll(cfg.Directory, 0o700))
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(func(plog.LogRecord) {})))
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError, componentstatus.StatusOK}, s.host.statuses())
	assert.Len(t, captureFolders(t, cfg.Directory), 1)
}

// TestRetryHandsBackOnlyFailedRecords: with retry_on_failure on, the failed
// records alone come back as a retryable error, so the captures already
// written are not written twice.
func TestRetryHandsBackOnlyFailedRecords(t *testing.T) {
	cfg := testConfig(t)
	cfg.RetryConfig.Enabled = true
	fault := &faultSwitch{}
	impl, err := newPayloadExporter(cfg, nopSettings())
	require.NoError(t, err)
	impl.storeOptions.WriteFile = fault.writeFile
	host := newTestHost()
	require.NoError(t, impl.start(t.Context(), host))
	t.Cleanup(func() { assert.NoError(t, impl.shutdown(context.Background())) })

	require.NoError(t, impl.pushLogs(t.Context(), requestLogs(func(lr plog.LogRecord) { lr.Attributes().PutStr("request_id", "ok") })))
	fault.set(syscall.ENOSPC)
	err = impl.pushLogs(t.Context(), requestLogs(
		func(lr plog.LogRecord) { lr.Attributes().PutStr("request_id", "a") },
		func(lr plog.LogRecord) { lr.Attributes().PutStr("request_id", "b") },
	))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var partial consumererror.Logs
	require.ErrorAs(t, err, &partial)
	assert.Equal(t, 2, partial.Data().LogRecordCount())
	assert.Equal(t, "aistack", func() string {
		v, _ := partial.Data().ResourceLogs().At(0).Resource().Attributes().Get("service.name")
		return v.Str()
	}())
}

func TestSweeperRunsAtStartAndReports(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := testConfig(t)
	old := plantCapture(t, cfg.Directory, "old", 8*24*time.Hour)
	recent := plantCapture(t, cfg.Directory, "recent", time.Hour)
	s := startExporter(t, cfg, metadatatest.NewSettings(tel), nil)
	src := s.host.registry.source("exporter/payloadcapture")
	require.NotNil(t, src)
	require.Eventually(t, func() bool { return src.Snapshot().(Snapshot).LastSweep != nil }, 10*time.Second, 10*time.Millisecond)
	assert.False(t, exists(filepath.Join(cfg.Directory, old)))
	assert.True(t, exists(filepath.Join(cfg.Directory, recent)))
	metadatatest.AssertEqualExporterPayloadcaptureCapturesSwept(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("reason", "age"))},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	snap := src.Snapshot().(Snapshot)
	assert.Equal(t, 1, snap.LastSweep.Captures)
	assert.Equal(t, snap.LastSweep.Bytes, snap.DiskUsageBytes)
	metadatatest.AssertEqualExporterPayloadcaptureDiskUsage(t, tel, []metricdata.DataPoint[int64]{{Value: snap.DiskUsageBytes}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func TestWritesPastBudgetTriggerASweep(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxSizeGB = 4096.0 / (1 << 30) // 4 KiB
	cfg.SweepInterval = time.Hour
	s := startExporter(t, cfg, nopSettings(), func(e *payloadExporter) { e.earlySweepGap = 0 })
	big := func(lr plog.LogRecord) {
		lr.Attributes().PutEmptyBytes("http.request.body").FromRaw(make([]byte, 3000))
	}
	for range 5 {
		require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(big)))
	}
	require.Eventually(t, func() bool {
		snap := s.impl.stats.Snapshot().(Snapshot)
		return snap.CapturesSwept["size"] > 0 && snap.DiskUsageBytes <= 4096
	}, 10*time.Second, 10*time.Millisecond, "the sweeper runs before its interval when the budget is exceeded")
}

func TestPrometheusCollector(t *testing.T) {
	cfg := testConfig(t)
	s := startExporter(t, cfg, nopSettings(), nil)
	require.NoError(t, s.exp.ConsumeLogs(t.Context(), requestLogs(func(plog.LogRecord) {})))
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(s.impl.stats))
	n, err := testutil.GatherAndCount(reg)
	require.NoError(t, err)
	assert.Equal(t, 1+1+1+len(capture.Causes)+2+1+1+1, n)
	budget := `
# HELP redline_payloadcapture_disk_budget_bytes The size budget (max_size_gb) in bytes.
# TYPE redline_payloadcapture_disk_budget_bytes gauge
redline_payloadcapture_disk_budget_bytes 5.36870912e+09
# HELP redline_payloadcapture_captures_written_total Captures written to disk.
# TYPE redline_payloadcapture_captures_written_total counter
redline_payloadcapture_captures_written_total 1
# HELP redline_payloadcapture_enabled 1 when payload capture is on, 0 when records are dropped.
# TYPE redline_payloadcapture_enabled gauge
redline_payloadcapture_enabled 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(budget),
		"redline_payloadcapture_disk_budget_bytes", "redline_payloadcapture_captures_written_total", "redline_payloadcapture_enabled"))
	usage := testutil.ToFloat64(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		for m := range collectAll(s.impl.stats) {
			if strings.Contains(m.Desc().String(), "disk_usage_bytes") {
				ch <- m
			}
		}
	}))
	assert.Positive(t, usage)
}

func collectAll(c prometheus.Collector) chan prometheus.Metric {
	ch := make(chan prometheus.Metric, 64)
	c.Collect(ch)
	close(ch)
	return ch
}

func TestShutdownWithoutStartAndTwice(t *testing.T) {
	impl, err := newPayloadExporter(testConfig(t), nopSettings())
	require.NoError(t, err)
	require.NoError(t, impl.shutdown(context.Background()))
	require.NoError(t, impl.shutdown(context.Background()))

	s := startExporter(t, testConfig(t), nopSettings(), nil)
	require.NoError(t, s.impl.shutdown(context.Background()))
	require.NoError(t, s.impl.shutdown(context.Background()))
	assert.Nil(t, s.host.registry.source("exporter/payloadcapture"), "unregistered at shutdown")
}
