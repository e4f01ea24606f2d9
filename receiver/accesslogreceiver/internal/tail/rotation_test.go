package tail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rotation heuristics one by one, on files built for each case; the
// scenarios in tail_test.go and review_test.go run them together.

// heuristicTailer returns a Tailer in the middle of poll 2 (files matched in
// poll 2 are this poll's) with a 64-byte fingerprint.
func heuristicTailer(t *testing.T) *Tailer {
	t.Helper()
	tl := newTailer(t, Config{FingerprintSize: 64}, &recorder{})
	tl.pollNum = 2
	return tl
}

// cand inspects path as one of this poll's candidates.
func cand(t *testing.T, tl *Tailer, path string) candidate {
	t.Helper()
	c, ok, err := tl.inspect(path)
	require.NoError(t, err)
	require.True(t, ok)
	t.Cleanup(func() { _ = c.f.Close() })
	return c
}

// writeFile writes lines to dir/name and returns its path.
func writeFile(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600))
	return path
}

// knownAs is what was known of path's content after reading it to offset.
func knownAs(t *testing.T, path string, offset int64) *file {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return &file{path: path, fp: data[:min(64, len(data))], offset: offset, size: -1}
}

func TestRenamedTo(t *testing.T) {
	f := &file{path: "/l/a.log"}
	assert.False(t, renamedTo(nil, candidate{path: "/l/a.log"}), "not matched by inode")
	assert.False(t, renamedTo(f, candidate{path: "/l/a.log"}))
	assert.True(t, renamedTo(f, candidate{path: "/l/a.log.1"}))
}

func TestTruncatedInPlace(t *testing.T) {
	dir := t.TempDir()
	tl := heuristicTailer(t)
	read := int64(len(strings.Join(ln("one", 0, 5), "")))
	for _, tc := range []struct {
		name  string
		lines []string
		file  string
		want  bool
	}{
		{"grown", ln("one", 0, 8), "a.log", false},
		{"read to its end", ln("one", 0, 5), "a.log", false},
		{"shorter than what was read", ln("one", 0, 3), "a.log", true},
		{"other content, longer", ln("two", 0, 8), "a.log", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, tc.file, ln("one", 0, 5)...)
			f := knownAs(t, path, read)
			writeFile(t, dir, tc.file, tc.lines...)
			c := cand(t, tl, path)
			assert.Equal(t, tc.want, truncatedInPlace(f, &c))
		})
	}
	t.Run("an archive is never truncated", func(t *testing.T) {
		path := filepath.Join(dir, "b.log")
		writeFile(t, dir, "b.log", ln("one", 0, 5)...)
		f := knownAs(t, path, read)
		gzipFile(t, writeFile(t, dir, "c.log", ln("two", 0, 1)...), path+".gz")
		c := cand(t, tl, path+".gz")
		assert.False(t, truncatedInPlace(f, &c))
	})
}

func TestFindByFingerprint(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "a.log", ln("x", 0, 10)...)
	read := int64(len(strings.Join(ln("x", 0, 6), "")))
	t.Run("known by fingerprint only", func(t *testing.T) {
		tl := heuristicTailer(t)
		f := knownAs(t, path, read)
		f.path = filepath.Join(dir, "old") // renamed away before it was seen again
		tl.files = []*file{f}
		assert.Same(t, f, tl.findByFingerprint(cand(t, tl, path), nil))
	})
	t.Run("the same path wins", func(t *testing.T) {
		tl := heuristicTailer(t)
		other, same := knownAs(t, path, read), knownAs(t, path, read)
		other.path = filepath.Join(dir, "b.log")
		tl.files = []*file{other, same}
		assert.Same(t, same, tl.findByFingerprint(cand(t, tl, path), nil))
	})
	t.Run("a known inode that is still present", func(t *testing.T) {
		tl := heuristicTailer(t)
		f := knownAs(t, path, read)
		f.id = fileID{Dev: 1, Ino: 2}
		tl.files = []*file{f}
		assert.Nil(t, tl.findByFingerprint(cand(t, tl, path), map[fileID]bool{f.id: true}))
		assert.Nil(t, tl.findByFingerprint(cand(t, tl, path), nil), "neither restored nor an archive")
		f.restored = true
		assert.Same(t, f, tl.findByFingerprint(cand(t, tl, path), nil), "restored: the inode may have changed")
	})
	t.Run("already matched in this poll", func(t *testing.T) {
		tl := heuristicTailer(t)
		f := knownAs(t, path, read)
		f.matched = tl.pollNum
		tl.files = []*file{f}
		assert.Nil(t, tl.findByFingerprint(cand(t, tl, path), nil))
	})
}

func TestKnownContent(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "a.log.1", ln("x", 0, 10)...)
	read := int64(len(strings.Join(ln("x", 0, 6), "")))
	tl := heuristicTailer(t)
	k := knownAs(t, path, read)
	tl.files = []*file{k}
	assert.Same(t, k, tl.knownContent(cand(t, tl, path)))
	k.offset = 1 << 20
	assert.Nil(t, tl.knownContent(cand(t, tl, path)), "holds less than was read")
	k.offset, k.id = read, fileID{Dev: 1, Ino: 2}
	assert.Nil(t, tl.knownContent(cand(t, tl, path)), "a file known by inode")
}

func TestCopyName(t *testing.T) {
	for _, tc := range []struct {
		orig, cp string
		want     bool
	}{
		{"/l/a.log", "/l/a.log.1", true},
		{"/l/a.log", "/backup/a.log-20260509", true},
		{"/l/a.log", "/l/a.log", false},
		{"/l/a.log", "/l/b.log.1", false},
	} {
		assert.Equal(t, tc.want, copyName(tc.orig, tc.cp), "%s -> %s", tc.orig, tc.cp)
	}
}

func TestCopiedFrom(t *testing.T) {
	dir := t.TempDir()
	orig := writeFile(t, dir, "a.log", ln("x", 0, 10)...)
	read := int64(len(strings.Join(ln("x", 0, 6), "")))
	for _, tc := range []struct {
		name    string
		copy    string
		lines   []string
		renamed bool
		want    bool
	}{
		{"a copy", "a.log.1", ln("x", 0, 10), false, true},
		{"a copy taken before the last read", "a.log.1", ln("x", 0, 3), false, false},
		{"same content, unrelated name", "b.log", ln("x", 0, 10), false, false},
		{"the original was renamed", "a.log.1", ln("x", 0, 10), true, false},
		{"other content", "a.log.2", ln("y", 0, 10), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := heuristicTailer(t)
			f := knownAs(t, orig, read)
			oc, cp := cand(t, tl, orig), cand(t, tl, writeFile(t, dir, tc.copy, tc.lines...))
			m := &matching{cands: []candidate{oc, cp}, matchedTo: []*file{f, nil}, renamed: []bool{tc.renamed, false}}
			got := tl.copiedFrom(cp, m)
			if tc.want {
				assert.Same(t, f, got)
			} else {
				assert.Nil(t, got)
			}
		})
	}
}

func TestCompressedCopyOfActive(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "a.log.1", ln("x", 0, 10)...)
	gzipFile(t, path, path+".gz")
	tl := heuristicTailer(t)
	f := knownAs(t, path, 0)
	tl.files = []*file{f}
	c := cand(t, tl, path+".gz")
	assert.False(t, tl.compressedCopyOfActive(c), "the original is not matched in this poll")
	f.matched = tl.pollNum
	assert.True(t, tl.compressedCopyOfActive(c))
}
