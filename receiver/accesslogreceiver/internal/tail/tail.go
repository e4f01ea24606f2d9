// Package tail follows growing line-oriented files: it finds them by glob,
// knows them by a fingerprint of their first bytes rather than by name, and
// hands out batches of lines with the offset to resume from. It moves a file's
// offset only after the handler accepted the batch, which is what makes
// at-least-once delivery possible across restarts.
//
// Rotation: a file renamed (a.log -> a.log.1) keeps its fingerprint and is
// read on to its end, whether or not the new name matches; the new a.log has
// a new fingerprint and is read from its start. A file truncated in place
// (copytruncate) is read again from 0. A file deleted while open is read to
// its end. Files ending in .gz are decompressed; their offsets count
// decompressed bytes.
//
// The package knows nothing of the collector. A Tailer is driven by one
// goroutine (Poll); Files may be called from any goroutine.
package tail // import "github.com/redline-otel/redline/receiver/accesslogreceiver/internal/tail"

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Config tunes a Tailer. Zero values are replaced by the defaults noted.
type Config struct {
	Include []string
	Exclude []string
	// StartAtBeginning reads files present at the first poll from their start
	// instead of their end. Files that appear later are always read from the start,
	// and so is every file when checkpoints were restored.
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
// must not keep it, or Data, after Consume returns.
type Batch struct {
	Path  string
	Data  []byte
	Lines []Line
	// StartOffset and EndOffset delimit the bytes this batch accounts for
	// (including the cut-off parts of over-long lines); EndOffset is the
	// file's offset once the batch is accepted.
	StartOffset, EndOffset int64
}

// Checkpoint is what must be stored to find a file again after a restart.
type Checkpoint struct {
	Fingerprint []byte    `json:"fp"`
	Offset      int64     `json:"offset"`
	Path        string    `json:"path"`
	Skipping    bool      `json:"skipping,omitempty"`
	GzipSize    int64     `json:"gzip_size,omitempty"` // compressed size read to its end
	LastSeen    time.Time `json:"last_seen"`
	Dev         uint64    `json:"dev,omitempty"`
	Ino         uint64    `json:"ino,omitempty"`
}

// fileID is a file's device and inode; zero when unknown.
type fileID struct{ Dev, Ino uint64 }

func (id fileID) known() bool { return id != fileID{} }

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

// Handler receives batches.
type Handler interface {
	// Consume delivers a batch. nil means accepted: the offset moves past it.
	// An error aborts the poll without moving the offset; the handler is
	// expected to retry on its own and return an error only on shutdown.
	Consume(ctx context.Context, b *Batch) error
	// Commit is called after an offset moved, with every known file, so that
	// the caller can persist them. Persisting is best effort: a failure
	// means that a restart repeats lines, never that it loses them.
	Commit(ctx context.Context, cps []Checkpoint)
}

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
	sc      *scanner
	batch   Batch

	mu     sync.Mutex
	status []FileStatus
}

type file struct {
	id         fileID // zero for a file known only by fingerprint
	restored   bool   // from a checkpoint and not seen since
	path       string
	fp         []byte
	offset     int64
	skipping   bool
	gzipSize   int64
	f          *os.File
	size       int64
	lastGrowth time.Time
	lastSeen   time.Time
	matched    uint64 // poll number of the last match
}

func (f *file) gz() bool { return strings.HasSuffix(f.path, ".gz") }

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
	return t
}

// Restore loads checkpoints saved by an earlier run. Call it before the first Poll.
func (t *Tailer) Restore(cps []Checkpoint) {
	for _, cp := range cps {
		if len(cp.Fingerprint) == 0 {
			continue
		}
		seen := cp.LastSeen
		if seen.IsZero() {
			seen = t.now()
		}
		t.files = append(t.files, &file{
			id: fileID{Dev: cp.Dev, Ino: cp.Ino}, restored: true,
			path: cp.Path, fp: cp.Fingerprint, offset: cp.Offset, skipping: cp.Skipping,
			gzipSize: cp.GzipSize, size: -1, lastSeen: seen,
		})
	}
	t.restore = len(t.files) > 0
	t.publish()
}

// Checkpoints returns what Restore needs.
func (t *Tailer) Checkpoints() []Checkpoint {
	cps := make([]Checkpoint, 0, len(t.files))
	for _, f := range t.files {
		cps = append(cps, Checkpoint{
			Fingerprint: f.fp, Offset: f.offset, Path: f.path, Skipping: f.skipping,
			GzipSize: f.gzipSize, LastSeen: f.lastSeen, Dev: f.id.Dev, Ino: f.id.Ino,
		})
	}
	return cps
}

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

type candidate struct {
	id   fileID
	path string
	f    *os.File
	fp   []byte
	size int64
}

// Poll reads what is new in every matched file. It returns the files that
// could not be read, whether it stopped early with more to read (call again
// without waiting), and a non-nil error only when the handler failed (the
// poll was abandoned; offsets stay where the last accepted batch left them).
func (t *Tailer) Poll(ctx context.Context) (fileErrs []FileError, more bool, err error) {
	now := t.now()
	t.pollNum++
	defer t.publish()

	paths, globErrs := t.match()
	fileErrs = append(fileErrs, globErrs...)
	deferred := map[string]bool{}
	if len(paths) > t.cfg.MaxOpenFiles {
		start := t.rr % len(paths)
		window := make([]string, 0, t.cfg.MaxOpenFiles)
		for i := 0; i < len(paths); i++ {
			p := paths[(start+i)%len(paths)]
			if i < t.cfg.MaxOpenFiles {
				window = append(window, p)
			} else {
				deferred[p] = true
			}
		}
		t.rr = start + t.cfg.MaxOpenFiles
		paths = window
	}

	cands := make([]candidate, 0, len(paths))
	for _, p := range paths {
		c, ok, ferr := t.inspect(p)
		if ferr != nil {
			fileErrs = append(fileErrs, FileError{Path: p, Err: ferr})
			continue
		}
		if ok {
			cands = append(cands, c)
		}
	}
	// Two names for one file (a hard link, a symlink): read it once.
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].path < cands[j].path })
	for i := 0; i < len(cands); i++ {
		for j := 0; j < i; j++ {
			if cands[j].f != nil && cands[i].id.known() && cands[i].id == cands[j].id {
				_ = cands[i].f.Close()
				cands[i].f = nil
				break
			}
		}
	}

	// Match candidates to what is known: first by inode (a renamed file keeps
	// it), then by fingerprint for files known only by fingerprint (what was in
	// a file before it was truncated, to be found in its copy).
	var active []*file
	matchedTo := make([]*file, len(cands))
	present := make(map[fileID]bool, len(cands))
	for _, c := range cands {
		if c.f != nil && c.id.known() {
			present[c.id] = true
		}
	}
	for i, c := range cands {
		if c.f == nil || !c.id.known() {
			continue
		}
		for _, f := range t.files {
			if f.matched != t.pollNum && f.id == c.id {
				matchedTo[i] = f
				f.matched = t.pollNum
				break
			}
		}
	}
	for i, c := range cands {
		if c.f == nil {
			continue
		}
		f := matchedTo[i]
		if f == nil {
			f = t.findByFingerprint(c, present)
		} else if !c.gz() && (c.size < f.offset || !fpConsistent(f.fp, c.fp)) {
			// Truncated or rewritten in place (copytruncate). What we knew of
			// the old content stays known by fingerprint, so that a copy of it
			// is read on from where we were rather than again.
			if f.offset > 0 {
				t.files = append(t.files, &file{
					path: f.path, fp: f.fp, offset: f.offset, skipping: f.skipping,
					size: -1, lastSeen: now,
				})
			}
			f.fp, f.offset, f.skipping = c.fp, 0, false
		}
		if f == nil && c.gz() && t.compressedCopyOfActive(c) {
			// Being compressed while the original is still there (or kept
			// with gzip -k): the original is read; the archive would repeat it.
			_ = c.f.Close()
			continue
		}
		if f == nil {
			f = &file{path: c.path, fp: c.fp, size: -1}
			if !t.polled && !t.restore && !t.cfg.StartAtBeginning {
				t.seekEnd(f, c)
			}
			t.files = append(t.files, f)
		} else {
			if f.f != nil && f.f != c.f {
				_ = f.f.Close()
			}
			if len(c.fp) > len(f.fp) {
				f.fp = c.fp
			}
		}
		f.id, f.f, f.path, f.matched, f.lastSeen, f.restored = c.id, c.f, c.path, t.pollNum, now, false
		if c.size != f.size {
			f.size, f.lastGrowth = c.size, now
		}
	}
	// Read in the order files were found, so that a rotated file is finished
	// before its successor is started.
	for _, f := range t.files {
		if f.matched == t.pollNum && f.f != nil {
			active = append(active, f)
		}
	}
	t.polled = true
	t.publish() // show what is open before reading, which may block in the handler

	// Files open since an earlier poll that no longer match (deleted, or renamed
	// out of the include): read them to their end, then let go.
	for _, f := range t.files {
		if f.f == nil || f.matched == t.pollNum {
			continue
		}
		if deferred[f.path] {
			_ = f.f.Close()
			f.f = nil
			continue
		}
		keep, derr := t.drain(ctx, f, now)
		if derr != nil {
			return fileErrs, false, derr
		}
		if !keep {
			_ = f.f.Close()
			f.f = nil
		}
	}

	for _, f := range active {
		full, rerr := t.read(ctx, f, now, false)
		if rerr != nil {
			var fe FileError
			if errors.As(rerr, &fe) {
				fileErrs = append(fileErrs, fe)
				continue
			}
			return fileErrs, false, rerr
		}
		more = more || full
	}

	t.forget(now)
	return fileErrs, more, nil
}

// match returns the paths matched by Include and not by Exclude, sorted.
func (t *Tailer) match() ([]string, []FileError) {
	seen := map[string]bool{}
	var out []string
	var errs []FileError
	for _, pat := range t.cfg.Include {
		ms, err := filepath.Glob(pat)
		if err != nil {
			errs = append(errs, FileError{Path: pat, Err: err})
			continue
		}
		for _, m := range ms {
			if seen[m] || t.excluded(m) {
				continue
			}
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out, errs
}

func (t *Tailer) excluded(p string) bool {
	for _, ex := range t.cfg.Exclude {
		if ok, _ := filepath.Match(ex, p); ok {
			return true
		}
		if ok, _ := filepath.Match(ex, filepath.Base(p)); ok && !strings.Contains(ex, string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// inspect opens p and reads its fingerprint. ok is false for something to
// skip silently (a directory, an empty file).
func (t *Tailer) inspect(p string) (candidate, bool, error) {
	f, err := t.open(p)
	if err != nil {
		return candidate{}, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return candidate{}, false, err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		_ = f.Close()
		return candidate{}, false, nil
	}
	var fp []byte
	if strings.HasSuffix(p, ".gz") {
		// The decompressed head: it equals the head of the file that was
		// compressed, which is how a rotated-then-compressed file is recognised.
		var ok bool
		fp, ok, err = gzipHead(f, fi.Size(), t.cfg.FingerprintSize)
		if err != nil || !ok {
			_ = f.Close()
			return candidate{}, false, err
		}
	} else {
		fp = make([]byte, min(int64(t.cfg.FingerprintSize), fi.Size()))
		if _, err := f.ReadAt(fp, 0); err != nil && !errors.Is(err, io.EOF) {
			_ = f.Close()
			return candidate{}, false, err
		}
	}
	return candidate{id: idOf(fi), path: p, f: f, fp: fp, size: fi.Size()}, true, nil
}

// gzipHead returns up to n decompressed leading bytes of a gzip file; ok is
// false while not even that can be read (a file still being written).
func gzipHead(f *os.File, size int64, n int) (head []byte, ok bool, err error) {
	zr, err := gzip.NewReader(io.NewSectionReader(f, 0, size))
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false, nil
		}
		return nil, false, err
	}
	defer zr.Close()
	head = make([]byte, n)
	k, err := io.ReadFull(zr, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, false, err
	}
	return head[:k], k > 0, nil
}

// findByFingerprint returns the file known only by fingerprint that c
// continues, or nil. A fingerprint that is a prefix of c's (the file grew)
// or has c's as a prefix matches; the longest match wins. Files known by
// inode take part only when their inode is nowhere to be seen and either
// they were restored from a checkpoint (a volume mounted again gets a new
// device number) or c is a .gz (the file was rotated and compressed: its
// offset counts the same bytes as the archive's decompressed offset).
func (t *Tailer) findByFingerprint(c candidate, present map[fileID]bool) *file {
	var best *file
	bestLen := -1
	for _, f := range t.files {
		if f.matched == t.pollNum || len(f.fp) == 0 || !fpConsistent(f.fp, c.fp) {
			continue
		}
		if f.id.known() && (present[f.id] || !(f.restored || c.gz() && !f.gz())) {
			continue
		}
		l := min(len(f.fp), len(c.fp))
		if f.path == c.path {
			l += 1 << 30
		}
		if l > bestLen {
			best, bestLen = f, l
		}
	}
	if best != nil && !c.gz() && c.size < best.offset {
		best.offset, best.skipping = 0, false
	}
	return best
}

// compressedCopyOfActive reports whether c, a .gz, holds the content of a
// plain file matched in this poll.
func (t *Tailer) compressedCopyOfActive(c candidate) bool {
	for _, f := range t.files {
		if f.matched == t.pollNum && !f.gz() && len(f.fp) > 0 && fpConsistent(f.fp, c.fp) {
			return true
		}
	}
	return false
}

func fpConsistent(a, b []byte) bool { return bytes.HasPrefix(a, b) || bytes.HasPrefix(b, a) }

func (c candidate) gz() bool { return strings.HasSuffix(c.path, ".gz") }

// seekEnd starts f at the end of the last complete line of c, so that a line
// being written at startup is read whole.
func (t *Tailer) seekEnd(f *file, c candidate) {
	if strings.HasSuffix(c.path, ".gz") {
		f.gzipSize = c.size // an existing archive counts as read
		return
	}
	const tailSize = 64 << 10
	from := max(0, c.size-tailSize)
	buf := make([]byte, c.size-from)
	n, _ := c.f.ReadAt(buf, from)
	if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
		f.offset = from + int64(i) + 1
		return
	}
	f.offset = c.size
}

// drain reads a file that no longer matches. It returns keep=true while an
// unterminated last line might still be completed by its writer.
func (t *Tailer) drain(ctx context.Context, f *file, now time.Time) (keep bool, err error) {
	fi, serr := f.f.Stat()
	if serr != nil {
		return false, nil
	}
	head := make([]byte, len(f.fp))
	n, _ := f.f.ReadAt(head, 0)
	if !f.gz() && (fi.Size() < f.offset || !bytes.Equal(head[:n], f.fp)) {
		// Overwritten or truncated since: what is there now is not ours to read.
		return false, nil
	}
	if fi.Size() != f.size {
		f.size, f.lastGrowth = fi.Size(), now
	}
	final := t.cfg.FlushPeriod > 0 && now.Sub(f.lastGrowth) >= t.cfg.FlushPeriod
	if _, err := t.read(ctx, f, now, final); err != nil {
		var fe FileError
		if errors.As(err, &fe) {
			return false, nil
		}
		return false, err
	}
	// Keep it while a partial line may still be completed.
	if !f.gz() && f.offset < f.size && !final {
		return true, nil
	}
	return false, nil
}

// read delivers f's new lines. full reports that it stopped at MaxBytesPerPoll.
func (t *Tailer) read(ctx context.Context, f *file, now time.Time, final bool) (full bool, err error) {
	if f.gz() {
		return false, t.readGzip(ctx, f)
	}
	if f.offset >= f.size {
		return false, nil
	}
	limit := f.offset + t.cfg.MaxBytesPerPoll
	sc := t.sc
	sc.reset(io.NewSectionReader(f.f, f.offset, 1<<62), f.offset, f.skipping)
	b := t.startBatch(f)
	for {
		line, off, truncated, ok := sc.next()
		if !ok {
			break
		}
		t.add(b, line, off, truncated)
		if t.batchFull(b) {
			if err := t.deliver(ctx, f, sc); err != nil {
				return false, err
			}
			b = t.startBatch(f)
			if sc.pos >= limit {
				return true, nil
			}
		}
	}
	if sc.err != nil {
		if err := t.deliver(ctx, f, sc); err != nil {
			return false, err
		}
		return false, FileError{Path: f.path, Err: sc.err}
	}
	if p, off := sc.pending(); len(p) > 0 && !sc.skipping {
		flush := final || (t.cfg.FlushPeriod > 0 && now.Sub(f.lastGrowth) >= t.cfg.FlushPeriod)
		if flush {
			t.add(b, p, off, false)
			sc.consumePending()
		}
	}
	return false, t.deliver(ctx, f, sc)
}

func (t *Tailer) readGzip(ctx context.Context, f *file) error {
	fi, err := f.f.Stat()
	if err != nil {
		return FileError{Path: f.path, Err: err}
	}
	if fi.Size() == f.gzipSize {
		return nil
	}
	zr, err := gzip.NewReader(io.NewSectionReader(f.f, 0, fi.Size()))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil // still being written
		}
		return FileError{Path: f.path, Err: err}
	}
	defer zr.Close()
	if _, err := io.CopyN(io.Discard, zr, f.offset); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil
		}
		return FileError{Path: f.path, Err: err}
	}
	sc := t.sc
	sc.reset(zr, f.offset, f.skipping)
	b := t.startBatch(f)
	for {
		line, off, truncated, ok := sc.next()
		if !ok {
			break
		}
		t.add(b, line, off, truncated)
		if t.batchFull(b) {
			if err := t.deliver(ctx, f, sc); err != nil {
				return err
			}
			b = t.startBatch(f)
		}
	}
	if sc.err != nil {
		if err := t.deliver(ctx, f, sc); err != nil {
			return err
		}
		if errors.Is(sc.err, io.ErrUnexpectedEOF) {
			return nil // an archive still being written: the rest comes later
		}
		return FileError{Path: f.path, Err: sc.err}
	}
	// A complete archive: its last line is complete too.
	if p, off := sc.pending(); len(p) > 0 && !sc.skipping {
		t.add(b, p, off, false)
		sc.consumePending()
	}
	if err := t.deliver(ctx, f, sc); err != nil {
		return err
	}
	f.gzipSize = fi.Size()
	t.h.Commit(ctx, t.Checkpoints())
	return nil
}

func (t *Tailer) startBatch(f *file) *Batch {
	b := &t.batch
	b.Path = f.path
	b.Data = b.Data[:0]
	b.Lines = b.Lines[:0]
	b.StartOffset = f.offset
	return b
}

func (*Tailer) add(b *Batch, line []byte, off int64, truncated bool) {
	start := len(b.Data)
	b.Data = append(b.Data, line...)
	b.Lines = append(b.Lines, Line{Start: start, End: len(b.Data), Offset: off, Truncated: truncated})
}

func (t *Tailer) batchFull(b *Batch) bool {
	return len(b.Lines) >= t.cfg.MaxBatchLines || len(b.Data) >= t.cfg.MaxBatchBytes
}

// deliver hands the batch to the handler and, once accepted, moves f to where
// the scanner stands.
func (t *Tailer) deliver(ctx context.Context, f *file, sc *scanner) error {
	b := &t.batch
	if sc.pos == f.offset && sc.skipping == f.skipping {
		return nil
	}
	if len(b.Lines) > 0 {
		b.EndOffset = sc.pos
		if err := t.h.Consume(ctx, b); err != nil {
			return err
		}
	}
	f.offset, f.skipping = sc.pos, sc.skipping
	t.h.Commit(ctx, t.Checkpoints())
	t.publish()
	return nil
}

// forget drops closed files not seen for ForgetAfter.
func (t *Tailer) forget(now time.Time) {
	kept := t.files[:0]
	for _, f := range t.files {
		if f.f == nil && now.Sub(f.lastSeen) > t.cfg.ForgetAfter {
			continue
		}
		kept = append(kept, f)
	}
	clear(t.files[len(kept):])
	t.files = kept
}
