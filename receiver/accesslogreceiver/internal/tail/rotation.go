package tail

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// The rotation heuristics: how a candidate of this poll is recognised as a
// known file under another name or as a known file's content in another
// file. Each is used by track and tested on its own (rotation_test.go).

// matching is one poll's candidates and the known files they matched by
// inode.
type matching struct {
	cands     []candidate
	matchedTo []*file // per candidate; nil when not matched by inode
	renamed   []bool  // per candidate: matched by inode under another name
}

// renamedTo reports a rename rotation: c is known file f (the same inode)
// under another name. Known before track updates names: a renamed file is
// not copytruncate's original.
func renamedTo(f *file, c candidate) bool { return f != nil && f.path != c.path }

// truncatedInPlace reports that c, matched to f by inode, was truncated or
// rewritten in place (copytruncate): it is shorter than what was read of f,
// or its head no longer agrees with f's. An archive is never rewritten.
func truncatedInPlace(f *file, c *candidate) bool {
	return !c.gz() && (c.size < f.offset || !f.continuedBy(c))
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

// copiedFrom returns the file still present under its own name of which c,
// a new file, is a copy: the original was read past its start and is neither
// truncated, rewritten nor renamed; c's name extends the original's (see
// copyName); and c holds the same bytes as the original from its start up to
// at least the original's offset (checked on the fingerprint and on the
// fingerprint_size bytes before the offset). The copy is then read on from
// the original's offset. Content alone cannot tell a copy from an unrelated
// new file that happens to hold the same bytes (services writing the same
// lines to several files), hence the name.
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
func (t *Tailer) copiedFrom(c candidate, m *matching) *file {
	if c.gz() {
		return nil // compressedCopyOfActive
	}
	for j, orig := range m.matchedTo {
		oc := m.cands[j]
		if orig == nil || oc.f == nil || m.renamed[j] || oc.id == c.id || orig.gz() || orig.offset <= 0 {
			continue
		}
		if !copyName(oc.path, c.path) {
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

// copyName reports whether the base name of cp extends that of orig
// (a.log -> a.log.1, a.log-20260509, in any directory): how logrotate names
// copies.
func copyName(orig, cp string) bool {
	base := filepath.Base(orig)
	return strings.HasPrefix(filepath.Base(cp), base) && filepath.Base(cp) != base
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
// plain file matched in this poll: being compressed while the original is
// still there (or kept with gzip -k). The original is read; the archive
// would repeat it.
func (t *Tailer) compressedCopyOfActive(c candidate) bool {
	for _, f := range t.files {
		if f.matched == t.pollNum && !f.gz() && f.continuedBy(&c) {
			return true
		}
	}
	return false
}
