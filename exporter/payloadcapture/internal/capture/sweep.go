package capture // import "github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Policy bounds the captures kept on disk.
type Policy struct {
	// MaxAge removes captures written longer ago than this. Zero or less
	// disables the age cut.
	MaxAge time.Duration
	// MaxSize then removes the oldest remaining captures while their total
	// size is above it. Zero or less disables the size cut.
	MaxSize int64
	// TempGrace is how long a temporary folder (a capture being written or
	// removed) is left alone; older ones are leftovers of a crash and go.
	TempGrace time.Duration
}

// SweepResult tells what a sweep found and removed.
type SweepResult struct {
	// Captures and Bytes remain after the sweep.
	Captures int
	Bytes    int64
	// RemovedByAge and RemovedBySize count removed captures; BytesRemoved
	// is their total size.
	RemovedByAge  int
	RemovedBySize int
	BytesRemoved  int64
	// TempsRemoved counts stale temporary folders removed.
	TempsRemoved int
	// Errors counts entries that could not be read or removed; the first
	// such error is returned by Sweep.
	Errors int
}

type captureEntry struct {
	date, name string
	written    time.Time
	size       int64
}

// Sweep applies p at time now. It only looks at folders it recognises:
// date folders named YYYY-MM-DD (not symlinks), holding capture folders
// that contain a meta.json file, plus its own temporary folders. Anything
// else in the tree is left alone and not counted. A capture's age is the
// modification time of its meta.json, that is when it was written.
//
// First every capture older than MaxAge goes; then, while the rest exceed
// MaxSize, the oldest of the rest go. Removal renames the capture to a
// temporary name before deleting it, so it disappears at once.
//
// Sweep is safe while captures are written: a capture renamed into place
// during the walk is simply seen by the next sweep. It never creates the
// directory; a missing one is an empty tree.
func (s *Store) Sweep(now time.Time, p Policy) (SweepResult, error) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	var res SweepResult
	root, err := s.openRoot(false)
	if err != nil {
		if CauseOf(err) == CauseMissingDirectory {
			s.usage.Store(0)
			return res, nil
		}
		return res, err
	}
	writtenBefore := s.written.Load()

	var firstErr error
	fail := func(op string, err error) {
		res.Errors++
		if firstErr == nil {
			firstErr = wrap(op, err)
		}
	}

	dates, err := readDir(root, ".")
	if err != nil {
		if s.checkRoot(root) {
			s.usage.Store(0)
			return res, nil
		}
		return res, wrap("read directory", err)
	}
	var captures []captureEntry
	var dateNames []string
	for _, d := range dates {
		if !d.IsDir() || !IsDateName(d.Name()) {
			continue // symlinks report !IsDir: never followed
		}
		dateNames = append(dateNames, d.Name())
		found, err := s.walkDate(root, d.Name(), now, p.TempGrace, &res)
		if err != nil {
			fail("read date folder", err)
		}
		captures = append(captures, found...)
	}

	// Oldest first; ties broken by path so the order is deterministic.
	slices.SortFunc(captures, func(a, b captureEntry) int {
		if c := a.written.Compare(b.written); c != 0 {
			return c
		}
		if c := strings.Compare(a.date, b.date); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})

	kept := captures[:0]
	var total int64
	for _, c := range captures {
		if p.MaxAge > 0 && now.Sub(c.written) > p.MaxAge {
			if err := s.remove(root, c); err != nil {
				fail("remove capture", err)
				kept = append(kept, c)
				total += c.size
				continue
			}
			res.RemovedByAge++
			res.BytesRemoved += c.size
			continue
		}
		kept = append(kept, c)
		total += c.size
	}
	remaining := len(kept)
	if p.MaxSize > 0 {
		for _, c := range kept {
			if total <= p.MaxSize {
				break
			}
			if err := s.remove(root, c); err != nil {
				fail("remove capture", err)
				continue
			}
			res.RemovedBySize++
			res.BytesRemoved += c.size
			total -= c.size
			remaining--
		}
	}

	// Empty date folders from earlier days go; rmdir leaves non-empty ones
	// (and a writer that loses the race retries, see makeTemp).
	today := now.UTC().Format(DateLayout)
	for _, d := range dateNames {
		if d < today {
			_ = root.Remove(d)
		}
	}

	res.Captures = remaining
	res.Bytes = total
	// Captures written during the walk may or may not be in total; adding
	// them errs on the high side, which is the safe side for a budget.
	s.usage.Store(total + s.written.Load() - writtenBefore)
	return res, firstErr
}

// walkDate lists one date folder: it removes stale temporary folders and
// returns the captures it holds (date set).
func (s *Store) walkDate(root *os.Root, date string, now time.Time, grace time.Duration, res *SweepResult) ([]captureEntry, error) {
	dir, err := root.Open(date)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	entries, err := listDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	var firstErr error
	for _, e := range entries {
		if !e.IsDir() {
			continue // files and symlinks: never captures, never followed
		}
		name := e.Name()
		if strings.HasPrefix(name, tempPrefix) || strings.HasPrefix(name, deletePrefix) {
			info, err := e.Info()
			if err != nil || now.Sub(info.ModTime()) <= grace {
				continue
			}
			if err := root.RemoveAll(date + "/" + name); err != nil {
				res.Errors++
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			res.TempsRemoved++
			continue
		}
		if isCaptureName(name) {
			names = append(names, name)
		}
	}
	found, err := statParallel(dir, names)
	if err != nil {
		res.Errors++
		if firstErr == nil {
			firstErr = err
		}
	}
	for i := range found {
		found[i].date = date
	}
	return found, firstErr
}

// statChunk is the least number of captures worth a goroutine of their own.
const statChunk = 2048

// statParallel spreads statCaptures over the available cores: the walk is
// three system calls per capture, and a large date folder is where the
// time goes.
func statParallel(dir *os.File, names []string) ([]captureEntry, error) {
	workers := min(runtime.GOMAXPROCS(0), (len(names)+statChunk-1)/statChunk)
	if workers <= 1 {
		return statCaptures(dir, names)
	}
	parts := make([][]captureEntry, workers)
	errs := make([]error, workers)
	per := (len(names) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(names))
		wg.Go(func() { parts[w], errs[w] = statCaptures(dir, names[lo:hi]) })
	}
	wg.Wait()
	return slices.Concat(parts...), errors.Join(errs...)
}

// remove renames the capture out of sight, then deletes it.
func (s *Store) remove(root *os.Root, c captureEntry) error {
	staged := c.date + "/" + deletePrefix + NewRequestID()
	if err := root.Rename(c.date+"/"+c.name, staged); err != nil {
		return err
	}
	return root.RemoveAll(staged)
}

func readDir(root *os.Root, name string) ([]fs.DirEntry, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// isCaptureName accepts the folder names Write creates: a valid id, possibly
// with a "-N" suffix that takes it past 128 characters.
func isCaptureName(name string) bool {
	if len(name) == 0 || len(name) > MaxRequestIDLen+1+len(strconv.Itoa(maxSuffix)) || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !idByte(name[i]) {
			return false
		}
	}
	return true
}

// IsDateName reports whether name is a date folder name, YYYY-MM-DD.
func IsDateName(name string) bool {
	if len(name) != len(DateLayout) {
		return false
	}
	_, err := time.Parse(DateLayout, name)
	return err == nil
}
