package tail

import (
	"bytes"
	"hash/fnv"
	"os"
	"strings"
	"time"
)

// fileID is a file's device and inode; zero when unknown.
type fileID struct{ Dev, Ino uint64 }

func (id fileID) known() bool { return id != fileID{} }

// file is what is known of one file: its identity (inode and fingerprint),
// how far it was read and accepted, and its open handle while matched.
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

// fingerprint returns the length and hash a checkpoint saves of f's head.
func (f *file) fingerprint() (n int, h uint64) {
	if f.hashed() {
		return f.fpLen, f.fpHash
	}
	return len(f.fp), fpHash(f.fp)
}

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

func fpConsistent(a, b []byte) bool { return bytes.HasPrefix(a, b) || bytes.HasPrefix(b, a) }
