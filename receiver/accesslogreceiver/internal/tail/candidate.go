package tail

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"sort"
	"strings"
)

// candidate is a matched path opened in this poll, with its identity.
type candidate struct {
	id   fileID
	path string
	f    *os.File
	fp   []byte
	size int64
}

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

// inspectAll opens paths as candidates, reporting those that cannot be read.
func (t *Tailer) inspectAll(paths []string) ([]candidate, []FileError) {
	var errs []FileError
	cands := make([]candidate, 0, len(paths))
	for _, p := range paths {
		c, ok, err := t.inspect(p)
		if err != nil {
			errs = append(errs, FileError{Path: p, Err: err})
			continue
		}
		if ok {
			cands = append(cands, c)
		}
	}
	return cands, errs
}

// dedupe sorts cands by path and closes every later name of a file already
// open under an earlier one (a hard link, a symlink), so it is read once.
func dedupe(cands []candidate) {
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].path < cands[j].path })
	for i := range cands {
		for j := range i {
			if cands[j].f != nil && cands[i].id.known() && cands[i].id == cands[j].id {
				_ = cands[i].f.Close()
				cands[i].f = nil
				break
			}
		}
	}
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
	fp, ok, err := t.readHead(f, p, fi.Size())
	if err != nil || !ok {
		_ = f.Close()
		return candidate{}, false, err
	}
	return candidate{id: idOf(fi), path: p, f: f, fp: fp, size: fi.Size()}, true, nil
}

// readHead reads the fingerprint of f, a non-empty file of size bytes at p.
func (t *Tailer) readHead(f *os.File, p string, size int64) (fp []byte, ok bool, err error) {
	if strings.HasSuffix(p, ".gz") {
		// The decompressed head: it equals the head of the file that was
		// compressed, which is how a rotated-then-compressed file is recognised.
		return gzipHead(f, size, t.cfg.FingerprintSize)
	}
	fp = make([]byte, min(int64(t.cfg.FingerprintSize), size))
	if _, err := f.ReadAt(fp, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	return fp, true, nil
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
