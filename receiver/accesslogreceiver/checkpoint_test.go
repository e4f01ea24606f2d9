package accesslogreceiver

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/tail"
)

// A stored checkpoint with a negative offset (corruption, a hand edit) is
// dropped with a warning instead of failing every poll.
func TestImplausibleCheckpointIsDroppedAndLogged(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 3)
	head, err := os.ReadFile(path)
	require.NoError(t, err)
	doc, err := json.Marshal(checkpointDoc{Version: 1, Files: []tail.Checkpoint{
		{Fingerprint: head[:32], Offset: -5, Path: path}, // the file's own head
	}})
	require.NoError(t, err)
	client := &fakeClient{data: map[string][]byte{checkpointKey: doc}}
	host := newTestHost()
	host.exts[fileStorageID] = &fakeStorage{client: client}
	cfg := testConfig(path)
	cfg.Storage = &fileStorageID
	core, logs := observer.New(zapcore.WarnLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink, set)
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "records", func() bool { return sink.count() == 3 })
	mustShutdown(t, r)
	warned := logs.FilterMessageSnippet("implausible checkpoint").All()
	require.Len(t, warned, 1)
	assert.Contains(t, warned[0].ContextMap()["error"], "offset -5")
}
