package storageguardextension

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
)

var (
	fileStorageID = component.MustNewID("file_storage")
	guardID       = component.MustNewID("storage_guard")
	exporterID    = component.MustNewID("otlp")
)

// testHost serves extensions and records the status the guard reports.
type testHost struct {
	extensions map[component.ID]component.Component

	mu     sync.Mutex
	events []*componentstatus.Event
}

func (h *testHost) GetExtensions() map[component.ID]component.Component { return h.extensions }

func (h *testHost) Report(e *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

func (h *testHost) lastStatus() componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) == 0 {
		return componentstatus.StatusNone
	}
	return h.events[len(h.events)-1].Status()
}

// fullDisk stands between the guard and the real file_storage and fails
// every write with ENOSPC while full is set, as a full filesystem does.
type fullDisk struct {
	storage.Extension
	full atomic.Bool
}

func (d *fullDisk) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	c, err := d.Extension.GetClient(ctx, kind, id, name)
	if err != nil {
		return nil, err
	}
	return &fullDiskClient{Client: c, disk: d}, nil
}

type fullDiskClient struct {
	storage.Client
	disk *fullDisk
}

var errNoSpace = &os.PathError{Op: "write", Path: "queue.db", Err: syscall.ENOSPC}

func (c *fullDiskClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if _, writes, _, _ := classify(ops); writes && c.disk.full.Load() {
		return errNoSpace
	}
	return c.Client.Batch(ctx, ops...)
}

func (c *fullDiskClient) Set(ctx context.Context, k string, v []byte) error {
	return c.Batch(ctx, storage.SetOperation(k, v))
}

func (c *fullDiskClient) Delete(ctx context.Context, k string) error {
	return c.Batch(ctx, storage.DeleteOperation(k))
}

type fixture struct {
	dir   string
	disk  *fullDisk
	guard *guard
	host  *testHost
	free  atomic.Int64
}

// newFixture starts a real file_storage in a temporary directory behind a
// fullDisk switch, and a guard in front of it.
func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	t.Helper()
	return newFixtureIn(t, t.TempDir(), mutate)
}

// newFixtureIn is newFixture on a given directory (a restart).
func newFixtureIn(t *testing.T, dir string, mutate func(*Config)) *fixture {
	t.Helper()
	f := &fixture{dir: dir}
	f.free.Store(1 << 40)

	fsFactory := filestorage.NewFactory()
	fsCfg := fsFactory.CreateDefaultConfig().(*filestorage.Config)
	fsCfg.Directory = f.dir
	fsCfg.Recreate = true
	fs, err := fsFactory.Create(context.Background(), extensiontest.NewNopSettings(fsFactory.Type()), fsCfg)
	require.NoError(t, err)
	f.disk = &fullDisk{Extension: fs.(storage.Extension)}

	cfg := createDefaultConfig().(*Config)
	cfg.Storage = fileStorageID
	cfg.Directory = f.dir
	cfg.CheckInterval = 20 * time.Millisecond
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Validate())
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(NewFactory().Type()), cfg)
	require.NoError(t, err)
	f.guard = ext.(*guard)
	f.guard.freeSpace = func(string) (int64, error) { return f.free.Load(), nil }

	f.host = &testHost{extensions: map[component.ID]component.Component{fileStorageID: f.disk, guardID: f.guard}}
	require.NoError(t, f.disk.Start(context.Background(), f.host))
	require.NoError(t, f.guard.Start(context.Background(), f.host))
	t.Cleanup(func() {
		assert.NoError(t, f.guard.Shutdown(context.Background()))
		assert.NoError(t, f.disk.Shutdown(context.Background()))
	})
	return f
}

func TestQueueItemsAreRefusedBelowTheReserve(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.MinFreeMiB = 64 })
	ctx := context.Background()
	queue, err := f.guard.GetClient(ctx, component.KindExporter, exporterID, "logs")
	require.NoError(t, err)
	defer queue.Close(ctx)
	checkpoints, err := f.guard.GetClient(ctx, component.KindReceiver, component.MustNewID("accesslog"), "")
	require.NoError(t, err)
	defer checkpoints.Close(ctx)

	item := make([]byte, 16<<10)
	newItem := func(i int) error {
		return queue.Batch(ctx, storage.SetOperation("qmv0", []byte("meta")), storage.SetOperation(strconv.Itoa(i), item))
	}
	require.NoError(t, newItem(0), "plenty of space")

	// Below the reserve, items are taken while the file does not grow for
	// them, then refused.
	f.free.Store(10 * mib)
	accepted, refusedAt := 1, -1
	for i := 1; i < 200; i++ {
		if err := newItem(i); err != nil {
			require.ErrorIs(t, err, storage.ErrStorageFull)
			assert.Contains(t, err.Error(), "min_free_mib 64")
			refusedAt = i
			break
		}
		accepted++
	}
	require.Positive(t, refusedAt, "16 KiB items must make a fresh database grow")
	got, err := queue.Get(ctx, strconv.Itoa(refusedAt))
	require.NoError(t, err)
	assert.Nil(t, got, "a refused item is not stored")
	require.Error(t, newItem(refusedAt), "still refused: nothing was freed")

	// What draws on the reserve goes on: reading an item with its
	// bookkeeping, finishing one, and receivers' checkpoints.
	read := storage.GetOperation("0")
	require.NoError(t, queue.Batch(ctx, storage.SetOperation("qmv0", []byte("meta2")), read))
	assert.Equal(t, item, read.Value)
	require.NoError(t, checkpoints.Set(ctx, "offsets", []byte("42")))
	require.Error(t, newItem(refusedAt), "a read frees nothing")

	// Items sent and deleted leave free pages in the file: new items go
	// there, still below the reserve.
	for i := range accepted {
		require.NoError(t, queue.Batch(ctx, storage.SetOperation("qmv0", []byte("meta3")), storage.DeleteOperation(strconv.Itoa(i))))
	}
	require.NoError(t, newItem(refusedAt), "a drained database takes new items without taking disk")

	require.Eventually(t, func() bool { return f.host.lastStatus() == componentstatus.StatusRecoverableError },
		5*time.Second, 10*time.Millisecond, "below the reserve the guard reports recoverable_error")
	f.free.Store(100 * mib)
	require.Eventually(t, func() bool { return f.host.lastStatus() == componentstatus.StatusOK },
		5*time.Second, 10*time.Millisecond, "with space again the guard reports ok")
	require.NoError(t, newItem(1000))
}

func TestReserveZeroRefusesNothing(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.MinFreeMiB = 0 })
	f.free.Store(0)
	ctx := context.Background()
	queue, err := f.guard.GetClient(ctx, component.KindExporter, exporterID, "logs")
	require.NoError(t, err)
	defer queue.Close(ctx)
	require.NoError(t, queue.Set(ctx, "1", []byte("item")))
}

// logsExporter is an exporter whose sending_queue is persistent and stored
// through storageID; push decides what the backend does with each record.
func logsExporter(t *testing.T, storageID component.ID, push func(seq int64) error) exporter.Logs {
	t.Helper()
	storageIDCopy := storageID
	qcfg := exporterhelper.QueueBatchConfig{
		Sizer:           exporterhelper.RequestSizerTypeRequests,
		QueueSize:       1000,
		NumConsumers:    1,
		BlockOnOverflow: true,
		StorageID:       &storageIDCopy,
	}
	set := exportertest.NewNopSettings(exporterID.Type())
	set.ID = exporterID // the queue's file is named after it: a restart must find it
	exp, err := exporterhelper.NewLogs(context.Background(), set, &struct{}{},
		func(_ context.Context, ld plog.Logs) error {
			if ld.LogRecordCount() == 0 {
				// A failed Offer leaves an empty slot the queue later
				// dispatches as an empty request.
				return nil
			}
			return push(ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Int())
		},
		exporterhelper.WithQueue(configoptional.Some(qcfg)),
		exporterhelper.WithRetry(configretry.BackOffConfig{Enabled: false}))
	require.NoError(t, err)
	return exp
}

func record(seq int64) plog.Logs {
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetInt(seq)
	return ld
}

// backend records what the exporter delivered; it holds deliveries while
// gate is closed, so that items pile up in the queue.
type backend struct {
	mu        sync.Mutex
	delivered map[int64]int
	gate      chan struct{}
}

func newBackend() *backend {
	return &backend{delivered: map[int64]int{}, gate: make(chan struct{})}
}

func (b *backend) push(seq int64) error {
	<-b.gate
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delivered[seq]++
	return nil
}

func (b *backend) count() (distinct int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.delivered)
}

func (b *backend) missing(n int64) []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var lost []int64
	for seq := range n {
		if b.delivered[seq] == 0 {
			lost = append(lost, seq)
		}
	}
	return lost
}

// sendUntilAccepted is a receiver that holds its data until the exporter
// accepts it, as accesslog does (it keeps its offsets until then).
func sendUntilAccepted(ctx context.Context, exp exporter.Logs, seq int64) {
	for ctx.Err() == nil {
		if exp.ConsumeLogs(ctx, record(seq)) == nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fillDiskWhileQueued puts items in the queue, fills the disk while they
// wait, frees it again and returns the backend once everything sent has
// arrived or 5 s have passed.
func fillDiskWhileQueued(t *testing.T, f *fixture, storageID component.ID, items int64) *backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	be := newBackend()
	exp := logsExporter(t, storageID, be.push)
	require.NoError(t, exp.Start(ctx, f.host))

	for seq := range items / 2 {
		sendUntilAccepted(ctx, exp, seq)
	}
	f.disk.full.Store(true)
	close(be.gate) // the backend takes items while the disk is full
	var senders sync.WaitGroup
	senders.Add(1)
	go func() {
		defer senders.Done()
		for seq := items / 2; seq < items; seq++ {
			sendUntilAccepted(ctx, exp, seq)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	f.disk.full.Store(false)
	senders.Wait()
	for deadline := time.Now().Add(5 * time.Second); int64(be.count()) < items && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, exp.Shutdown(context.Background()))
	return be
}

// The defect the guard exists for, shown on the collector's own persistent
// queue: with the disk full, an item whose read bookkeeping fails is deleted.
func TestPersistentQueueOnAFullDisk(t *testing.T) {
	const items = 40
	t.Run("without the guard items are lost", func(t *testing.T) {
		f := newFixture(t, nil)
		be := fillDiskWhileQueued(t, f, fileStorageID, items)
		lost := be.missing(items)
		t.Logf("file_storage alone: %d of %d items lost: %v", len(lost), items, lost)
		assert.NotEmpty(t, lost, "the upstream defect did not show: if exporterhelper fixed it, the guard's retry is no longer needed")
	})
	t.Run("with the guard nothing is lost", func(t *testing.T) {
		f := newFixture(t, func(cfg *Config) { cfg.MinFreeMiB = 0 })
		be := fillDiskWhileQueued(t, f, guardID, items)
		assert.Empty(t, be.missing(items), "items lost behind the guard")
	})
}

// While the disk stays full the queue goes on sending what it holds (the
// reads are served without their bookkeeping), and what the disk still says
// is queued is sent again after a restart: repeats, never loss.
func TestFullDiskKeepsTheQueueSending(t *testing.T) {
	const items = 20
	f := newFixture(t, func(cfg *Config) { cfg.MinFreeMiB = 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	be := newBackend()
	exp := logsExporter(t, guardID, be.push)
	require.NoError(t, exp.Start(ctx, f.host))
	for seq := range int64(items) {
		sendUntilAccepted(ctx, exp, seq)
	}
	f.disk.full.Store(true)
	close(be.gate)
	assert.Eventually(t, func() bool { return be.count() == items }, 10*time.Second, 10*time.Millisecond,
		"the queue stopped sending on a full disk")
	require.NoError(t, exp.Shutdown(context.Background()))

	// Restart with space: items whose removal could not be written are sent again.
	f.disk.full.Store(false)
	restarted := newFixtureIn(t, f.dir, func(cfg *Config) { cfg.MinFreeMiB = 0 })
	again := logsExporter(t, guardID, be.push)
	require.NoError(t, again.Start(ctx, restarted.host))
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, again.Shutdown(context.Background()))
	assert.Empty(t, be.missing(items), "items lost")
	be.mu.Lock()
	repeats := 0
	for _, n := range be.delivered {
		repeats += n - 1
	}
	be.mu.Unlock()
	t.Logf("%d items sent on a full disk, %d sent again after the restart", items, repeats)
}

func TestDamagedDatabaseIsMovedAside(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	path := databasePaths(f.dir, component.KindExporter, exporterID, "logs")[0]
	require.NoError(t, os.WriteFile(path, []byte("this is not a bbolt database, only a damaged file"), 0o600))

	c, err := f.guard.GetClient(ctx, component.KindExporter, exporterID, "logs")
	require.NoError(t, err, "the component gets a fresh database instead of failing to start")
	require.NoError(t, c.Set(ctx, "k", []byte("v")))
	require.NoError(t, c.Close(ctx))

	aside, err := filepath.Glob(path + ".corrupt-*")
	require.NoError(t, err)
	require.Len(t, aside, 1, "the damaged file is kept next to the new one")
	kept, err := os.ReadFile(aside[0])
	require.NoError(t, err)
	assert.Contains(t, string(kept), "not a bbolt database")
}

func TestDamagedDatabaseIsLeftWhenQuarantineIsOff(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.QuarantineCorrupt = false })
	path := databasePaths(f.dir, component.KindReceiver, component.MustNewID("accesslog"), "")[0]
	require.NoError(t, os.WriteFile(path, []byte("garbage garbage garbage garbage"), 0o600))
	_, err := f.guard.GetClient(context.Background(), component.KindReceiver, component.MustNewID("accesslog"), "")
	require.Error(t, err, "file_storage refuses the damaged file")
	_, statErr := os.Stat(path)
	assert.NoError(t, statErr, "the file is left in place")
}

func TestDatabasePathsMatchFileStorage(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		kind component.Kind
		id   component.ID
		name string
	}{
		{component.KindExporter, component.MustNewIDWithName("otlp", "to/gateway"), "logs"},
		{component.KindReceiver, component.MustNewID("accesslog"), ""},
	} {
		c, err := f.disk.GetClient(ctx, tc.kind, tc.id, tc.name)
		require.NoError(t, err)
		require.NoError(t, c.Close(ctx))
		_, err = os.Stat(databasePaths(f.dir, tc.kind, tc.id, tc.name)[0])
		assert.NoError(t, err, "file_storage's file for %v %v %q", tc.kind, tc.id, tc.name)
	}
}

func TestMissingStorageExtensionIsNamed(t *testing.T) {
	f := newFixture(t, nil)
	delete(f.host.extensions, fileStorageID)
	f.guard.inner = nil
	_, err := f.guard.GetClient(context.Background(), component.KindExporter, exporterID, "logs")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"file_storage" is not configured`)
}

func TestIsNoSpace(t *testing.T) {
	assert.True(t, isNoSpace(errNoSpace))
	assert.True(t, isNoSpace(errors.New("file resize error: write /x: no space left on device")))
	assert.True(t, isNoSpace(&os.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}))
	assert.False(t, isNoSpace(errors.New("database not open")))
}
