package capture

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testTime = time.Date(2026, 5, 8, 12, 30, 0, 0, time.UTC)

func newCapture(id string) *Capture {
	return &Capture{
		Meta:     Meta{RequestID: id, Time: testTime, Method: "POST", Path: "/v1/audio/transcriptions"},
		Request:  []byte("request body"),
		Response: []byte(`{"text":"hello"}`),
	}
}

// tree lists every path below dir (slash-separated, relative), so tests can
// assert exactly what exists, temporary folders included.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	}))
	sort.Strings(out)
	return out
}

func TestWriteLayoutAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "captures")
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	c := newCapture("abc-123")
	c.Meta.RequestHeaders = map[string][]string{"content-type": {"audio/mpeg"}}
	res, err := s.Write(c)
	require.NoError(t, err)
	assert.Equal(t, "2026-05-08/abc-123", res.Folder)

	assert.Equal(t, []string{"2026-05-08", "2026-05-08/abc-123", "2026-05-08/abc-123/meta.json", "2026-05-08/abc-123/req.bin", "2026-05-08/abc-123/resp.bin"}, tree(t, dir))
	for _, p := range []string{"", "2026-05-08", "2026-05-08/abc-123"} {
		info, err := os.Stat(filepath.Join(dir, p))
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm(), p)
	}
	var total int64
	for _, f := range []string{RequestFile, ResponseFile, MetaFile} {
		info, err := os.Stat(filepath.Join(dir, "2026-05-08/abc-123", f))
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), f)
		total += info.Size()
	}
	assert.Equal(t, total, res.Bytes)
	assert.Equal(t, total, s.Usage())

	req, err := os.ReadFile(filepath.Join(dir, "2026-05-08/abc-123", RequestFile))
	require.NoError(t, err)
	assert.Equal(t, "request body", string(req))
	raw, err := os.ReadFile(filepath.Join(dir, "2026-05-08/abc-123", MetaFile))
	require.NoError(t, err)
	var meta map[string]any
	require.NoError(t, json.Unmarshal(raw, &meta))
	assert.Equal(t, "abc-123", meta["request_id"])
	assert.Equal(t, "2026-05-08T12:30:00Z", meta["time"])
	assert.Equal(t, "POST", meta["method"])
	assert.InDelta(t, 12, meta["request_body_bytes"], 0)
	assert.InDelta(t, 16, meta["response_body_bytes"], 0)
	assert.NotContains(t, meta, "original_request_id")
}

func TestWriteDateIsUTC(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	c := newCapture("late")
	c.Meta.Time = time.Date(2026, 5, 8, 23, 30, 0, 0, time.FixedZone("UTC-2", -2*3600)) // 2026-05-09 01:30 UTC
	res, err := s.Write(c)
	require.NoError(t, err)
	assert.Equal(t, "2026-05-09/late", res.Folder)
}

func TestWriteSameIDNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	var folders []string
	for i := range 3 {
		c := newCapture("dup")
		c.Request = fmt.Appendf(nil, "body %d", i)
		res, err := s.Write(c)
		require.NoError(t, err)
		folders = append(folders, res.Folder)
	}
	assert.Equal(t, []string{"2026-05-08/dup", "2026-05-08/dup-1", "2026-05-08/dup-2"}, folders)
	for i, f := range folders {
		b, err := os.ReadFile(filepath.Join(dir, f, RequestFile))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("body %d", i), string(b))
	}
}

func TestWriteSameIDConcurrently(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.Write(newCapture("same"))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "2026-05-08"))
	require.NoError(t, err)
	assert.Len(t, entries, n, "every capture has its own folder and no temporary folder is left")
	for _, e := range entries {
		assert.True(t, e.Name() == "same" || strings.HasPrefix(e.Name(), "same-"), e.Name())
	}
}

// TestWriteNeverEscapes feeds hostile ids and planted symlinks and checks
// that nothing appears outside the capture directory.
func TestWriteNeverEscapes(t *testing.T) {
	outer := t.TempDir()
	dir := filepath.Join(outer, "captures")
	outside := filepath.Join(outer, "outside")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, os.MkdirAll(outside, 0o700))
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	t.Run("hostile ids", func(t *testing.T) {
		for _, raw := range []string{"..", ".", "../outside/x", "../../etc/passwd", "/abs/path", "a/../../b", "a\x00b", `..\..\x`, "é"} {
			c := newCapture("")
			c.Meta.SetRequestID(ResolveRequestID(raw, true))
			res, err := s.Write(c)
			require.NoError(t, err, raw)
			assert.Equal(t, "2026-05-08", filepath.Dir(res.Folder), raw)
			assert.Regexp(t, hex16, filepath.Base(res.Folder), raw)
		}
		// Even an unresolved hostile id given straight to Write is replaced.
		res, err := s.Write(newCapture("../outside/direct"))
		require.NoError(t, err)
		assert.Regexp(t, hex16, filepath.Base(res.Folder))
	})

	t.Run("symlinked date folder pointing outside", func(t *testing.T) {
		require.NoError(t, os.Symlink(outside, filepath.Join(dir, "2026-05-09")))
		c := newCapture("x")
		c.Meta.Time = testTime.Add(24 * time.Hour)
		_, err := s.Write(c)
		require.Error(t, err)
		assert.Equal(t, CausePathEscape, CauseOf(err))
	})

	t.Run("symlink planted at the capture name", func(t *testing.T) {
		require.NoError(t, os.Symlink(outside, filepath.Join(dir, "2026-05-08", "planted")))
		res, err := s.Write(newCapture("planted"))
		require.NoError(t, err)
		assert.Equal(t, "2026-05-08/planted-1", res.Folder)
		link, err := os.Readlink(filepath.Join(dir, "2026-05-08", "planted"))
		require.NoError(t, err)
		assert.Equal(t, outside, link, "the planted link is left as it was")
	})

	t.Run("relative symlink climbing out", func(t *testing.T) {
		require.NoError(t, os.Symlink("../../outside", filepath.Join(dir, "2026-05-10")))
		c := newCapture("y")
		c.Meta.Time = testTime.Add(48 * time.Hour)
		_, err := s.Write(c)
		require.Error(t, err)
		assert.Equal(t, CausePathEscape, CauseOf(err))
	})

	t.Run("directory itself replaced by a symlink", func(t *testing.T) {
		// The store keeps its handle on the original directory, so writes go
		// on landing there rather than following the new link.
		moved := filepath.Join(outer, "moved")
		require.NoError(t, os.Rename(dir, moved))
		require.NoError(t, os.Symlink(outside, dir))
		t.Cleanup(func() {
			_ = os.Remove(dir)
			_ = os.Rename(moved, dir)
		})
		res, err := s.Write(newCapture("after-swap"))
		require.NoError(t, err)
		_, err = os.Stat(filepath.Join(moved, res.Folder, MetaFile))
		assert.NoError(t, err, "the capture lands in the directory the store opened")
	})

	assert.Empty(t, tree(t, outside), "nothing may be written outside the directory")
	for _, p := range tree(t, outer) {
		assert.True(t, p == "outside" || p == "captures" || p == "moved" || strings.HasPrefix(p, "captures/") || strings.HasPrefix(p, "moved/"), "unexpected path %s", p)
	}
}

// failingWrite injects err when writing the named file of a capture.
func failingWrite(file string, err error) WriteFileFunc {
	return func(root *os.Root, name string, data []byte, fsync bool) error {
		if filepath.Base(name) == file {
			return &fs.PathError{Op: "write", Path: name, Err: err}
		}
		return writeFile(root, name, data, fsync)
	}
}

func TestWriteFailuresAreClassifiedAndLeaveNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		cause Cause
	}{
		{name: "disk full", err: syscall.ENOSPC, cause: CauseNoSpace},
		{name: "quota", err: syscall.EDQUOT, cause: CauseNoSpace},
		{name: "read-only", err: syscall.EROFS, cause: CauseReadOnly},
		{name: "permission", err: syscall.EACCES, cause: CausePermission},
		{name: "not permitted", err: syscall.EPERM, cause: CausePermission},
		{name: "io error", err: syscall.EIO, cause: CauseOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var mu sync.Mutex
			fail := true
			inject := failingWrite(ResponseFile, tc.err)
			s := NewStore(dir, Options{CreateDirectory: true, WriteFile: func(root *os.Root, name string, data []byte, fsync bool) error {
				mu.Lock()
				defer mu.Unlock()
				if fail {
					return inject(root, name, data, fsync)
				}
				return writeFile(root, name, data, fsync)
			}})
			t.Cleanup(func() { assert.NoError(t, s.Close()) })

			_, err := s.Write(newCapture("f"))
			require.Error(t, err)
			assert.Equal(t, tc.cause, CauseOf(err))
			assert.ErrorIs(t, err, tc.err)
			assert.Equal(t, []string{"2026-05-08"}, tree(t, dir), "a failed capture leaves no folder, whole or partial")
			assert.Zero(t, s.Usage())

			mu.Lock()
			fail = false
			mu.Unlock()
			res, err := s.Write(newCapture("f"))
			require.NoError(t, err, "writes succeed again once the fault is gone")
			assert.Equal(t, "2026-05-08/f", res.Folder)
		})
	}
}

func TestWriteMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-yet")
	s := NewStore(dir, Options{CreateDirectory: false})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	_, err := s.Write(newCapture("a"))
	require.Error(t, err)
	assert.Equal(t, CauseMissingDirectory, CauseOf(err))
	_, statErr := os.Stat(dir)
	assert.ErrorIs(t, statErr, fs.ErrNotExist, "the directory is not created when create_directory is off")

	require.NoError(t, os.Mkdir(dir, 0o700))
	_, err = s.Write(newCapture("a"))
	require.NoError(t, err)

	// Removed while open: reported as missing, then picked up again.
	require.NoError(t, os.RemoveAll(dir))
	_, err = s.Write(newCapture("b"))
	require.Error(t, err)
	assert.Equal(t, CauseMissingDirectory, CauseOf(err))
	require.NoError(t, os.Mkdir(dir, 0o700))
	_, err = s.Write(newCapture("b"))
	require.NoError(t, err)
}

func TestWriteRecreatesRemovedDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "captures")
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	_, err := s.Write(newCapture("a"))
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(dir))
	res, err := s.Write(newCapture("b"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, res.Folder, MetaFile))
	assert.NoError(t, err)
}

func TestWriteWithFsync(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, Options{CreateDirectory: true, Fsync: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	res, err := s.Write(newCapture("synced"))
	require.NoError(t, err)
	assert.Equal(t, "2026-05-08/synced", res.Folder)
}

func TestWriteEmptyBodies(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	c := newCapture("empty")
	c.Request, c.Response = nil, nil
	res, err := s.Write(c)
	require.NoError(t, err)
	for _, f := range []string{RequestFile, ResponseFile} {
		info, err := os.Stat(filepath.Join(dir, res.Folder, f))
		require.NoError(t, err, "both body files exist so replay scripts need no special case")
		assert.Zero(t, info.Size())
	}
}
