package tail

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// copytruncate with a poll between the copy and the truncation: the copy (a
// new inode, matched by the include) holds what was already read from the
// original and must not be read again.
func TestCopyTruncatePollBetweenCopyAndTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("one", 0, 3)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path + "*"}, StartAtBeginning: true}, rec)
	poll(t, tl)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".1", data, 0o600))
	poll(t, tl) // lands between copy and truncate
	require.NoError(t, os.Truncate(path, 0))
	appendFile(t, path, ln("two", 0, 1)...)
	poll(t, tl)
	assert.ElementsMatch(t, trimNL(append(ln("one", 0, 3), ln("two", 0, 1)...)), rec.texts())
}

// The copy was taken after the original grew past what was read: the copy
// is read from where the original stood, so the lines written in between are
// read (perhaps twice, never lost) even if the original is truncated before
// the tailer reads them from it.
func TestCopyTruncateCopyAheadOfOffset(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("one", 0, 3)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path + "*"}, StartAtBeginning: true}, rec)
	poll(t, tl)
	appendFile(t, path, ln("one", 3, 5)...)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".1", data, 0o600))
	poll(t, tl)
	require.NoError(t, os.Truncate(path, 0))
	appendFile(t, path, ln("two", 0, 1)...)
	poll(t, tl)
	got := rec.texts()
	for _, want := range trimNL(append(ln("one", 0, 5), ln("two", 0, 1)...)) {
		assert.Contains(t, got, want)
	}
	for _, want := range trimNL(ln("one", 0, 3)) {
		n := 0
		for _, g := range got {
			if g == want {
				n++
			}
		}
		assert.Equal(t, 1, n, "%s was read before the copy existed: once only", want)
	}
}

// Files beyond the max_concurrent_files window at the first poll were present
// at startup: start_at end applies to them too.
func TestMaxOpenFilesKeepsStartAtEnd(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		appendFile(t, filepath.Join(dir, fmt.Sprintf("f%d.log", i)), ln(fmt.Sprint("old", i), 0, 3)...)
	}
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*.log")}, MaxOpenFiles: 2}, rec)
	for range 4 {
		poll(t, tl)
	}
	assert.Empty(t, rec.texts(), "old lines of files present at startup")
	var want []string
	for i := range 4 {
		lines := ln(fmt.Sprint("new", i), 0, 1)
		appendFile(t, filepath.Join(dir, fmt.Sprintf("f%d.log", i)), lines...)
		want = append(want, trimNL(lines)...)
	}
	// A file that appears later is still read from its start.
	appendFile(t, filepath.Join(dir, "f9.log"), ln("late", 0, 2)...)
	want = append(want, trimNL(ln("late", 0, 2))...)
	for range 4 {
		poll(t, tl)
	}
	assert.ElementsMatch(t, want, rec.texts())
}

// A deleted file whose last line never ends, without force_flush_period: the
// partial line is emitted after a bounded wait and the file is let go.
func TestDeletedUnterminatedLineIsFlushedAndClosed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, `{"msg":"done"}`+"\n"+`{"msg":"cut`)
	clk := &clock{t: time.Unix(1e9, 0)}
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true}, rec, WithClock(clk.now))
	poll(t, tl)
	require.NoError(t, os.Remove(path))
	clk.advance(100 * time.Millisecond)
	poll(t, tl)
	assert.Equal(t, []string{`{"msg":"done"}`}, rec.texts(), "the writer may still finish the line")
	require.True(t, tl.Files()[0].Open)
	clk.advance(DeletedFlushPeriod)
	poll(t, tl)
	assert.Equal(t, []string{`{"msg":"done"}`, `{"msg":"cut`}, rec.texts())
	assert.False(t, tl.Files()[0].Open, "closed once given up on")
}

func TestRestoreDropsImplausibleCheckpoints(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 3)...)
	rec := &recorder{}
	cfg := Config{Include: []string{path}, StartAtBeginning: true, FingerprintSize: 64}
	fp, err := os.ReadFile(path)
	require.NoError(t, err)
	tl := newTailer(t, cfg, rec)
	dropped := tl.Restore([]Checkpoint{
		{Fingerprint: fp[:64], Offset: -5, Path: path},
		{Fingerprint: nil, Offset: 10, Path: "b"},
		{Fingerprint: make([]byte, maxRestoredFingerprint+1), Offset: 10, Path: "c"},
		{Fingerprint: []byte("x"), Offset: 1, GzipSize: -1, Path: "d.gz"},
	})
	require.Len(t, dropped, 4)
	assert.Contains(t, dropped[0].Error(), "offset -5")
	assert.Contains(t, dropped[1].Error(), "fingerprint")
	assert.Contains(t, dropped[2].Error(), "fingerprint")
	assert.Contains(t, dropped[3].Error(), "gzip")
	assert.Empty(t, tl.Files())
	poll(t, tl) // no checkpoint survived: start_at decides
	assert.Equal(t, trimNL(ln("x", 0, 3)), rec.texts())

	// A fingerprint longer than fingerprint_size (the setting was lowered) is
	// kept by its prefix.
	rec2 := &recorder{}
	tl2 := newTailer(t, cfg, rec2)
	appendFile(t, path, ln("x", 3, 4)...)
	require.Empty(t, tl2.Restore([]Checkpoint{{Fingerprint: fp, Offset: int64(len(fp)), Path: path}}))
	poll(t, tl2)
	assert.Equal(t, trimNL(ln("x", 3, 4)), rec2.texts())
}

// sizingRecorder measures what a storage would write per commit.
type sizingRecorder struct {
	recorder
	bytes int
}

func (s *sizingRecorder) Commit(ctx context.Context, cps []Checkpoint) {
	data, _ := json.Marshal(struct {
		Version int          `json:"version"`
		Files   []Checkpoint `json:"files"`
	}{1, cps})
	s.bytes += len(data)
	s.recorder.Commit(ctx, cps)
}

// 200 files with a few new lines each: a few commits per poll, not one per
// batch, each a few hundred bytes per file at most.
func TestFewCommitsPerPollWithManyFiles(t *testing.T) {
	dir := t.TempDir()
	const files = 200
	for i := range files {
		appendFile(t, filepath.Join(dir, fmt.Sprintf("f%03d.log", i)), strings.Repeat("x", 1100)+"\n")
	}
	rec := &sizingRecorder{}
	clk := &clock{t: time.Unix(1e9, 0)} // a slow machine must not hit CommitInterval
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*.log")}}, rec, WithClock(clk.now))
	poll(t, tl)
	for i := range files {
		appendFile(t, filepath.Join(dir, fmt.Sprintf("f%03d.log", i)), ln("y", 0, 3)...)
	}
	rec.commits, rec.bytes = 0, 0
	poll(t, tl)
	assert.Len(t, rec.texts(), 3*files)
	t.Logf("one poll of %d files: %d commit(s), %d bytes", files, rec.commits, rec.bytes)
	// Was 200 commits and 61 MB (every batch saved all 200 base64 fingerprints).
	assert.LessOrEqual(t, rec.commits, 3)
	assert.Less(t, rec.bytes, 128<<10)
	for _, cp := range rec.cps {
		assert.Equal(t, int64(1101+3*len(ln("y", 0, 1)[0])), cp.Offset)
	}
	rec.commits = 0
	poll(t, tl)
	assert.Zero(t, rec.commits, "nothing moved")
}

// One file read in many batches: its offset is saved after each batch, so a
// crash repeats at most the batch in flight.
func TestCommitsAfterEachBatchForOneFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 1000)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, MaxBatchLines: 100}, rec)
	poll(t, tl)
	assert.Len(t, rec.texts(), 1000)
	assert.GreaterOrEqual(t, rec.commits, 10)
}

// Not recognised as copies: a rename rotation whose new file starts with the
// same lines, and a file holding less than was read of the original (a stale
// copy, or a new file that starts alike). Both are read from their start:
// possible repeats rather than possible loss.
func TestSameHeadIsNotTakenForACopy(t *testing.T) {
	t.Run("rename rotation", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "a.log")
		appendFile(t, path, ln("same", 0, 5)...)
		rec := &recorder{}
		tl := newTailer(t, Config{Include: []string{path + "*"}, StartAtBeginning: true}, rec)
		poll(t, tl)
		require.NoError(t, os.Rename(path, path+".1"))
		appendFile(t, path, ln("same", 0, 5)...) // as long as what was read
		poll(t, tl)
		assert.Len(t, rec.texts(), 10)
	})
	t.Run("shorter than what was read", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "a.log")
		appendFile(t, path, ln("same", 0, 5)...)
		rec := &recorder{}
		tl := newTailer(t, Config{Include: []string{path + "*"}, StartAtBeginning: true}, rec)
		poll(t, tl)
		appendFile(t, path+".1", ln("same", 0, 2)...)
		poll(t, tl)
		assert.Len(t, rec.texts(), 7)
	})
}

// Several files written with the same lines (the same request logged to two
// places): none is taken for a copy of another.
func TestSameContentInOtherFilesIsNotACopy(t *testing.T) {
	dir := t.TempDir()
	appendFile(t, filepath.Join(dir, "f1.log"), ln("same", 0, 5)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*.log")}, StartAtBeginning: true}, rec)
	poll(t, tl)
	appendFile(t, filepath.Join(dir, "f2.log"), ln("same", 0, 5)...)
	poll(t, tl)
	assert.Len(t, rec.texts(), 10)
}

// Checkpoints carry the fingerprint as length and hash and survive a JSON
// round trip, whatever fingerprint_size is after the restart; the first
// version's fingerprint bytes are still understood.
func TestRestoreHashedFingerprint(t *testing.T) {
	for _, tc := range []struct {
		name      string
		before    int
		after     int
		asVersion int
	}{
		{"same size", 64, 64, 2},
		{"fingerprint_size lowered", 64, 32, 2},
		{"fingerprint_size raised", 64, 256, 2},
		{"version 1 bytes", 64, 64, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.log")
			appendFile(t, path, ln("x", 0, 20)...) // longer than every fingerprint_size below
			rec := &recorder{}
			tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, FingerprintSize: tc.before}, rec)
			poll(t, tl)
			require.NoError(t, tl.Close())
			require.Len(t, rec.cps, 1)
			cp := rec.cps[0]
			assert.Empty(t, cp.Fingerprint, "bytes are no longer saved")
			assert.Equal(t, tc.before, cp.FingerprintLen)
			if tc.asVersion == 1 {
				head, err := os.ReadFile(path)
				require.NoError(t, err)
				cp.Fingerprint, cp.FingerprintLen, cp.FingerprintHash = head[:tc.before], 0, 0
			}
			data, err := json.Marshal([]Checkpoint{cp})
			require.NoError(t, err)
			var cps []Checkpoint
			require.NoError(t, json.Unmarshal(data, &cps))
			cps[0].Dev, cps[0].Ino = 0, 0 // found by fingerprint alone

			appendFile(t, path, ln("x", 20, 22)...)
			rec2 := &recorder{}
			tl2 := newTailer(t, Config{Include: []string{path}, FingerprintSize: tc.after}, rec2)
			require.Empty(t, tl2.Restore(cps))
			poll(t, tl2)
			assert.Equal(t, trimNL(ln("x", 20, 22)), rec2.texts())
			require.Len(t, rec2.cps, 1)
			assert.Equal(t, tc.after, rec2.cps[0].FingerprintLen, "the head is known again in full")
		})
	}
}

// A restored (hashed) file that was rotated and compressed while the
// collector was down: only its unread lines come from the archive.
func TestRestoreHashedThenCompressed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 100)...)
	rec := &recorder{}
	cfg := Config{Include: []string{path + "*"}, StartAtBeginning: true}
	tl := newTailer(t, cfg, rec)
	poll(t, tl)
	require.NoError(t, tl.Close())
	cps := append([]Checkpoint(nil), rec.cps...)
	appendFile(t, path, ln("x", 100, 103)...)
	gzipFile(t, path, path+".1.gz")
	require.NoError(t, os.Remove(path))
	rec2 := &recorder{}
	tl2 := newTailer(t, cfg, rec2)
	require.Empty(t, tl2.Restore(cps))
	poll(t, tl2)
	assert.Equal(t, trimNL(ln("x", 100, 103)), rec2.texts())
}

// copytruncate with one backup, as logrotate does it: the old a.log.1 is
// replaced by a new copy of a.log. The copy may reuse the old backup's inode
// (here: rewritten in place, the same inode for certain); it is still a copy
// of what was read from a.log, and nothing is read twice, whether the poll
// lands between the copy and the truncation or after both.
func TestCopyTruncateOverOldBackupReadsNothingTwice(t *testing.T) {
	for _, pollBetween := range []bool{true, false} {
		t.Run(fmt.Sprintf("poll-between-copy-and-truncate=%v", pollBetween), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.log")
			rec := &recorder{}
			tl := newTailer(t, Config{Include: []string{path + "*"}, StartAtBeginning: true}, rec)
			rotate := func() {
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(path+".1", data, 0o600)) // in place when .1 exists
				if pollBetween {
					poll(t, tl)
				}
				require.NoError(t, os.Truncate(path, 0))
			}
			var want []string
			for round := range 3 {
				name := fmt.Sprintf("r%d", round)
				appendFile(t, path, ln(name, 0, 4)...)
				want = append(want, ln(name, 0, 4)...)
				poll(t, tl)
				rotate()
				poll(t, tl)
			}
			assert.ElementsMatch(t, trimNL(want), rec.texts())
		})
	}
}

// An empty new file appearing in the poll that sees another file truncated
// is not taken for the truncated content: it is read from its start.
func TestEmptyNewFileIsNotTakenForTruncatedContent(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	appendFile(t, a, ln("a", 0, 3)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*.log")}, StartAtBeginning: true}, rec)
	poll(t, tl)
	require.NoError(t, os.Truncate(a, 0))
	require.NoError(t, os.WriteFile(b, nil, 0o600))
	poll(t, tl)
	appendFile(t, b, ln("b", 0, 2)...)
	poll(t, tl)
	assert.ElementsMatch(t, trimNL(append(ln("a", 0, 3), ln("b", 0, 2)...)), rec.texts())
}
