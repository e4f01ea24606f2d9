package accesslogreceiver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/tail"
)

// testHost serves extensions and records status events.
type testHost struct {
	exts   map[component.ID]component.Component
	mu     sync.Mutex
	events []*componentstatus.Event
}

func newTestHost() *testHost {
	return &testHost{exts: map[component.ID]component.Component{}}
}

func (h *testHost) GetExtensions() map[component.ID]component.Component { return h.exts }

func (h *testHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *testHost) statuses() []*componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*componentstatus.Event(nil), h.events...)
}

var fileStorageID = component.MustNewID("file_storage")

// startFileStorage starts the real contrib file_storage extension on dir and
// adds it to host.
func startFileStorage(t *testing.T, host *testHost, dir string) extension.Extension {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	require.NoError(t, cfg.Validate())
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), host))
	host.exts[fileStorageID] = ext
	return ext
}

// fixedSettings has a stable component ID: the storage extension keys a
// receiver's data by its ID, so a restarted receiver must keep it.
func fixedSettings() receiver.Settings {
	set := receivertest.NewNopSettings(metadata.Type)
	set.ID = component.NewIDWithName(metadata.Type, "restart")
	return set
}

func testConfig(include ...string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Include = include
	cfg.StartAt = StartAtBeginning
	cfg.PollInterval = 10 * time.Millisecond
	cfg.ForceFlushPeriod = 50 * time.Millisecond
	return cfg
}

func newTestReceiver(t *testing.T, cfg *Config, next consumer.Logs, settings ...receiver.Settings) *accessLogReceiver {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	if len(settings) > 0 {
		set = settings[0]
	}
	r, err := newAccessLogReceiver(set, cfg, next)
	require.NoError(t, err)
	r.retryFirst = 5 * time.Millisecond
	return r
}

// lineSink keeps every record's body or msg-derived identity, thread-safe.
type lineSink struct {
	mu      sync.Mutex
	records []plog.LogRecord
	logs    []plog.Logs
	fail    func() error
}

func (s *lineSink) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	if s.fail != nil {
		if err := s.fail(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs = append(s.logs, ld)
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				s.records = append(s.records, lrs.At(k))
			}
		}
	}
	return nil
}

func (*lineSink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *lineSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// attr returns every record's attribute k as a string.
func (s *lineSink) attr(k string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.records))
	for _, r := range s.records {
		v, ok := r.Attributes().Get(k)
		if !ok {
			out = append(out, "<none>")
			continue
		}
		out = append(out, v.AsString())
	}
	return out
}

func (s *lineSink) allLogs() []plog.Logs {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]plog.Logs(nil), s.logs...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func writeLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	defer f.Close()
	for i := from; i < to; i++ {
		_, err := fmt.Fprintf(f, `{"ts":"2026-05-08T09:12:03.412Z","level":"info","msg":"line","seq":%d}`+"\n", i)
		require.NoError(t, err)
	}
}

func seqs(t *testing.T, s *lineSink) []int64 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int64, 0, len(s.records))
	for _, r := range s.records {
		v, ok := r.Attributes().Get("seq")
		require.True(t, ok)
		require.Equal(t, pcommon.ValueTypeInt, v.Type())
		out = append(out, v.Int())
	}
	return out
}

func mustShutdown(t *testing.T, c component.Component) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Shutdown(ctx))
}

var errTransient = errors.New("downstream unavailable")

func tempLog(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), name)
}

// The checkpoint document's storage key and shape, as the tests name them.
const checkpointKey = tail.CheckpointKey

type checkpointDoc = tail.CheckpointDoc
