package testutil

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/redline-otel/redline/receiver/accesslogreceiver"
)

// fixtureGlobs are the JSON lines the redmetrics tests feed through
// LogsFromJSONL: the web servers' logs and the seed services' examples.
var fixtureGlobs = []string{
	filepath.Join("..", "..", "testdata", "conventions", "logs", "*.jsonl"),
	filepath.Join("..", "..", "..", "..", "examples", "logs", "*.jsonl"),
}

// record is what the redmetrics tests depend on in a log record.
type record struct {
	Scope, SeverityText string
	Severity            plog.SeverityNumber
	Time                uint64
	TraceID, SpanID     string
	Body                any
	Attributes          map[string]any
}

func recordsByFile(ld plog.Logs) map[string][]record {
	out := map[string][]record{}
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				file, _ := lr.Attributes().Get("log.file.name")
				out[file.Str()] = append(out[file.Str()], record{
					Scope: sls.At(j).Scope().Name(), SeverityText: lr.SeverityText(), Severity: lr.SeverityNumber(),
					Time: uint64(lr.Timestamp()), TraceID: lr.TraceID().String(), SpanID: lr.SpanID().String(),
					Body: lr.Body().AsRaw(), Attributes: lr.Attributes().AsRaw(),
				})
			}
		}
	}
	return out
}

// TestLogsFromJSONLMatchesAccessLogReceiver reads every fixture with the
// accesslog receiver itself and checks that LogsFromJSONL builds the same
// records from it: the same attributes with the same types, body, time,
// severity, scope and trace context.
func TestLogsFromJSONLMatchesAccessLogReceiver(t *testing.T) {
	var files []string
	for _, g := range fixtureGlobs {
		found, err := filepath.Glob(g)
		require.NoError(t, err)
		files = append(files, found...)
	}
	require.NotEmpty(t, files)
	want := map[string][]record{}
	total := 0
	for _, f := range files {
		ld, err := LogsFromJSONL(f, "fixture")
		require.NoError(t, err)
		for name, recs := range recordsByFile(ld) {
			want[name] = recs
			total += len(recs)
		}
	}

	f := accesslogreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*accesslogreceiver.Config)
	for _, g := range fixtureGlobs {
		abs, err := filepath.Abs(g)
		require.NoError(t, err)
		cfg.Include = append(cfg.Include, abs)
	}
	cfg.StartAt = accesslogreceiver.StartAtBeginning
	cfg.PollInterval = 10 * time.Millisecond
	cfg.ForceFlushPeriod = 50 * time.Millisecond
	cfg.Resource = map[string]any{"service.name": "fixture"}
	sink := new(consumertest.LogsSink)
	rcv, err := f.CreateLogs(t.Context(), receivertest.NewNopSettings(f.Type()), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(t.Context(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= total }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))

	got := map[string][]record{}
	for _, ld := range sink.AllLogs() {
		for name, recs := range recordsByFile(ld) {
			got[name] = append(got[name], recs...)
		}
	}
	require.Len(t, got, len(want))
	for name, recs := range want {
		t.Run(strings.TrimSuffix(name, ".jsonl"), func(t *testing.T) {
			require.Len(t, got[name], len(recs))
			for i := range recs {
				assert.Equal(t, recs[i], got[name][i], "line %d", i+1)
			}
		})
	}
}
