package storageguardextension // import "github.com/redline-otel/redline/extension/storageguardextension"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
)

// errFrozen is returned for every write of a client that gave up a queue
// read: writing then could delete the item that read was for.
var errFrozen = errors.New("storage_guard: client stopped writing after a queue read failed for lack of space; the queue's items stay on disk for the next start")

// client wraps a storage client of the guarded extension.
//
// The collector's persistent queue (exporterhelper v0.158.0) writes a new
// item as one batch of sets (item and metadata), reads one as a batch that
// sets the metadata and gets the item, and finishes one with a set and a
// delete. If the read batch fails, the queue deletes the item: a full disk
// would turn into lost data. So, for exporters' clients, new items that grow
// the database file are refused below the reserve (the producer retries
// them), and a batch that both reads and writes is retried until it succeeds
// instead of failing.
type client struct {
	storage.Client
	guard  *guard
	queue  bool   // an exporter's client: its set-only batches are new queue items
	dbPath string // the database file, "" when not found

	// growing is set when, below the reserve, a new item made the database
	// file take more disk: the items after it are refused until a delete
	// frees pages inside the file (new items then reuse them, taking no disk).
	growMu  sync.Mutex
	growing bool

	frozen    atomic.Bool
	closeOnce sync.Once
	closed    chan struct{}
}

// walkerClient keeps storage.Walker visible when the guarded client has it.
type walkerClient struct {
	*client
	walker storage.Walker
}

func (c walkerClient) Walk(ctx context.Context, fn storage.WalkFunc) error {
	if c.frozen.Load() {
		return errFrozen
	}
	return c.walker.Walk(ctx, fn)
}

func wrapClient(inner storage.Client, g *guard, queue bool, dbPath string) storage.Client {
	c := &client{Client: inner, guard: g, queue: queue, dbPath: dbPath, closed: make(chan struct{})}
	if w, ok := inner.(storage.Walker); ok {
		return walkerClient{client: c, walker: w}
	}
	return c
}

func (c *client) Set(ctx context.Context, key string, value []byte) error {
	return c.Batch(ctx, storage.SetOperation(key, value))
}

func (c *client) Delete(ctx context.Context, key string) error {
	return c.Batch(ctx, storage.DeleteOperation(key))
}

func (c *client) Close(ctx context.Context) error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Client.Close(ctx)
}

func (c *client) Batch(ctx context.Context, ops ...*storage.Operation) error {
	reads, writes, onlySets, deletes := classify(ops)
	if writes && c.frozen.Load() {
		return errFrozen
	}
	if c.queue && onlySets {
		return c.addItem(ctx, ops)
	}
	err := c.Client.Batch(ctx, ops...)
	if err == nil {
		if deletes {
			c.setGrowing(false) // pages inside the file were freed
		}
		return nil
	}
	if !isNoSpace(err) {
		return err
	}
	if !(reads && writes) {
		c.guard.recordNoSpace(ctx, false)
		return fmt.Errorf("%w: %w", storage.ErrStorageFull, err)
	}
	return c.retryUntilStored(ctx, ops, err)
}

// addItem stores a new queue item. Above the reserve it is written. Below it,
// the item is written only if the file did not grow with the previous one
// and the space left could take it twice over: a database that drained keeps
// its pages, and new items fill them without taking disk, whatever the
// filesystem's free space says.
func (c *client) addItem(ctx context.Context, ops []*storage.Operation) error {
	below, free := c.guard.belowReserve()
	if !below {
		c.setGrowing(false)
		return c.write(ctx, ops)
	}
	c.growMu.Lock()
	defer c.growMu.Unlock()
	// An item is tried only while the space left could take it twice over:
	// the queue's bookkeeping must still fit after it.
	if c.growing || c.dbPath == "" || free < 2*batchBytes(ops) {
		c.guard.recordRefusal(ctx)
		return fmt.Errorf("%w: %.1f MiB free on %s, below min_free_mib %d; the item is refused so that its sender retries it",
			storage.ErrStorageFull, float64(free)/mib, c.guard.cfg.Directory, c.guard.cfg.MinFreeMiB)
	}
	before, statErr := allocatedBytes(c.dbPath)
	if err := c.write(ctx, ops); err != nil {
		c.growing = c.growing || errors.Is(err, storage.ErrStorageFull)
		return err
	}
	if after, err := allocatedBytes(c.dbPath); statErr != nil || err != nil || after > before {
		c.growing = true
	}
	return nil
}

func (c *client) write(ctx context.Context, ops []*storage.Operation) error {
	err := c.Client.Batch(ctx, ops...)
	if err != nil && isNoSpace(err) {
		c.guard.recordNoSpace(ctx, false)
		return fmt.Errorf("%w: %w", storage.ErrStorageFull, err)
	}
	return err
}

func (c *client) setGrowing(growing bool) {
	c.growMu.Lock()
	c.growing = growing
	c.growMu.Unlock()
}

// retryUntilStored retries a batch that reads and writes with backoff until
// it succeeds. It gives up only when the collector stops, the client is
// closed or ctx ends; the client then refuses every later write, so that
// what is on disk is the queue as it was before the failed read.
func (c *client) retryUntilStored(ctx context.Context, ops []*storage.Operation, err error) error {
	c.guard.recordNoSpace(ctx, true)
	logger := c.guard.logger
	logger.Warn("A queue read failed for lack of space; retrying until space is freed (new items wait meanwhile)", zap.Error(err))
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return c.giveUp(errors.Join(err, ctx.Err()))
		case <-c.closed:
			timer.Stop()
			return c.giveUp(err)
		case <-c.guard.stopping:
			timer.Stop()
			return c.giveUp(err)
		}
		for _, op := range ops {
			if op.Type == storage.Get {
				op.Value = nil
			}
		}
		err = c.Client.Batch(ctx, ops...)
		if err == nil {
			logger.Info("Queue read succeeded after space was freed", zap.Int("attempts", attempt+1))
			return nil
		}
		if !isNoSpace(err) {
			return c.giveUp(err)
		}
		c.guard.recordNoSpace(ctx, true)
		wait = min(2*wait, c.guard.cfg.MaxRetryInterval)
	}
}

func (c *client) giveUp(err error) error {
	c.frozen.Store(true)
	c.guard.logger.Error("Gave up a queue read that failed for lack of space; this queue stops writing so that its items stay on disk and are sent after the next start",
		zap.Error(err))
	return fmt.Errorf("%w: %w", storage.ErrStorageFull, err)
}

// classify tells whether ops read (a get), write (a set or a delete), are
// sets only, and delete.
func classify(ops []*storage.Operation) (reads, writes, onlySets, deletes bool) {
	onlySets = len(ops) > 0
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			reads = true
			onlySets = false
		case storage.Set:
			writes = true
		case storage.Delete:
			writes = true
			deletes = true
			onlySets = false
		}
	}
	return reads, writes, onlySets, deletes
}

// batchBytes is the size of the keys and values a batch sets.
func batchBytes(ops []*storage.Operation) int64 {
	var n int64
	for _, op := range ops {
		n += int64(len(op.Key) + len(op.Value))
	}
	return n
}
