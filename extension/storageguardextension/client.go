package storageguardextension // import "github.com/redline-otel/redline/extension/storageguardextension"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
)

// client wraps a storage client of the guarded extension.
//
// The collector's persistent queue (exporterhelper v0.158.0 to v0.165.0) writes a new
// item as one batch of sets (item and metadata), reads one as a batch that
// sets the metadata and gets the item, and finishes one with a set and a
// delete. If the read batch fails, the queue deletes the item: a full disk
// would turn into lost data. So, for exporters' clients, new items that grow
// the database file are refused below the reserve (the producer retries
// them), and a read whose metadata write fails for lack of space is served
// without that write: the item is sent, and what is on disk still says it is
// queued, so a crash before the bookkeeping catches up repeats it instead of
// losing it. Waiting for space instead would hold the queue's lock, which
// also stalls the collector's telemetry, and would never end when the queue
// itself filled the disk, since only sending frees it.
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

	warnMu   sync.Mutex
	lastWarn time.Time
}

// walkerClient keeps storage.Walker visible when the guarded client has it.
type walkerClient struct {
	*client
	walker storage.Walker
}

func (c walkerClient) Walk(ctx context.Context, fn storage.WalkFunc) error {
	return c.walker.Walk(ctx, fn)
}

func wrapClient(inner storage.Client, g *guard, queue bool, dbPath string) storage.Client {
	c := &client{Client: inner, guard: g, queue: queue, dbPath: dbPath}
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

func (c *client) Batch(ctx context.Context, ops ...*storage.Operation) error {
	reads, writes, onlySets, deletes := classify(ops)
	if c.queue && onlySets {
		return c.addItem(ctx, ops)
	}
	err := c.Client.Batch(ctx, ops...)
	switch {
	case err == nil:
		if deletes {
			c.setGrowing(false) // pages inside the file were freed
		}
		return nil
	case c.queue && reads && writes && isNoSpace(err):
		return c.readWithoutBookkeeping(ctx, ops, err)
	default:
		return c.noSpace(ctx, err)
	}
}

// addItem stores a new queue item. Above the reserve it is written. Below it,
// the item is written only if the file did not grow with the previous one: a
// database that drained keeps its pages, and new items fill them without
// taking disk, whatever the filesystem's free space says. So the reserve can
// be overrun by one item at most, which is why it should be several items
// large.
func (c *client) addItem(ctx context.Context, ops []*storage.Operation) error {
	below, free := c.guard.belowReserve()
	if !below {
		c.setGrowing(false)
		return c.write(ctx, ops)
	}
	c.growMu.Lock()
	defer c.growMu.Unlock()
	if c.growing || c.dbPath == "" {
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
	return c.noSpace(ctx, c.Client.Batch(ctx, ops...))
}

// noSpace counts a failure for lack of space and marks it as
// storage.ErrStorageFull; other errors (and nil) pass unchanged.
func (c *client) noSpace(ctx context.Context, err error) error {
	if err == nil || !isNoSpace(err) {
		return err
	}
	c.guard.recordNoSpace(ctx, false)
	return fmt.Errorf("%w: %w", storage.ErrStorageFull, err)
}

func (c *client) setGrowing(growing bool) {
	c.growMu.Lock()
	c.growing = growing
	c.growMu.Unlock()
}

// readWithoutBookkeeping serves a queue read whose metadata write failed for
// lack of space with the gets alone.
func (c *client) readWithoutBookkeeping(ctx context.Context, ops []*storage.Operation, cause error) error {
	c.guard.recordNoSpace(ctx, true)
	var gets []*storage.Operation
	for _, op := range ops {
		if op.Type == storage.Get {
			op.Value = nil
			gets = append(gets, op)
		}
	}
	if err := c.Client.Batch(ctx, gets...); err != nil {
		return errors.Join(cause, err)
	}
	c.warnMu.Lock()
	defer c.warnMu.Unlock()
	if time.Since(c.lastWarn) >= time.Minute {
		c.lastWarn = time.Now()
		c.guard.logger.Warn("No space for the queue's bookkeeping: items are sent without it (after a crash now they would be sent again)",
			zap.Error(cause))
	}
	return nil
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
