// Package tail follows growing line-oriented files: it finds them by glob,
// knows them by a fingerprint of their first bytes rather than by name, and
// hands out batches of lines with the offset to resume from. It moves a file's
// offset only after the handler accepted the batch, which is what makes
// at-least-once delivery possible across restarts.
//
// Rotation: a file renamed (a.log -> a.log.1) keeps its fingerprint and is
// read on to its end, whether or not the new name matches; the new a.log has
// a new fingerprint and is read from its start. A file truncated in place
// (copytruncate) is read again from 0; its copy, when matched, is read on from
// the old offset, whether the poll sees it before or after the truncation
// (see copiedFrom). A file deleted while open is read to its end; an
// unterminated last line is emitted after FlushPeriod (DeletedFlushPeriod when
// 0) without growth and the file is closed. Files ending in .gz are
// decompressed; their offsets count decompressed bytes.
//
// The package knows nothing of the collector. A Tailer is driven by one
// goroutine (Poll); Files may be called from any goroutine. Batches are
// delivered on a second goroutine while the next ones are read (see Handler).
package tail // import "github.com/redline-otel/redline/receiver/accesslogreceiver/internal/tail"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Config tunes a Tailer. Zero values are replaced by the defaults noted.
type Config struct {
	Include []string
	Exclude []string
	// StartAtBeginning reads files present at the first poll from their start
	// instead of their end. "Present" includes files that MaxOpenFiles leaves
	// for a later poll. Files that appear later are always read from the
	// start, and so is every file when checkpoints were restored.
	StartAtBeginning bool
	FingerprintSize  int           // default 1 KiB
	MaxLineSize      int           // default 1 MiB
	MaxBatchLines    int           // default 1000
	MaxBatchBytes    int           // default 1 MiB (one line may exceed it)
	MaxBytesPerPoll  int64         // per file and poll, for fairness; default 16 MiB
	FlushPeriod      time.Duration // an unterminated last line is emitted after this long without growth; 0 never
	MaxOpenFiles     int           // default 1024
	// ForgetAfter drops what is known of a file not seen for this long (default 1h).
	ForgetAfter time.Duration
}

func (c *Config) setDefaults() {
	if c.FingerprintSize <= 0 {
		c.FingerprintSize = 1024
	}
	if c.MaxLineSize <= 0 {
		c.MaxLineSize = 1 << 20
	}
	if c.MaxBatchLines <= 0 {
		c.MaxBatchLines = 1000
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = 1 << 20
	}
	if c.MaxBytesPerPoll <= 0 {
		c.MaxBytesPerPoll = 16 << 20
	}
	if c.MaxOpenFiles <= 0 {
		c.MaxOpenFiles = 1024
	}
	if c.ForgetAfter <= 0 {
		c.ForgetAfter = time.Hour
	}
}

// Line is one line of a Batch.
type Line struct {
	Start, End int   // the line's bytes are Batch.Data[Start:End], without "\n"
	Offset     int64 // where the line starts in the file (decompressed for .gz)
	Truncated  bool  // the line was longer than MaxLineSize and was cut
}

// Batch is a run of consecutive lines of one file. It is reused: a handler
// must not keep it, or Data, after Stage returns.
type Batch struct {
	Path  string
	Data  []byte
	Lines []Line
	// StartOffset and EndOffset delimit the bytes this batch accounts for
	// (including the cut-off parts of over-long lines); EndOffset is the
	// file's offset once the batch is accepted.
	StartOffset, EndOffset int64
}

// FileStatus describes a tracked file for monitoring.
type FileStatus struct {
	Path   string
	Offset int64
	Size   int64 // -1 when unknown (.gz)
	Open   bool
}

// Lag is the number of bytes not yet read.
func (f FileStatus) Lag() int64 {
	if f.Size < 0 || f.Size < f.Offset {
		return 0
	}
	return f.Size - f.Offset
}

// FileError is a matched file that could not be read.
type FileError struct {
	Path string
	Err  error
}

func (e FileError) Error() string { return fmt.Sprintf("read %s: %v", e.Path, e.Err) }

func (e FileError) Unwrap() error { return e.Err }

// Handler receives batches and saves checkpoints.
//
// Stage runs on the polling goroutine and turns b (reused once it returns)
// into a self-contained delivery. The Tailer runs the deliveries on one
// other goroutine, strictly in the order they were staged, with at most
// PipelineDepth of them staged and not yet accepted, and moves a file's
// offset (what Files shows and Commit saves) only once its delivery returned
// nil (a nil delivery has nothing to send and is accepted in its turn). A
// delivery retries on its own and returns an error only when ctx is done;
// the deliveries staged after a failed one, or not started when ctx is done,
// are abandoned, and their lines are read again by the next Poll (or after a
// restart).
//
// Every Poll waits for its deliveries before it returns, and also before
// anything but reading changes what is known of a file (a finished .gz, a
// file that no longer matches being let go), so the file matching of the
// next Poll works on accepted offsets only.
type Handler interface {
	Stage(b *Batch) (deliver func(ctx context.Context) error)
	// Commit hands over every known file, so that the caller can persist
	// them. It is called only with offsets of accepted batches: at the end of
	// every poll that changed anything and, within a poll, after a batch once
	// the bytes accepted since the last commit reach 1/commitRatio of the
	// size of the checkpoints (so saving writes at most commitRatio times
	// what was read; with a few files that is after every batch) or
	// CommitInterval passed. With 200 busy files that is a few commits per
	// poll instead of one per file. A crash repeats at most what was accepted
	// since the last commit. Persisting is best effort: a failure means that
	// a restart repeats lines, never that it loses them.
	Commit(ctx context.Context, cps []Checkpoint)
}

// PipelineDepth bounds the batches staged and not yet accepted: one being
// delivered and one waiting, while Stage builds the next.
const PipelineDepth = 2

// Tailer follows the files that match a Config.
type Tailer struct {
	cfg     Config
	h       Handler
	now     func() time.Time
	open    func(string) (*os.File, error)
	files   []*file
	polled  bool
	pollNum uint64
	rr      int // round-robin start when more files match than may be open
	restore bool
	// startup holds the files matched at the first poll but left for a later
	// one by max_concurrent_files, by path with their inode: start_at end
	// applies to them too. Neither a file renamed onto the name nor a new
	// file reusing the inode counts.
	startup map[string]fileID
	sc      *scanner
	batch   Batch
	// batchSkipping is the scanner's skipping state where batch starts.
	batchSkipping bool

	pipe *pipeline // the deliveries of the current Poll; nil when none started

	// Checkpoint bookkeeping: dirty when what Checkpoints returns changed
	// since the last Commit; uncommitted counts the bytes accepted since.
	dirty       bool
	uncommitted int64
	lastCommit  time.Time

	mu     sync.Mutex
	status []FileStatus
}

// Option changes a Tailer for tests.
type Option func(*Tailer)

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(t *Tailer) { t.now = now } }

// WithOpen replaces os.Open.
func WithOpen(open func(string) (*os.File, error)) Option {
	return func(t *Tailer) { t.open = open }
}

// New returns a Tailer that delivers to h.
func New(cfg Config, h Handler, opts ...Option) *Tailer {
	cfg.setDefaults()
	t := &Tailer{cfg: cfg, h: h, now: time.Now, open: os.Open}
	for _, o := range opts {
		o(t)
	}
	t.sc = newScanner(make([]byte, cfg.MaxLineSize+64<<10), cfg.MaxLineSize)
	t.lastCommit = t.now()
	return t
}

// DeletedFlushPeriod is how long a file that no longer matches (deleted or
// renamed away) is held open for its writer to finish an unterminated last
// line when FlushPeriod is 0.
const DeletedFlushPeriod = time.Second

// Files returns the tracked files. Safe for concurrent use.
func (t *Tailer) Files() []FileStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]FileStatus(nil), t.status...)
}

func (t *Tailer) publish() {
	st := make([]FileStatus, 0, len(t.files))
	for _, f := range t.files {
		size := f.size
		if f.gz() {
			size = -1
		}
		st = append(st, FileStatus{Path: f.path, Offset: f.offset, Size: size, Open: f.f != nil})
	}
	t.mu.Lock()
	t.status = st
	t.mu.Unlock()
}

// Close closes every open file.
func (t *Tailer) Close() error {
	var errs error
	for _, f := range t.files {
		if f.f != nil {
			errs = errors.Join(errs, f.f.Close())
			f.f = nil
		}
	}
	t.publish()
	return errs
}

// Poll reads what is new in every matched file. It returns the files that
// could not be read, whether it stopped early with more to read (call again
// without waiting), and a non-nil error only when the handler failed (the
// poll was abandoned; offsets stay where the last accepted batch left them).
func (t *Tailer) Poll(ctx context.Context) (fileErrs []FileError, more bool, err error) {
	now := t.now()
	t.pollNum++
	defer t.publish()
	// Also after a handler error: the batches accepted before it are saved.
	defer func() {
		if ferr := t.stopPipeline(ctx); ferr != nil && err == nil {
			err, more = ferr, false
		}
		if t.dirty {
			t.commit(ctx)
		}
	}()

	paths, fileErrs := t.match()
	if !t.polled && !t.restore && !t.cfg.StartAtBeginning {
		t.startup = map[string]fileID{}
	}
	paths, deferred := t.window(paths)
	cands, inspectErrs := t.inspectAll(paths)
	fileErrs = append(fileErrs, inspectErrs...)
	dedupe(cands)
	t.track(cands, now)
	active := t.active()
	t.polled = true
	t.publish() // show what is open before reading, which may block in the handler

	if err := t.drainUnmatched(ctx, deferred, now); err != nil {
		return fileErrs, false, err
	}
	more, readErrs, err := t.readActive(ctx, active, now)
	fileErrs = append(fileErrs, readErrs...)
	if err != nil {
		return fileErrs, false, err
	}
	t.forget(now)
	return fileErrs, more, nil
}
