// Package capture keeps request and response payloads on disk: one folder
// <directory>/<YYYY-MM-DD>/<request-id>/ per capture holding req.bin,
// resp.bin and meta.json, written atomically and never outside directory,
// and a sweeper that bounds the tree by age, then by size.
//
// It knows nothing of the collector: the exporter turns log records into
// Capture values and reports the errors this package classifies.
package capture // import "github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
)

// File names inside a capture folder.
const (
	RequestFile  = "req.bin"
	ResponseFile = "resp.bin"
	MetaFile     = "meta.json"
)

const (
	// DateLayout names the date folders (UTC).
	DateLayout = "2006-01-02"
	// tempPrefix marks a capture being written; deletePrefix one being
	// removed. '~' is not in the id alphabet, so no capture folder can ever
	// be mistaken for one (".tmp-x" is a valid request id).
	tempPrefix   = ".~tmp-"
	deletePrefix = ".~del-"

	dirPerm  fs.FileMode = 0o700
	filePerm fs.FileMode = 0o600

	// maxSuffix bounds the search for a free folder name when the same id
	// is captured again; past it a fresh id is used.
	maxSuffix = 1000
)

// Capture is one request/response pair to write.
type Capture struct {
	Meta     Meta // Meta.RequestID must be valid; Meta.Time picks the date folder
	Request  []byte
	Response []byte
}

// Result tells where a capture went.
type Result struct {
	// Folder is the capture's path relative to the directory, such as
	// "2026-05-08/abc-1" (slash-separated).
	Folder string
	// Bytes is the total size of the three files.
	Bytes int64
}

// WriteFileFunc writes one file of a capture below root. The default creates
// the file exclusively with mode 0600, writes data, optionally fsyncs and
// closes it. Options.WriteFile replaces it to inject faults in tests.
type WriteFileFunc func(root *os.Root, name string, data []byte, fsync bool) error

// Options tune a Store.
type Options struct {
	// Fsync flushes each file and the date folder to stable storage before a
	// capture counts as written. Slower; off by default in the exporter.
	Fsync bool
	// CreateDirectory creates the directory (mode 0700, with parents) when it
	// is missing, at the first write and again if it disappears.
	CreateDirectory bool
	// WriteFile, when set, replaces the default file writer.
	WriteFile WriteFileFunc
}

// Store writes captures below one directory. It is safe for concurrent use.
type Store struct {
	dir  string
	opts Options

	mu   sync.Mutex
	root *os.Root // nil until opened; reset when the directory disappears

	sweepMu sync.Mutex
	usage   atomic.Int64 // bytes on disk: last sweep's total plus writes since
	written atomic.Int64 // bytes written ever, to carry writes across a sweep
}

// NewStore returns a Store for dir. It does not touch the disk.
func NewStore(dir string, opts Options) *Store {
	if opts.WriteFile == nil {
		opts.WriteFile = writeFile
	}
	return &Store{dir: dir, opts: opts}
}

// Dir is the directory the store writes below.
func (s *Store) Dir() string { return s.dir }

// Usage is the bytes held by captures: exact after a sweep, then increased
// by every write until the next one.
func (s *Store) Usage() int64 { return s.usage.Load() }

// Close releases the directory handle. Writes after Close reopen it.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.root == nil {
		return nil
	}
	err := s.root.Close()
	s.root = nil
	return err
}

// Check opens the directory (creating it if the options say so) and tells
// whether captures can be written there now; later writes retry anyway.
func (s *Store) Check() error {
	_, err := s.openRoot(s.opts.CreateDirectory)
	return err
}

// openRoot returns the directory handle, opening it (and creating the
// directory when create is set) if needed.
func (s *Store) openRoot(create bool) (*os.Root, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.root != nil {
		return s.root, nil
	}
	if create {
		if err := os.MkdirAll(s.dir, dirPerm); err != nil {
			return nil, wrap("create directory", err)
		}
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, &Error{Cause: CauseMissingDirectory, Op: "open directory", Err: err}
		}
		return nil, wrap("open directory", err)
	}
	s.root = root
	return root, nil
}

// checkRoot drops the handle when the directory it refers to is no longer
// at s.dir (removed, or replaced by a new one), so the next write reopens
// it. It reports whether the directory was gone.
func (s *Store) checkRoot(root *os.Root) bool {
	held, err := root.Stat(".")
	if err == nil {
		cur, errCur := os.Stat(s.dir)
		if errCur == nil && os.SameFile(held, cur) {
			return false
		}
	}
	s.mu.Lock()
	if s.root == root {
		_ = s.root.Close()
		s.root = nil
	}
	s.mu.Unlock()
	return true
}

// Write stores c atomically: its files are written into a temporary folder
// inside the date folder and renamed into place, so readers and the sweeper
// see the capture whole or not at all. An existing capture with the same id
// is never overwritten: the new one gets the first free name among id-1,
// id-2, ... Errors are *Error with a Cause.
func (s *Store) Write(c *Capture) (Result, error) {
	if !ValidRequestID(c.Meta.RequestID) {
		// The exporter resolves ids first; this guards the folder name anyway.
		c.Meta.SetRequestID(ResolveRequestID(c.Meta.RequestID, c.Meta.RequestID != ""))
	}
	c.Meta.RequestBodyBytes = len(c.Request)
	c.Meta.ResponseBodyBytes = len(c.Response)
	meta, err := json.MarshalIndent(&c.Meta, "", "  ")
	if err != nil {
		return Result{}, &Error{Cause: CauseEncode, Op: "encode meta.json", Err: err}
	}
	root, err := s.openRoot(s.opts.CreateDirectory)
	if err != nil {
		return Result{}, err
	}
	res, err := s.write(root, c, meta)
	if err != nil {
		if s.checkRoot(root) {
			if !s.opts.CreateDirectory {
				return Result{}, &Error{Cause: CauseMissingDirectory, Op: "write", Err: err}
			}
			// The directory was removed or replaced under us: recreate it
			// and try once more, so the capture is not lost.
			if root, err2 := s.openRoot(true); err2 == nil {
				if res, err2 = s.write(root, c, meta); err2 == nil {
					return res, nil
				}
			}
		}
		return Result{}, err
	}
	return res, nil
}

func (s *Store) write(root *os.Root, c *Capture, meta []byte) (Result, error) {
	date := c.Meta.Time.UTC().Format(DateLayout)
	// Working below handles on the date and temporary folders saves os.Root
	// from opening every parent again for each file.
	dateRoot, tmp, err := s.makeTemp(root, date)
	if err != nil {
		return Result{}, err
	}
	defer dateRoot.Close()
	done := false
	defer func() {
		if !done {
			_ = dateRoot.RemoveAll(tmp)
		}
	}()
	tmpRoot, err := dateRoot.OpenRoot(tmp)
	if err != nil {
		return Result{}, wrap("open temporary folder", err)
	}
	files := [...]struct {
		name string
		data []byte
	}{{RequestFile, c.Request}, {ResponseFile, c.Response}, {MetaFile, meta}}
	for _, f := range files {
		if err = s.opts.WriteFile(tmpRoot, f.name, f.data, s.opts.Fsync); err != nil {
			err = wrap("write "+f.name, err)
			break
		}
	}
	if errClose := tmpRoot.Close(); err == nil && errClose != nil {
		err = wrap("close temporary folder", errClose)
	}
	if err != nil {
		return Result{}, err
	}
	name, err := s.publish(dateRoot, tmp, c.Meta.RequestID)
	if err != nil {
		return Result{}, err
	}
	done = true
	folder := date + "/" + name
	if s.opts.Fsync {
		if err := syncDir(dateRoot, "."); err != nil {
			// The capture is in place; only its durability across a power
			// cut is in doubt, so report it without undoing the write.
			return Result{Folder: folder}, wrap("sync date folder", err)
		}
	}
	n := int64(len(c.Request) + len(c.Response) + len(meta))
	s.usage.Add(n)
	s.written.Add(n)
	return Result{Folder: folder, Bytes: n}, nil
}

// makeTemp creates the date folder if needed and a fresh temporary folder in
// it, and returns a handle on the date folder. The sweeper may remove an
// empty date folder between the two steps, so a vanished parent is retried.
func (s *Store) makeTemp(root *os.Root, date string) (*os.Root, string, error) {
	var err error
	for range 3 {
		if err = root.MkdirAll(date, dirPerm); err != nil {
			return nil, "", wrap("create date folder", err)
		}
		var dateRoot *os.Root
		if dateRoot, err = root.OpenRoot(date); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, "", wrap("open date folder", err)
		}
		tmp := tempPrefix + NewRequestID()
		if err = dateRoot.Mkdir(tmp, dirPerm); err == nil {
			return dateRoot, tmp, nil
		}
		_ = dateRoot.Close()
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	return nil, "", wrap("create temporary folder", err)
}

// publish renames tmp to id, or to the first free id-N, inside the date
// folder, and returns the name used.
func (s *Store) publish(dateRoot *os.Root, tmp, id string) (string, error) {
	for n := 0; n <= maxSuffix; n++ {
		name := id
		if n > 0 {
			name = id + "-" + strconv.Itoa(n)
		}
		if n == maxSuffix {
			name = NewRequestID()
		}
		// rename(2) silently replaces an empty folder or a symlink, so look
		// first; the rename still fails on a non-empty folder that appears
		// in between, and then the next name is tried.
		if _, err := dateRoot.Lstat(name); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", wrap("look up "+name, err)
		}
		err := dateRoot.Rename(tmp, name)
		if err == nil {
			return name, nil
		}
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
			continue
		}
		return "", wrap("rename into place", err)
	}
	return "", &Error{Cause: CauseOther, Op: "rename into place", Err: fs.ErrExist}
}

func writeFile(root *os.Root, name string, data []byte, fsync bool) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && fsync {
		err = f.Sync()
	}
	if errClose := f.Close(); err == nil {
		err = errClose
	}
	return err
}

func syncDir(root *os.Root, name string) error {
	d, err := root.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errClose := d.Close(); err == nil {
		err = errClose
	}
	return err
}
