package storageguardextension // import "github.com/redline-otel/redline/extension/storageguardextension"

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/redline-otel/redline/extension/storageguardextension/internal/dbcheck"
	"github.com/redline-otel/redline/extension/storageguardextension/internal/metadata"
)

const mib = 1 << 20

var (
	operationDispatch = metric.WithAttributeSet(attribute.NewSet(attribute.String("operation", "dispatch")))
	operationWrite    = metric.WithAttributeSet(attribute.NewSet(attribute.String("operation", "write")))
)

// guard is the storage_guard extension.
type guard struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	reserve   int64 // bytes

	// freeSpace reads the free bytes of the filesystem holding a directory
	// (a variable so that tests can fill a disk without filling one).
	freeSpace func(dir string) (int64, error)

	host  component.Host
	inner storage.Extension // resolved on the first GetClient

	free        atomic.Int64 // last free-space reading; -1 when unknown
	lastNoSpace atomic.Int64 // unix nanoseconds of the last ENOSPC, 0 if none

	statusMu sync.Mutex
	reason   string // why the status is recoverable_error; "" when ok

	doneOnce sync.Once
	done     chan struct{} // closed at shutdown: the free-space watcher ends
	wg       sync.WaitGroup
}

var (
	_ storage.Extension               = (*guard)(nil)
	_ extensioncapabilities.Dependent = (*guard)(nil)
)

func newGuard(cfg *Config, set extension.Settings) (*guard, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	g := &guard{
		cfg:       cfg,
		logger:    set.Logger,
		telemetry: tb,
		reserve:   cfg.MinFreeMiB * mib,
		freeSpace: filesystemFreeBytes,
		done:      make(chan struct{}),
	}
	g.free.Store(-1)
	return g, nil
}

// Dependencies makes the collector start the guarded extension first and
// stop it last.
func (g *guard) Dependencies() []component.ID { return []component.ID{g.cfg.Storage} }

func (g *guard) Start(_ context.Context, host component.Host) error {
	g.host = host
	if err := g.telemetry.RegisterStorageGuardFreeSpaceCallback(func(_ context.Context, o metric.Int64Observer) error {
		if free := g.free.Load(); free >= 0 {
			o.Observe(free)
		}
		return nil
	}); err != nil {
		return err
	}
	if _, err := g.readFreeSpace(); err != nil {
		g.logger.Warn("Cannot read free space; new queue items will not be refused for lack of it",
			zap.String("directory", g.cfg.Directory), zap.Error(err))
	}
	g.updateStatus()
	g.wg.Add(1)
	go g.watch()
	return nil
}

func (g *guard) Shutdown(context.Context) error {
	g.doneOnce.Do(func() { close(g.done) })
	g.wg.Wait()
	g.telemetry.Shutdown()
	return nil
}

// watch reads free space every check_interval and reports status changes.
func (g *guard) watch() {
	defer g.wg.Done()
	ticker := time.NewTicker(g.cfg.CheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-g.done:
			return
		case <-ticker.C:
			_, _ = g.readFreeSpace()
			g.updateStatus()
		}
	}
}

func (g *guard) readFreeSpace() (int64, error) {
	free, err := g.freeSpace(g.cfg.Directory)
	if err != nil {
		g.free.Store(-1)
		return -1, err
	}
	g.free.Store(free)
	return free, nil
}

// belowReserve reads free space now (a statfs, about a microsecond, paid once
// per queue item) and tells whether it is under min_free_mib.
func (g *guard) belowReserve() (bool, int64) {
	if g.reserve == 0 {
		return false, 0
	}
	free, err := g.readFreeSpace()
	return err == nil && free < g.reserve, free
}

// updateStatus reports recoverable_error while free space is below the
// reserve or a write failed for lack of space in the last two check
// intervals, and ok once neither holds.
func (g *guard) updateStatus() {
	var reason string
	if free := g.free.Load(); free >= 0 && free < g.reserve {
		reason = fmt.Sprintf("free space on %s is %.1f MiB, below min_free_mib %d: new queue items are refused",
			g.cfg.Directory, float64(free)/mib, g.cfg.MinFreeMiB)
	} else if last := g.lastNoSpace.Load(); last != 0 && time.Since(time.Unix(0, last)) < 2*g.cfg.CheckInterval {
		reason = fmt.Sprintf("a write to %s failed for lack of space", g.cfg.Directory)
	}

	g.statusMu.Lock()
	defer g.statusMu.Unlock()
	if reason == g.reason {
		return
	}
	wasDegraded := g.reason != ""
	g.reason = reason
	if g.host == nil {
		return
	}
	if reason != "" {
		if !wasDegraded {
			g.logger.Warn("Storage is short of space", zap.String("reason", reason))
		}
		componentstatus.ReportStatus(g.host, componentstatus.NewRecoverableErrorEvent(errors.New(reason)))
		return
	}
	g.logger.Info("Storage has space again", zap.String("directory", g.cfg.Directory), zap.Int64("free_bytes", g.free.Load()))
	componentstatus.ReportStatus(g.host, componentstatus.NewEvent(componentstatus.StatusOK))
}

func (g *guard) recordRefusal(ctx context.Context) {
	g.telemetry.StorageGuardRefusedWrites.Add(ctx, 1)
	g.updateStatus()
}

func (g *guard) recordNoSpace(ctx context.Context, dispatch bool) {
	g.lastNoSpace.Store(time.Now().UnixNano())
	if dispatch {
		g.telemetry.StorageGuardNoSpaceErrors.Add(ctx, 1, operationDispatch)
	} else {
		g.telemetry.StorageGuardNoSpaceErrors.Add(ctx, 1, operationWrite)
	}
	_, _ = g.readFreeSpace()
	g.updateStatus()
}

// GetClient checks the database the guarded extension is about to open for
// this component, then returns the guarded extension's client wrapped.
func (g *guard) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	inner, err := g.guarded()
	if err != nil {
		return nil, err
	}
	paths := databasePaths(g.cfg.Directory, kind, id, name)
	g.adoptRenamed(kind, id, name, paths)
	for _, path := range paths {
		g.checkDatabase(ctx, path)
	}
	client, err := inner.GetClient(ctx, kind, id, name)
	if err != nil {
		return nil, err
	}
	dbPath := ""
	for _, path := range paths {
		if _, err := os.Stat(path); err == nil {
			dbPath = path
			break
		}
	}
	return wrapClient(client, g, kind == component.KindExporter, dbPath), nil
}

func (g *guard) guarded() (storage.Extension, error) {
	if g.inner != nil {
		return g.inner, nil
	}
	if g.host == nil {
		return nil, errors.New("storage_guard: GetClient called before Start")
	}
	ext, ok := g.host.GetExtensions()[g.cfg.Storage]
	if !ok {
		return nil, fmt.Errorf("storage_guard: storage extension %q is not configured (list it under extensions and service::extensions)", g.cfg.Storage)
	}
	inner, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage_guard: extension %q is not a storage extension", g.cfg.Storage)
	}
	g.inner = inner
	return inner, nil
}

// checkDatabase moves a damaged database aside (or only reports it, when
// quarantine_corrupt is off). It never fails GetClient itself: a file it
// could not judge is left to the guarded extension.
func (g *guard) checkDatabase(ctx context.Context, path string) {
	err := dbcheck.Check(path, g.cfg.LockTimeout)
	var corrupt *dbcheck.CorruptError
	switch {
	case err == nil:
		return
	case errors.As(err, &corrupt):
	case errors.Is(err, dbcheck.ErrLocked):
		g.logger.Warn("Database is held by another process; not checked", zap.String("file", path))
		return
	default:
		g.logger.Warn("Cannot check database", zap.String("file", path), zap.Error(err))
		return
	}
	if !g.cfg.QuarantineCorrupt {
		g.logger.Error("Database is damaged and quarantine_corrupt is off: it is left in place",
			zap.String("file", path), zap.String("reason", corrupt.Reason))
		return
	}
	aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405.000Z")
	if err := os.Rename(path, aside); err != nil {
		g.logger.Error("Database is damaged and could not be moved aside", zap.String("file", path),
			zap.String("reason", corrupt.Reason), zap.Error(err))
		return
	}
	g.telemetry.StorageGuardQuarantinedFiles.Add(ctx, 1)
	g.logger.Error("Database was damaged: moved aside, starting with an empty one (what it held is read again from the source where the source still has it)",
		zap.String("file", path), zap.String("moved_to", aside), zap.String("reason", corrupt.Reason))
}

// databasePaths are the files file_storage opens for a client: the name
// kind_type_name[_storage] with every character other than [A-Za-z0-9._-]
// written as ~XXXX, or its SHA-256 when that name is too long. Should the
// naming change upstream, no file matches and nothing is checked.
func databasePaths(dir string, kind component.Kind, id component.ID, name string) []string {
	raw := fmt.Sprintf("%s_%s_%s", strings.ToLower(kind.String()), id.Type(), id.Name())
	if name != "" {
		raw += "_" + name
	}
	var b strings.Builder
	for _, r := range raw {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "~%04X", r)
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return []string{filepath.Join(dir, b.String()), filepath.Join(dir, hex.EncodeToString(sum[:]))}
}

// isNoSpace tells a full filesystem from other failures. bbolt reports a
// failed file growth with %s, so the errno is matched by text too.
func isNoSpace(err error) bool {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "no space left on device") || strings.Contains(msg, "disk quota exceeded")
}
