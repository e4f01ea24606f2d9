package accesslogreceiver

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// fakeStorage is a storage extension with a scripted client.
type fakeStorage struct {
	componentNop
	client *fakeClient
}

func (f *fakeStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return f.client, nil
}

type fakeClient struct {
	mu      sync.Mutex
	data    map[string][]byte
	setErr  error
	sets    int
	closed  bool
	getErr  error
	batches int
}

func (c *fakeClient) Get(_ context.Context, k string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.data[k], c.getErr
}

func (c *fakeClient) Set(_ context.Context, k string, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sets++
	if c.setErr != nil {
		return c.setErr
	}
	c.data[k] = v
	return nil
}

func (c *fakeClient) Delete(_ context.Context, k string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.data, k)
	return nil
}

func (c *fakeClient) Batch(context.Context, ...*storage.Operation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches++
	return errors.New("not used")
}

func (c *fakeClient) Close(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *fakeClient) setCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sets
}

func TestCheckpointSaveFailureDoesNotStopDelivery(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 5)
	client := &fakeClient{data: map[string][]byte{}, setErr: errors.New("disk full")}
	host := newTestHost()
	host.exts[fileStorageID] = &fakeStorage{client: client}
	cfg := testConfig(path)
	cfg.Storage = &fileStorageID
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "records", func() bool { return sink.count() == 5 })
	writeLines(t, path, 5, 6)
	waitFor(t, "more records", func() bool { return sink.count() == 6 })
	mustShutdown(t, r)
	assert.GreaterOrEqual(t, client.setCount(), 2)
	assert.True(t, client.closed)
}

func TestUnreadableCheckpointsAreIgnored(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 3)
	client := &fakeClient{data: map[string][]byte{checkpointKey: []byte("{not json")}}
	host := newTestHost()
	host.exts[fileStorageID] = &fakeStorage{client: client}
	cfg := testConfig(path)
	cfg.Storage = &fileStorageID
	sink := &lineSink{}
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), host))
	waitFor(t, "records", func() bool { return sink.count() == 3 })
	mustShutdown(t, r)
	assert.Contains(t, string(client.data[checkpointKey]), `"offset"`, "overwritten by good checkpoints")
}

func TestStorageReadErrorFailsStart(t *testing.T) {
	client := &fakeClient{data: map[string][]byte{}, getErr: errors.New("io error")}
	host := newTestHost()
	host.exts[fileStorageID] = &fakeStorage{client: client}
	cfg := testConfig(tempLog(t, "a.jsonl"))
	cfg.Storage = &fileStorageID
	r := newTestReceiver(t, cfg, &lineSink{})
	require.ErrorContains(t, r.Start(t.Context(), host), "'storage': read checkpoints")
	mustShutdown(t, r)
}
