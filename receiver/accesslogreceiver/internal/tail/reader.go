package tail

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"time"
)

// readActive reads what is new in each of files. more reports that one
// stopped at MaxBytesPerPoll; err is a handler error, which ends the poll.
func (t *Tailer) readActive(ctx context.Context, files []*file, now time.Time) (more bool, fileErrs []FileError, err error) {
	for _, f := range files {
		full, rerr := t.read(ctx, f, now, false)
		if rerr != nil {
			var fe FileError
			if errors.As(rerr, &fe) {
				fileErrs = append(fileErrs, fe)
				continue
			}
			return false, fileErrs, rerr
		}
		more = more || full
	}
	return more, fileErrs, nil
}

// drainUnmatched reads the files open since an earlier poll that no longer
// match (deleted, or renamed out of the include) to their end, then lets
// them go. Files only left out of this poll's window are closed at once.
func (t *Tailer) drainUnmatched(ctx context.Context, deferred map[string]bool, now time.Time) error {
	for _, f := range t.files {
		if f.f == nil || f.matched == t.pollNum {
			continue
		}
		if deferred[f.path] {
			_ = f.f.Close()
			f.f = nil
			continue
		}
		keep, err := t.drain(ctx, f, now)
		if err != nil {
			return err
		}
		if !keep {
			_ = f.f.Close()
			f.f = nil
		}
	}
	return nil
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

// readGzip reads an archive from f's offset (in decompressed bytes) to its
// end, once per compressed size.
func (t *Tailer) readGzip(ctx context.Context, f *file) error {
	fi, err := f.f.Stat()
	if err != nil {
		return FileError{Path: f.path, Err: err}
	}
	if fi.Size() == f.gzipSize {
		return nil
	}
	zr, err := t.openGzipAt(f, fi.Size())
	if zr == nil {
		return err
	}
	defer zr.Close()
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

// openGzipAt returns a reader of f's decompressed bytes positioned at its
// offset, or nil: with a nil error while the archive is still being written.
func (*Tailer) openGzipAt(f *file, size int64) (*gzip.Reader, error) {
	zr, err := gzip.NewReader(io.NewSectionReader(f.f, 0, size))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, nil // still being written
		}
		return nil, FileError{Path: f.path, Err: err}
	}
	if _, err := io.CopyN(io.Discard, zr, f.offset); err != nil {
		_ = zr.Close()
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, FileError{Path: f.path, Err: err}
	}
	return zr, nil
}

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

// startBatch starts a batch of f where sc stands.
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
