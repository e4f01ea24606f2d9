package redmetricsprocessor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
)

// logsFromJSONL builds logs the way the accesslog receiver does: one record
// per line, top-level fields as attributes under their own keys, nested
// objects as map attributes, and a "msg" that holds a JSON object lifted into
// attributes (Astrocyte). The timestamp field becomes the record timestamp.
func logsFromJSONL(t testing.TB, path, serviceName string) plog.Logs {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", serviceName)
	rl.Resource().Attributes().PutStr("log.file.name", filepath.Base(path))
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		fields := decodeJSON(t, line)
		if msg, ok := fields["msg"].(string); ok && len(msg) > 0 && msg[0] == '{' {
			delete(fields, "msg")
			for k, v := range decodeJSON(t, []byte(msg)) {
				fields[k] = v
			}
		}
		lr := lrs.AppendEmpty()
		for _, k := range []string{"ts", "timestamp"} {
			if s, ok := fields[k].(string); ok {
				if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
					lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
				}
				delete(fields, k)
			}
		}
		if body, ok := fields["msg"].(string); ok {
			lr.Body().SetStr(body)
			delete(fields, "msg")
		}
		require.NoError(t, lr.Attributes().FromRaw(fields))
	}
	require.NoError(t, sc.Err())
	return ld
}

func decodeJSON(t testing.TB, b []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return numbers(m).(map[string]any)
}

// numbers turns json.Number into int64 when whole, else float64.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	default:
		return v
	}
}

// fakeClock is a settable time source.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 5, 8, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func connectortestSettings() connector.Settings {
	return connectortest.NewNopSettings(metadata.Type)
}
