package accesslogreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/tail"
)

func batchOf(lines ...string) *tail.Batch {
	b := &tail.Batch{Path: "/var/log/a.jsonl"}
	for i, l := range lines {
		start := len(b.Data)
		b.Data = append(b.Data, l...)
		b.Lines = append(b.Lines, tail.Line{Start: start, End: len(b.Data), Offset: int64(i)})
	}
	return b
}

// scopesOf lists each ScopeLogs as its name followed by its records' bodies, in order.
func scopesOf(ld plog.Logs) [][]string {
	var out [][]string
	sls := ld.ResourceLogs().At(0).ScopeLogs()
	for i := range sls.Len() {
		s := []string{sls.At(i).Scope().Name()}
		for j := range sls.At(i).LogRecords().Len() {
			s = append(s, sls.At(i).LogRecords().At(j).Body().AsString())
		}
		out = append(out, s)
	}
	return out
}

// TestBuildLogsGroupsScopes checks the grouping of records by `logger`: one
// ScopeLogs per scope in the order of its first kept record, records in line
// order, dropped lines removed, and nothing carried over between batches.
func TestBuildLogsGroupsScopes(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Include = []string{"/var/log/*.jsonl"}
	cfg.OnParseError = OnParseErrorDrop
	cfg.Format = FormatJSON // text lines are parse errors, so that they are dropped
	r, err := newAccessLogReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)

	ld, c := r.buildLogs(batchOf(
		"",
		`{"logger":"a","msg":"1"}`,
		`{"logger":"b","msg":"2"}`,
		`not json`,
		`{"logger":"b","msg":"3"}`,
		`{"logger":"a","msg":"4"}`,
		`{"msg":"5"}`,
		`{"logger":"a","msg":"6"}`,
		`{"logger":"b","msg":"7"}`,
		"",
	))
	assert.Equal(t, [][]string{{"a", "1", "4", "6"}, {"b", "2", "3", "7"}, {"", "5"}}, scopesOf(ld))
	assert.Equal(t, int64(2), c.droppedEmpty)
	assert.Equal(t, int64(1), c.droppedErrors)
	// Moved records keep their attributes.
	rec := ld.ResourceLogs().At(0).ScopeLogs().At(1).LogRecords().At(0)
	name, ok := rec.Attributes().Get(attrFileName)
	require.True(t, ok)
	assert.Equal(t, "a.jsonl", name.Str())

	// The next batch starts afresh, with a scope first seen after a drop.
	ld, _ = r.buildLogs(batchOf(`x`, `{"logger":"c","msg":"8"}`, `{"msg":"9"}`))
	assert.Equal(t, [][]string{{"c", "8"}, {"", "9"}}, scopesOf(ld))

	// Only dropped lines: no ScopeLogs at all.
	ld, _ = r.buildLogs(batchOf("", "oops"))
	assert.Equal(t, 0, ld.ResourceLogs().At(0).ScopeLogs().Len())
	assert.Equal(t, 0, ld.LogRecordCount())

	// One scope throughout: one ScopeLogs, nothing moved.
	ld, _ = r.buildLogs(batchOf(`{"logger":"d","msg":"10"}`, `{"logger":"d","msg":"11"}`))
	assert.Equal(t, [][]string{{"d", "10", "11"}}, scopesOf(ld))
}
