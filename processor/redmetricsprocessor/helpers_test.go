package redmetricsprocessor

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/metadata"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/testutil"
)

// logsFromJSONL builds logs from a file of JSON lines as the accesslog
// receiver does: testutil.LogsFromJSONL runs the receiver itself.
func logsFromJSONL(t testing.TB, path, serviceName string) plog.Logs {
	ld, err := testutil.LogsFromJSONL(path, serviceName)
	require.NoError(t, err)
	return ld
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
