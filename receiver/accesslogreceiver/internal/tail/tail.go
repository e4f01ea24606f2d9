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
// goroutine (Poll); Files may be called from any goroutine. A Handler that
// is a Stager has its batches delivered on a second goroutine while the next
// ones are read (see Stager).
package tail // import "github.com/redline-otel/redline/receiver/accesslogreceiver/internal/tail"

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
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
//
// The fingerprint is saved as the length and FNV-1a 64 hash of the file's
// first bytes (~40 bytes of JSON instead of ~1.4 KiB of base64 per file,
// which every commit writes for every file). It is checked against the head
// of a file that is seen again, read from the file when fingerprint_size was
// lowered since. Fingerprint, the bytes themselves, is what the first
// version saved: Restore still accepts it, Checkpoints no longer fills it.
type Checkpoint struct {
	Fingerprint     []byte    `json:"fp,omitempty"`
	FingerprintLen  int       `json:"fp_len,omitempty"`
	FingerprintHash uint64    `json:"fp_hash,omitempty"`
	Offset          int64     `json:"offset"`
	Path            string    `json:"path"`
	Skipping        bool      `json:"skipping,omitempty"`
	GzipSize        int64     `json:"gzip_size,omitempty"` // compressed size read to its end
	LastSeen        time.Time `json:"last_seen"`
	Dev             uint64    `json:"dev,omitempty"`
	Ino             uint64    `json:"ino,omitempty"`
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

// Stager is a Handler whose delivery may overlap the reading of the next
// batches. Stage runs on the polling goroutine and turns b (reused once it
// returns) into a self-contained delivery. The Tailer runs the deliveries on
// one other goroutine, strictly in the order they were staged, with at most
// PipelineDepth of them staged and not yet accepted, and moves a file's
// offset (what Files shows and Commit saves) only once its delivery returned
// nil (a nil delivery has nothing to send and is accepted in its turn).
// Like Consume, a delivery retries on its own and returns an error only
// when ctx is done; the deliveries staged after a failed one, or not started
// when ctx is done, are abandoned, and their lines are read again by the next
// Poll (or after a restart). Consume is not called.
//
// Every Poll waits for its deliveries before it returns, and also before
// anything but reading changes what is known of a file (a finished .gz, a
// file that no longer matches being let go), so the file matching of the
// next Poll works on accepted offsets only.
type Stager interface {
	Handler
	Stage(b *Batch) (deliver func(ctx context.Context) error)
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

	stager Stager    // h when it stages
	pipe   *pipeline // the deliveries of the current Poll; nil when none started

	// Checkpoint bookkeeping: dirty when what Checkpoints returns changed
	// since the last Commit; uncommitted counts the bytes accepted since.
	dirty       bool
	uncommitted int64
	lastCommit  time.Time

	mu     sync.Mutex
	status []FileStatus
}

type file struct {
	id         fileID // zero for a file known only by fingerprint
	restored   bool   // from a checkpoint and not seen since
	path       string
	fp         []byte // nil after a restore until seen again: fpLen and fpHash
	fpLen      int
	fpHash     uint64
	offset     int64
	skipping   bool
	gzipSize   int64
	f          *os.File
	size       int64
	lastGrowth time.Time
	lastSeen   time.Time
	matched    uint64 // poll number of the last match
	staged     int    // batches of f staged and not yet accepted or abandoned
}

func (f *file) gz() bool { return strings.HasSuffix(f.path, ".gz") }

// hashed reports that only the length and hash of f's head are known.
func (f *file) hashed() bool { return f.fp == nil && f.fpLen > 0 }

func (f *file) fpLength() int {
	if f.hashed() {
		return f.fpLen
	}
	return len(f.fp)
}

// setFP replaces what is known of f's head by the bytes themselves.
func (f *file) setFP(fp []byte) { f.fp, f.fpLen, f.fpHash = fp, 0, 0 }

// continuedBy reports whether c's head agrees with f's: one is a prefix of
// the other (the file grew, or the fingerprint grew with it), or, for a
// hashed head, c's first fpLen bytes have its hash.
func (f *file) continuedBy(c *candidate) bool {
	if !f.hashed() {
		return len(f.fp) > 0 && fpConsistent(f.fp, c.fp)
	}
	head := c.fp
	if len(head) < f.fpLen {
		if head = c.head(f.fpLen); len(head) < f.fpLen {
			return false
		}
	}
	return fpHash(head[:f.fpLen]) == f.fpHash
}

func fpHash(b []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
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
	t.stager, _ = h.(Stager)
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

// maxRestoredFingerprint bounds a restored fingerprint far above any sane
// fingerprint_size; anything longer is corruption.
const maxRestoredFingerprint = 1 << 20

// Restore loads checkpoints saved by an earlier run. Call it before the first
// Poll. Entries that cannot be right (a corrupted or hand-edited store) are
// dropped and returned, so that the caller can log them: such a file is then
// treated as new (start_at decides) instead of failing every poll.
func (t *Tailer) Restore(cps []Checkpoint) (dropped []error) {
	now := t.now()
	for i, cp := range cps {
		if err := plausible(cp); err != nil {
			dropped = append(dropped, fmt.Errorf("checkpoint %d (%q): %w", i, cp.Path, err))
			continue
		}
		seen := cp.LastSeen
		if seen.IsZero() || seen.After(now) {
			seen = now // or a clock set back would keep it for ever
		}
		f := &file{
			id: fileID{Dev: cp.Dev, Ino: cp.Ino}, restored: true,
			path: cp.Path, offset: cp.Offset, skipping: cp.Skipping,
			gzipSize: cp.GzipSize, size: -1, lastSeen: seen,
		}
		if len(cp.Fingerprint) > 0 {
			// A lowered fingerprint_size: the prefix still identifies the file.
			f.setFP(cp.Fingerprint[:min(len(cp.Fingerprint), t.cfg.FingerprintSize)])
		} else {
			f.fpLen, f.fpHash = cp.FingerprintLen, cp.FingerprintHash
		}
		t.files = append(t.files, f)
	}
	t.restore = len(t.files) > 0
	t.publish()
	return dropped
}

// plausible rejects a checkpoint no run of this package could have saved.
func plausible(cp Checkpoint) error {
	switch {
	case len(cp.Fingerprint) == 0 && cp.FingerprintLen <= 0:
		return errors.New("empty fingerprint")
	case len(cp.Fingerprint) > maxRestoredFingerprint || cp.FingerprintLen > maxRestoredFingerprint:
		return fmt.Errorf("fingerprint of %d bytes, more than %d", max(len(cp.Fingerprint), cp.FingerprintLen), maxRestoredFingerprint)
	case cp.Offset < 0:
		return fmt.Errorf("offset %d", cp.Offset)
	case cp.GzipSize < 0:
		return fmt.Errorf("gzip size %d", cp.GzipSize)
	case cp.Path == "":
		return errors.New("empty path")
	}
	return nil
}

// Checkpoints returns what Restore needs.
func (t *Tailer) Checkpoints() []Checkpoint {
	cps := make([]Checkpoint, 0, len(t.files))
	for _, f := range t.files {
		n, h := f.fpLen, f.fpHash
		if !f.hashed() {
			n, h = len(f.fp), fpHash(f.fp)
		}
		cps = append(cps, Checkpoint{
			FingerprintLen: n, FingerprintHash: h, Offset: f.offset, Path: f.path, Skipping: f.skipping,
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
	// Also after a handler error: the batches accepted before it are saved.
	defer func() {
		if ferr := t.stopPipeline(ctx); ferr != nil && err == nil {
			err, more = ferr, false
		}
		if t.dirty {
			t.commit(ctx)
		}
	}()

	paths, globErrs := t.match()
	fileErrs = append(fileErrs, globErrs...)
	if !t.polled && !t.restore && !t.cfg.StartAtBeginning {
		t.startup = map[string]fileID{}
	}
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
				if !t.polled && t.startup != nil {
					// Empty or unreadable files are not at their end: skipped
					// now, read from their start when they can be.
					if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
						t.startup[p] = idOf(fi)
					}
				}
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
	// Whether a file's name changed (rename rotation) must be known before
	// the loop below updates names: a renamed file is not copytruncate's
	// original.
	renamed := make([]bool, len(cands))
	for i, f := range matchedTo {
		renamed[i] = f != nil && f.path != cands[i].path
	}
	for i, c := range cands {
		if c.f == nil {
			continue
		}
		f := matchedTo[i]
		if f == nil {
			f = t.findByFingerprint(c, present)
		} else if !c.gz() && (c.size < f.offset || !f.continuedBy(&c)) {
			// Truncated or rewritten in place (copytruncate). What we knew of
			// the old content stays known by fingerprint, so that a copy of it
			// is read on from where we were rather than again.
			t.dirty = true
			if f.offset > 0 {
				t.files = append(t.files, &file{
					path: f.path, fp: f.fp, fpLen: f.fpLen, fpHash: f.fpHash,
					offset: f.offset, skipping: f.skipping, size: -1, lastSeen: now,
				})
			}
			f.setFP(c.fp)
			f.offset, f.skipping = 0, false
			// The same inode with other content can also be a new file that
			// reuses a removed file's inode: copytruncate with one backup
			// deletes a.log.1 and writes a new copy of a.log there. What is
			// known of that content is not read again.
			if orig := t.copiedFrom(c, cands, matchedTo, renamed); orig != nil {
				f.offset, f.skipping = orig.offset, orig.skipping
			} else if known := t.knownContent(c); known != nil {
				f.offset, f.skipping = known.offset, known.skipping
				t.dropFile(known)
			}
		}
		if f == nil && c.gz() && t.compressedCopyOfActive(c) {
			// Being compressed while the original is still there (or kept
			// with gzip -k): the original is read; the archive would repeat it.
			_ = c.f.Close()
			continue
		}
		if f == nil {
			f = &file{path: c.path, fp: c.fp, size: -1}
			if orig := t.copiedFrom(c, cands, matchedTo, renamed); orig != nil {
				// A copy of a file being read (copytruncate caught between
				// its copy and its truncation): what was read of the
				// original is not read again from the copy.
				f.offset, f.skipping = orig.offset, orig.skipping
			} else if !t.polled && !t.restore && !t.cfg.StartAtBeginning {
				t.seekEnd(f, c)
			} else if id, ok := t.startup[c.path]; ok && id == c.id {
				t.seekEnd(f, c)
			}
			delete(t.startup, c.path)
			t.files = append(t.files, f)
			t.dirty = true
		} else {
			if f.f != nil && f.f != c.f {
				_ = f.f.Close()
			}
			if f.hashed() || len(c.fp) > len(f.fp) {
				f.setFP(c.fp)
				t.dirty = true
			}
			if f.id != c.id || f.path != c.path || f.restored {
				t.dirty = true
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
	if !fi.Mode().IsRegular() || fi.Size() == 0 && strings.HasSuffix(p, ".gz") {
		_ = f.Close()
		return candidate{}, false, nil
	}
	if fi.Size() == 0 {
		// An empty file takes part in matching by inode: a file truncated to
		// nothing (copytruncate before the writer wrote again) is seen as
		// truncated, and what it held stays known by fingerprint for its copy.
		return candidate{id: idOf(fi), path: p, f: f, size: 0}, true, nil
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
	if len(c.fp) == 0 {
		return nil // an empty file: nothing to recognise it by
	}
	var best *file
	bestLen := -1
	for _, f := range t.files {
		if f.matched == t.pollNum || !f.continuedBy(&c) {
			continue
		}
		if f.id.known() && (present[f.id] || !(f.restored || c.gz() && !f.gz())) {
			continue
		}
		l := min(f.fpLength(), len(c.fp))
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

// knownContent returns the entry, known by fingerprint only (the content a
// file held before it was truncated), whose content c holds past the entry's
// offset, or nil. Unlike findByFingerprint it is for a candidate already
// matched by inode, and it never changes the entry.
func (t *Tailer) knownContent(c candidate) *file {
	if c.gz() || len(c.fp) == 0 {
		return nil
	}
	for _, k := range t.files {
		if k.id.known() || k.matched == t.pollNum || k.offset <= 0 || c.size < k.offset || !k.continuedBy(&c) {
			continue
		}
		return k
	}
	return nil
}

// dropFile forgets a tracked entry that has been taken over by another.
func (t *Tailer) dropFile(k *file) {
	for i, f := range t.files {
		if f == k {
			t.files = append(t.files[:i], t.files[i+1:]...)
			t.dirty = true
			return
		}
	}
}

// copiedFrom returns the file still present under its own name of which c,
// a new file, is a copy: the original was read past its start and is neither
// truncated, rewritten nor renamed; c's name extends the original's (a.log ->
// a.log.1, a.log-20260509, in any directory: how logrotate names copies); and
// c holds the same bytes as the original from its start up to at least the
// original's offset (checked on the fingerprint and on the fingerprint_size
// bytes before the offset). The copy is then read on from the original's
// offset. Content alone cannot tell a copy from an unrelated new file that
// happens to hold the same bytes (services writing the same lines to several
// files), hence the name.
//
// The general case: the copy holds the original's bytes [0, c.size). Bytes
// up to the offset were delivered already and are skipped. Bytes beyond it,
// written between the last read and the copy, are read from the copy and also
// from the original if it is not truncated before the tailer reaches them: a
// possible repeat, never a loss (skipping them would lose them when the
// truncation comes first). A copy shorter than the offset (taken before the
// last read, first seen now) is not recognised and is read from its start:
// repeats again, never a loss. So is a copy whose original is outside this
// poll's max_concurrent_files window, or whose name does not extend it.
func (t *Tailer) copiedFrom(c candidate, cands []candidate, matchedTo []*file, renamed []bool) *file {
	if c.gz() {
		return nil // compressedCopyOfActive
	}
	for j, orig := range matchedTo {
		oc := cands[j]
		if orig == nil || oc.f == nil || renamed[j] || oc.id == c.id || orig.gz() || orig.offset <= 0 {
			continue
		}
		if base := filepath.Base(oc.path); !strings.HasPrefix(filepath.Base(c.path), base) || filepath.Base(c.path) == base {
			continue
		}
		if oc.size < orig.offset || !orig.continuedBy(&oc) {
			continue // truncated or rewritten: findByFingerprint's case
		}
		if c.size < orig.offset || c.size > oc.size || !bytes.HasPrefix(oc.fp, c.fp) {
			continue
		}
		if sameBytesBefore(c.f, oc.f, orig.offset, t.cfg.FingerprintSize) {
			return orig
		}
	}
	return nil
}

// sameBytesBefore reports whether a and b hold the same n bytes (fewer at
// the start of a file) before off.
func sameBytesBefore(a, b *os.File, off int64, n int) bool {
	from := max(0, off-int64(n))
	ba := make([]byte, off-from)
	bb := make([]byte, off-from)
	if _, err := a.ReadAt(ba, from); err != nil {
		return false
	}
	if _, err := b.ReadAt(bb, from); err != nil {
		return false
	}
	return bytes.Equal(ba, bb)
}

// compressedCopyOfActive reports whether c, a .gz, holds the content of a
// plain file matched in this poll.
func (t *Tailer) compressedCopyOfActive(c candidate) bool {
	for _, f := range t.files {
		if f.matched == t.pollNum && !f.gz() && f.continuedBy(&c) {
			return true
		}
	}
	return false
}

func fpConsistent(a, b []byte) bool { return bytes.HasPrefix(a, b) || bytes.HasPrefix(b, a) }

func (c candidate) gz() bool { return strings.HasSuffix(c.path, ".gz") }

// head returns up to n leading bytes of c (decompressed for a .gz), for a
// hashed fingerprint longer than c.fp; nil when they cannot be read.
func (c *candidate) head(n int) []byte {
	if c.gz() {
		b, _, _ := gzipHead(c.f, c.size, n)
		return b
	}
	if c.size < int64(n) {
		return nil
	}
	b := make([]byte, n)
	if _, err := c.f.ReadAt(b, 0); err != nil {
		return nil
	}
	return b
}

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
// unterminated last line might still be completed by its writer, which is
// at most FlushPeriod (DeletedFlushPeriod when that is 0) without growth.
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
	// Without a flush period a live file may wait for ever for its last
	// line's end; a file that no longer matches may not: it holds a file
	// descriptor and, when deleted, its disk space. Its writer gets a
	// bounded time to finish the line, then the partial line is emitted.
	grace := t.cfg.FlushPeriod
	if grace <= 0 {
		grace = DeletedFlushPeriod
	}
	final := now.Sub(f.lastGrowth) >= grace
	if _, err := t.read(ctx, f, now, final); err != nil {
		var fe FileError
		if errors.As(err, &fe) {
			return false, t.flush(ctx)
		}
		return false, err
	}
	// Whether to keep the file depends on its accepted offset.
	if err := t.flush(ctx); err != nil {
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
	if f.staged > 0 {
		// Reading resumes from the accepted offset.
		if err := t.flush(ctx); err != nil {
			return false, err
		}
	}
	if f.gz() {
		return false, t.readGzip(ctx, f)
	}
	if f.offset >= f.size {
		return false, nil
	}
	limit := f.offset + t.cfg.MaxBytesPerPoll
	sc := t.sc
	sc.reset(io.NewSectionReader(f.f, f.offset, 1<<62), f.offset, f.skipping)
	b, full, err := t.scanLines(ctx, f, sc, limit)
	if err != nil || full {
		return full, err
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
	b, _, err := t.scanLines(ctx, f, sc, 0)
	if err != nil {
		return err
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
	// The archive counts as read (a checkpoint saves it) only once all of
	// it was accepted.
	if err := t.flush(ctx); err != nil {
		return err
	}
	f.gzipSize = fi.Size()
	t.dirty = true
	return nil
}

// startBatch starts a batch of f where sc stands.
// scanLines adds the scanner's complete lines to batches and delivers each
// batch that fills up. It stops at the end of the input or, with limit > 0,
// after the first delivery past limit (full). It returns the open batch.
func (t *Tailer) scanLines(ctx context.Context, f *file, sc *scanner, limit int64) (b *Batch, full bool, err error) {
	b = t.startBatch(f, sc)
	for {
		line, off, truncated, ok := sc.next()
		if !ok {
			return b, false, nil
		}
		t.add(b, line, off, truncated)
		if t.batchFull(b) {
			if err := t.deliver(ctx, f, sc); err != nil {
				return nil, false, err
			}
			b = t.startBatch(f, sc)
			if limit > 0 && sc.pos >= limit {
				return b, true, nil
			}
		}
	}
}

func (t *Tailer) startBatch(f *file, sc *scanner) *Batch {
	b := &t.batch
	b.Path = f.path
	b.Data = b.Data[:0]
	b.Lines = b.Lines[:0]
	b.StartOffset = sc.pos
	t.batchSkipping = sc.skipping
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
// the scanner stands. With a Stager it returns once the batch is staged.
func (t *Tailer) deliver(ctx context.Context, f *file, sc *scanner) error {
	b := &t.batch
	if sc.pos == b.StartOffset && sc.skipping == t.batchSkipping {
		return nil
	}
	var send func(context.Context) error
	if len(b.Lines) > 0 {
		b.EndOffset = sc.pos
		if t.stager == nil {
			if err := t.h.Consume(ctx, b); err != nil {
				return err
			}
		} else {
			if err := ctx.Err(); err != nil {
				return err // shutting down: no more parsing
			}
			send = t.stager.Stage(b)
		}
	}
	if send == nil && (t.pipe == nil || len(t.pipe.queue) == 0) {
		t.accept(ctx, f, sc.pos, sc.skipping)
		return nil
	}
	// Even a move without lines (the skipped rest of an over-long line) waits
	// for the batches staged before it.
	return t.stage(ctx, stagedBatch{f: f, end: sc.pos, skipping: sc.skipping}, send)
}

// accept moves f to end, the end of an accepted batch, and commits when due.
func (t *Tailer) accept(ctx context.Context, f *file, end int64, skipping bool) {
	t.uncommitted += end - f.offset
	f.offset, f.skipping = end, skipping
	t.dirty = true
	if t.uncommitted*commitRatio >= t.checkpointsSize() || t.now().Sub(t.lastCommit) >= CommitInterval {
		t.commit(ctx)
	}
	t.publish()
}

// pipeline runs a Poll's staged deliveries on one goroutine, in order.
type pipeline struct {
	sends   chan func(context.Context) error
	results chan error    // one per send, in order
	settled chan struct{} // one per result, once the polling goroutine applied it
	done    chan struct{}
	queue   []stagedBatch // staged, not yet accepted or abandoned; oldest first
}

// stagedBatch is where a staged batch moves its file once accepted.
type stagedBatch struct {
	f        *file
	end      int64
	skipping bool
}

func startPipeline(ctx context.Context) *pipeline {
	p := &pipeline{
		sends:   make(chan func(context.Context) error, PipelineDepth),
		results: make(chan error, PipelineDepth),
		settled: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	go func() {
		defer close(p.done)
		var failed error
		for send := range p.sends {
			// After a failure nothing more is delivered: a later batch
			// accepted before an earlier one would be read again anyway.
			if failed == nil {
				// Shutting down: what is not delivered yet is read again later.
				failed = ctx.Err()
			}
			if failed == nil && send != nil {
				failed = send(ctx)
			}
			p.results <- failed
			// The next delivery waits until this one's offset is applied
			// (and committed when due), so that a crash never finds more
			// than one accepted batch unsaved, as without the pipeline.
			// In the steady state this costs nothing: when deliveries are the
			// slower stage the polling goroutine is waiting for this result
			// already, and when parsing is, the next batch is staged right
			// before this one is settled.
			<-p.settled
		}
	}()
	return p
}

// stage queues a delivery, first waiting while PipelineDepth are
// outstanding, and accepts the batches already delivered.
func (t *Tailer) stage(ctx context.Context, s stagedBatch, send func(context.Context) error) error {
	if t.pipe == nil {
		t.pipe = startPipeline(ctx)
	}
	p := t.pipe
	for len(p.queue) >= PipelineDepth {
		if err := t.settle(ctx, <-p.results); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err // shutting down: stop reading
	}
	s.f.staged++
	p.queue = append(p.queue, s)
	p.sends <- send // never blocks: fewer than PipelineDepth are queued
	for len(p.queue) > 0 {
		select {
		case err := <-p.results:
			if err := t.settle(ctx, err); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// settle applies the result of the oldest outstanding delivery.
func (t *Tailer) settle(ctx context.Context, err error) error {
	p := t.pipe
	s := p.queue[0]
	n := copy(p.queue, p.queue[1:])
	p.queue = p.queue[:n]
	s.f.staged--
	if err == nil {
		t.accept(ctx, s.f, s.end, s.skipping)
	}
	p.settled <- struct{}{}
	return err
}

// flush waits for every outstanding delivery; it returns the first error.
func (t *Tailer) flush(ctx context.Context) error {
	if t.pipe == nil {
		return nil
	}
	var first error
	for len(t.pipe.queue) > 0 {
		if err := t.settle(ctx, <-t.pipe.results); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// stopPipeline flushes and stops the delivery goroutine.
func (t *Tailer) stopPipeline(ctx context.Context) error {
	if t.pipe == nil {
		return nil
	}
	err := t.flush(ctx)
	close(t.pipe.sends)
	<-t.pipe.done
	t.pipe = nil
	return err
}

// CommitInterval bounds the time between commits while a poll delivers.
const CommitInterval = time.Second

// commitRatio bounds the checkpoint bytes written per byte read within a poll.
const commitRatio = 8

func (t *Tailer) commit(ctx context.Context) {
	t.h.Commit(ctx, t.Checkpoints())
	t.dirty, t.uncommitted, t.lastCommit = false, 0, t.now()
}

// checkpointsSize estimates the bytes a commit writes as JSON: the path and
// ~160 bytes of field names and numbers per file.
func (t *Tailer) checkpointsSize() int64 {
	n := int64(0)
	for _, f := range t.files {
		n += int64(len(f.path)) + 160
	}
	return n
}

// forget drops closed files not seen for ForgetAfter.
func (t *Tailer) forget(now time.Time) {
	kept := t.files[:0]
	for _, f := range t.files {
		if f.f == nil && now.Sub(f.lastSeen) > t.cfg.ForgetAfter {
			t.dirty = true
			continue
		}
		kept = append(kept, f)
	}
	clear(t.files[len(kept):])
	t.files = kept
}
