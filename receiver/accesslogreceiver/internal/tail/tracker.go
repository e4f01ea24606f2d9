package tail

import (
	"bytes"
	"strings"
	"time"
)

// track matches this poll's candidates to what is known and updates it:
// first by inode (a renamed file keeps it), then by fingerprint for files
// known only by fingerprint (what was in a file before it was truncated, to
// be found in its copy). The rotation heuristics are in rotation.go.
func (t *Tailer) track(cands []candidate, now time.Time) {
	m := &matching{cands: cands, matchedTo: t.matchByID(cands), renamed: make([]bool, len(cands))}
	for i, f := range m.matchedTo {
		m.renamed[i] = renamedTo(f, cands[i])
	}
	present := presentIDs(cands)
	for i, c := range cands {
		if c.f == nil {
			continue
		}
		f := m.matchedTo[i]
		if f == nil {
			f = t.findByFingerprint(c, present)
		} else if truncatedInPlace(f, &c) {
			t.restartTruncated(f, c, m, now)
		}
		if f == nil && c.gz() && t.compressedCopyOfActive(c) {
			_ = c.f.Close()
			continue
		}
		if f == nil {
			f = t.addFile(c, m)
		} else {
			t.reopen(f, c)
		}
		f.id, f.f, f.path, f.matched, f.lastSeen, f.restored = c.id, c.f, c.path, t.pollNum, now, false
		if c.size != f.size {
			f.size, f.lastGrowth = c.size, now
		}
	}
}

// matchByID returns, per candidate, the known file with its inode, and
// marks those files matched.
func (t *Tailer) matchByID(cands []candidate) []*file {
	matchedTo := make([]*file, len(cands))
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
	return matchedTo
}

// presentIDs returns the inodes open in this poll.
func presentIDs(cands []candidate) map[fileID]bool {
	present := make(map[fileID]bool, len(cands))
	for _, c := range cands {
		if c.f != nil && c.id.known() {
			present[c.id] = true
		}
	}
	return present
}

// restartTruncated reads f, truncated or rewritten in place (copytruncate),
// again from its start. What we knew of the old content stays known by
// fingerprint, so that a copy of it is read on from where we were rather
// than again.
func (t *Tailer) restartTruncated(f *file, c candidate, m *matching, now time.Time) {
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
	if orig := t.copiedFrom(c, m); orig != nil {
		f.offset, f.skipping = orig.offset, orig.skipping
	} else if known := t.knownContent(c); known != nil {
		f.offset, f.skipping = known.offset, known.skipping
		t.dropFile(known)
	}
}

// addFile starts tracking c, a file not known before: from the offset of the
// file it is a copy of, from its end for a file present at startup with
// start_at end, else from its start.
func (t *Tailer) addFile(c candidate, m *matching) *file {
	f := &file{path: c.path, fp: c.fp, size: -1}
	if orig := t.copiedFrom(c, m); orig != nil {
		// A copy of a file being read (copytruncate caught between its copy
		// and its truncation): what was read of the original is not read
		// again from the copy.
		f.offset, f.skipping = orig.offset, orig.skipping
	} else if !t.polled && !t.restore && !t.cfg.StartAtBeginning {
		t.seekEnd(f, c)
	} else if id, ok := t.startup[c.path]; ok && id == c.id {
		t.seekEnd(f, c)
	}
	delete(t.startup, c.path)
	t.files = append(t.files, f)
	t.dirty = true
	return f
}

// reopen takes c as the handle of f, known before, and learns its longer
// head.
func (t *Tailer) reopen(f *file, c candidate) {
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

// seekEnd starts f at the end of the last complete line of c, so that a line
// being written at startup is read whole.
func (*Tailer) seekEnd(f *file, c candidate) {
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

// active returns the files matched in this poll in the order they were
// found, so that a rotated file is finished before its successor is started.
func (t *Tailer) active() []*file {
	var active []*file
	for _, f := range t.files {
		if f.matched == t.pollNum && f.f != nil {
			active = append(active, f)
		}
	}
	return active
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
