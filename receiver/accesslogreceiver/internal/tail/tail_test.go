package tail

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type gotLine struct {
	path      string
	text      string
	offset    int64
	truncated bool
}

// recorder is a Handler that keeps copies of what it was given.
type recorder struct {
	mu      sync.Mutex
	lines   []gotLine
	cps     []Checkpoint
	commits int
	// fail, when set, is asked before accepting each batch.
	fail func() error
}

// Stage copies the batch; its delivery (on the Tailer's delivery goroutine)
// asks fail and keeps the lines.
func (r *recorder) Stage(b *Batch) func(context.Context) error {
	lines := make([]gotLine, len(b.Lines))
	for i, l := range b.Lines {
		lines[i] = gotLine{path: b.Path, text: string(b.Data[l.Start:l.End]), offset: l.Offset, truncated: l.Truncated}
	}
	return func(context.Context) error {
		if r.fail != nil {
			if err := r.fail(); err != nil {
				return err
			}
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.lines = append(r.lines, lines...)
		return nil
	}
}

func (r *recorder) Commit(_ context.Context, cps []Checkpoint) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cps = cps
	r.commits++
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.lines))
	for i, l := range r.lines {
		out[i] = l.text
	}
	return out
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.lines = nil
	r.mu.Unlock()
}

func appendFile(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	for _, l := range lines {
		_, err = f.WriteString(l)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
}

func ln(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf(`{"msg":"%s-%03d"}`+"\n", prefix, i))
	}
	return out
}

func trimNL(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimSuffix(l, "\n")
	}
	return out
}

func poll(t *testing.T, tl *Tailer) []FileError {
	t.Helper()
	for range 100 {
		errs, more, err := tl.Poll(t.Context())
		require.NoError(t, err)
		if !more {
			return errs
		}
	}
	t.Fatal("poll never caught up")
	return nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTailer(t *testing.T, cfg Config, h Handler, opts ...Option) *Tailer {
	t.Helper()
	if rec, ok := h.(*recorder); ok && stagedRecorders {
		h = &stagingRecorder{recorder: rec}
	}
	tl := New(cfg, h, opts...)
	t.Cleanup(func() { _ = tl.Close() })
	return tl
}

func TestStartAt(t *testing.T) {
	for _, beginning := range []bool{false, true} {
		t.Run(fmt.Sprintf("beginning=%v", beginning), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.jsonl")
			appendFile(t, path, ln("old", 0, 3)...)
			appendFile(t, path, `{"msg":"partial`) // a line being written at startup
			rec := &recorder{}
			tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*.jsonl")}, StartAtBeginning: beginning}, rec)
			poll(t, tl)
			appendFile(t, path, `"}`+"\n")
			appendFile(t, path, ln("new", 0, 2)...)
			poll(t, tl)
			want := trimNL(append([]string{`{"msg":"partial"}` + "\n"}, ln("new", 0, 2)...))
			if beginning {
				want = append(trimNL(ln("old", 0, 3)), want...)
			}
			assert.Equal(t, want, rec.texts())
		})
	}
}

func TestFileAppearingLaterIsReadFromStart(t *testing.T) {
	dir := t.TempDir()
	appendFile(t, filepath.Join(dir, "access-2026-05-08.jsonl"), ln("day1", 0, 2)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "access-*.jsonl")}}, rec)
	poll(t, tl)
	assert.Empty(t, rec.texts(), "start_at end skips what was there")
	// Midnight: the writer moves to the next day's file.
	appendFile(t, filepath.Join(dir, "access-2026-05-08.jsonl"), ln("day1", 2, 3)...)
	appendFile(t, filepath.Join(dir, "access-2026-05-09.jsonl"), ln("day2", 0, 3)...)
	poll(t, tl)
	assert.ElementsMatch(t, trimNL(append(ln("day1", 2, 3), ln("day2", 0, 3)...)), rec.texts())
}

func TestEmptyFileThenContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}}, rec)
	poll(t, tl)
	appendFile(t, path, ln("x", 0, 2)...)
	poll(t, tl)
	assert.Equal(t, trimNL(ln("x", 0, 2)), rec.texts())
}

func TestRenameRotation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		include string
	}{
		{name: "rotated name matched", include: "a.log*"},
		{name: "rotated name not matched", include: "a.log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.log")
			appendFile(t, path, ln("one", 0, 3)...)
			rec := &recorder{}
			tl := newTailer(t, Config{Include: []string{filepath.Join(dir, tc.include)}, StartAtBeginning: true}, rec)
			poll(t, tl)
			// Lines written just before the rename are only in the moved file.
			appendFile(t, path, ln("one", 3, 5)...)
			require.NoError(t, os.Rename(path, path+".1"))
			appendFile(t, path, ln("two", 0, 2)...)
			poll(t, tl)
			poll(t, tl)
			assert.ElementsMatch(t, trimNL(append(ln("one", 0, 5), ln("two", 0, 2)...)), rec.texts())
			// And it keeps following the new file.
			appendFile(t, path, ln("two", 2, 3)...)
			poll(t, tl)
			assert.Len(t, rec.texts(), 8)
		})
	}
}

func TestCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("one", 0, 4)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true}, rec)
	poll(t, tl)
	require.NoError(t, os.Truncate(path, 0))
	appendFile(t, path, ln("two", 0, 2)...) // shorter than the old offset
	poll(t, tl)
	appendFile(t, path, ln("two", 2, 3)...)
	poll(t, tl)
	assert.Equal(t, trimNL(append(ln("one", 0, 4), ln("two", 0, 3)...)), rec.texts())
}

// Truncated and rewritten past the old offset before the next poll: the
// fingerprint tells that the content is new.
func TestTruncateAndRegrowPastOffset(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("one", 0, 2)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true}, rec)
	poll(t, tl)
	require.NoError(t, os.Truncate(path, 0))
	appendFile(t, path, ln("two", 0, 5)...)
	poll(t, tl)
	assert.Equal(t, trimNL(append(ln("one", 0, 2), ln("two", 0, 5)...)), rec.texts())
}

func TestCopyTruncateWithCopyMatched(t *testing.T) {
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
	require.NoError(t, os.Truncate(path, 0))
	appendFile(t, path, ln("two", 0, 1)...)
	poll(t, tl)
	assert.ElementsMatch(t, trimNL(append(ln("one", 0, 5), ln("two", 0, 1)...)), rec.texts())
}

func TestDeletedWhileOpenIsReadToEnd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 2)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true}, rec)
	poll(t, tl)
	appendFile(t, path, ln("x", 2, 6)...)
	require.NoError(t, os.Remove(path))
	poll(t, tl)
	assert.Equal(t, trimNL(ln("x", 0, 6)), rec.texts())
	assert.False(t, tl.Files()[0].Open, "closed once drained")
}

func TestForceFlush(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, `{"msg":"done"}`+"\n"+`{"msg":"unterminated"}`)
	clk := &clock{t: time.Unix(1e9, 0)}
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, FlushPeriod: time.Second}, rec, WithClock(clk.now))
	poll(t, tl)
	assert.Equal(t, []string{`{"msg":"done"}`}, rec.texts())
	clk.advance(500 * time.Millisecond)
	poll(t, tl)
	assert.Len(t, rec.texts(), 1, "not yet")
	clk.advance(600 * time.Millisecond)
	poll(t, tl)
	assert.Equal(t, []string{`{"msg":"done"}`, `{"msg":"unterminated"}`}, rec.texts())
	appendFile(t, path, "\n"+`{"msg":"next"}`+"\n")
	poll(t, tl)
	assert.Equal(t, []string{`{"msg":"done"}`, `{"msg":"unterminated"}`, "", `{"msg":"next"}`}, rec.texts())
}

func TestMaxLineSize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	huge := `{"msg":"` + strings.Repeat("x", 10<<20) + `"}`
	appendFile(t, path, `{"msg":"before"}`+"\n", huge+"\n", `{"msg":"after"}`+"\n")
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, MaxLineSize: 1 << 20}, rec)
	poll(t, tl)
	require.Len(t, rec.lines, 3)
	assert.Equal(t, `{"msg":"before"}`, rec.lines[0].text)
	assert.Equal(t, huge[:1<<20], rec.lines[1].text)
	assert.True(t, rec.lines[1].truncated)
	assert.Equal(t, `{"msg":"after"}`, rec.lines[2].text)
	assert.Equal(t, int64(len(`{"msg":"before"}`)+1+len(huge)+1), rec.lines[2].offset)
}

// A long line still being written: the head is sent, the rest skipped even
// across polls and a restart.
func TestMaxLineSizeAcrossPolls(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, strings.Repeat("a", 300))
	rec := &recorder{}
	cfg := Config{Include: []string{path}, StartAtBeginning: true, MaxLineSize: 100}
	tl := newTailer(t, cfg, rec)
	poll(t, tl)
	appendFile(t, path, strings.Repeat("b", 300))
	poll(t, tl)
	require.NoError(t, tl.Close())
	tl2 := newTailer(t, cfg, rec)
	tl2.Restore(rec.cps)
	appendFile(t, path, "ccc\nnext\n")
	poll(t, tl2)
	assert.Equal(t, []string{strings.Repeat("a", 100), "next"}, rec.texts())
}

func TestGzip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, l := range ln("z", 0, 5) {
		_, err := zw.Write([]byte(l))
		require.NoError(t, err)
	}
	_, err := zw.Write([]byte(`{"msg":"last without newline"}`))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	rec := &recorder{}
	cfg := Config{Include: []string{filepath.Join(dir, "*")}, StartAtBeginning: true, MaxBatchLines: 2}
	tl := newTailer(t, cfg, rec)
	poll(t, tl)
	poll(t, tl)
	assert.Equal(t, append(trimNL(ln("z", 0, 5)), `{"msg":"last without newline"}`), rec.texts())
	// A restart does not read it again.
	tl2 := newTailer(t, cfg, rec)
	tl2.Restore(rec.cps)
	poll(t, tl2)
	assert.Len(t, rec.texts(), 6)
}

func TestCorruptGzipIsReportedNotFatal(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.gz"), []byte("this is not gzip at all"), 0o600))
	appendFile(t, filepath.Join(dir, "good.log"), ln("g", 0, 1)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*")}, StartAtBeginning: true}, rec)
	errs := poll(t, tl)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "bad.gz")
	assert.Equal(t, trimNL(ln("g", 0, 1)), rec.texts())
}

func TestRestoreResumesWithoutLossOrRepeat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 5)...)
	rec := &recorder{}
	cfg := Config{Include: []string{path}}
	tl := newTailer(t, cfg, rec)
	appendFile(t, path)
	poll(t, tl) // start_at end
	appendFile(t, path, ln("x", 5, 8)...)
	poll(t, tl)
	require.NoError(t, tl.Close())
	cps := rec.cps
	require.Len(t, cps, 1)

	// While we are down: more lines, then a rotation to a new file.
	appendFile(t, path, ln("x", 8, 10)...)
	require.NoError(t, os.Rename(path, path+".1"))
	appendFile(t, path, ln("y", 0, 2)...)
	cfg.Include = []string{path + "*"}
	tl2 := newTailer(t, cfg, rec)
	tl2.Restore(cps)
	poll(t, tl2)
	assert.ElementsMatch(t, trimNL(append(ln("x", 5, 10), ln("y", 0, 2)...)), rec.texts())
}

func TestConsumeErrorKeepsOffset(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 5)...)
	failing := true
	rec := &recorder{fail: func() error {
		if failing {
			return errors.New("shutting down")
		}
		return nil
	}}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, MaxBatchLines: 2}, rec)
	_, _, err := tl.Poll(t.Context())
	require.Error(t, err)
	assert.Equal(t, int64(0), tl.Files()[0].Offset)
	failing = false
	poll(t, tl)
	assert.Equal(t, trimNL(ln("x", 0, 5)), rec.texts())
	assert.Equal(t, tl.Files()[0].Size, tl.Files()[0].Offset)
}

func TestBatchLimitsAndOffsets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	lines := ln("x", 0, 10)
	appendFile(t, path, lines...)
	var sizes []int
	rec := &recorder{}
	h := &batchSizer{recorder: rec, sizes: &sizes}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, MaxBatchLines: 3}, h)
	poll(t, tl)
	assert.Equal(t, []int{3, 3, 3, 1}, sizes)
	var off int64
	for i, l := range rec.lines {
		assert.Equal(t, off, l.offset, i)
		off += int64(len(lines[i]))
	}
}

type batchSizer struct {
	*recorder
	sizes *[]int
}

func (b *batchSizer) Stage(batch *Batch) func(context.Context) error {
	*b.sizes = append(*b.sizes, len(batch.Lines))
	return b.recorder.Stage(batch)
}

func TestMaxBytesPerPollReportsMore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 100)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, MaxBatchLines: 10, MaxBytesPerPoll: 500}, rec)
	_, more, err := tl.Poll(t.Context())
	require.NoError(t, err)
	assert.True(t, more)
	poll(t, tl)
	assert.Len(t, rec.texts(), 100)
}

func TestUnreadableFileIsReportedAndRetried(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 3)...)
	denied := true
	open := func(p string) (*os.File, error) {
		if denied {
			return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrPermission}
		}
		return os.Open(p)
	}
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true}, rec, WithOpen(open))
	errs := poll(t, tl)
	require.Len(t, errs, 1)
	assert.Equal(t, path, errs[0].Path)
	assert.ErrorIs(t, errs[0], os.ErrPermission)
	denied = false
	assert.Empty(t, poll(t, tl))
	assert.Equal(t, trimNL(ln("x", 0, 3)), rec.texts())
}

func TestExclude(t *testing.T) {
	dir := t.TempDir()
	appendFile(t, filepath.Join(dir, "a.log"), ln("a", 0, 1)...)
	appendFile(t, filepath.Join(dir, "b.log"), ln("b", 0, 1)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*.log")}, Exclude: []string{"b.*"}, StartAtBeginning: true}, rec)
	poll(t, tl)
	assert.Equal(t, trimNL(ln("a", 0, 1)), rec.texts())
}

func TestMaxOpenFilesRoundRobin(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		appendFile(t, filepath.Join(dir, fmt.Sprintf("f%d.log", i)), ln(fmt.Sprint(i), 0, 2)...)
	}
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*.log")}, StartAtBeginning: true, MaxOpenFiles: 2}, rec)
	for range 3 {
		poll(t, tl)
		open := 0
		for _, f := range tl.Files() {
			if f.Open {
				open++
			}
		}
		assert.LessOrEqual(t, open, 2)
	}
	assert.Len(t, rec.texts(), 10)
}

func TestForgetOldFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 1)...)
	clk := &clock{t: time.Unix(1e9, 0)}
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, ForgetAfter: time.Minute}, rec, WithClock(clk.now))
	poll(t, tl)
	require.NoError(t, os.Remove(path))
	poll(t, tl)
	assert.Len(t, tl.Files(), 1)
	clk.advance(2 * time.Minute)
	poll(t, tl)
	assert.Empty(t, tl.Files())
}

// Many files written concurrently while one goroutine polls: every line
// arrives exactly once and in order per file.
func TestManyFilesWhileWriting(t *testing.T) {
	dir := t.TempDir()
	const files, perFile = 20, 300
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*.log")}, StartAtBeginning: true, MaxBatchLines: 37}, rec)
	var wg sync.WaitGroup
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%02d.log", i)))
			if !assert.NoError(t, err) {
				return
			}
			defer f.Close()
			for j := range perFile {
				_, err := fmt.Fprintf(f, `{"file":%d,"seq":%d}`+"\n", i, j)
				assert.NoError(t, err)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	deadline := time.After(30 * time.Second)
loop:
	for {
		select {
		case <-done:
			break loop
		case <-deadline:
			t.Fatal("writers did not finish")
		default:
			poll(t, tl)
		}
	}
	poll(t, tl)
	assert.Len(t, rec.lines, files*perFile)
	next := map[string]int{}
	for _, l := range rec.lines {
		var fi, sj int
		_, err := fmt.Sscanf(l.text, `{"file":%d,"seq":%d}`, &fi, &sj)
		require.NoError(t, err, l.text)
		require.Equal(t, fmt.Sprintf("f%02d.log", fi), filepath.Base(l.path))
		require.Equal(t, next[l.path], sj, l.path) // in order, none twice
		next[l.path]++
	}
	for p, n := range next {
		assert.Equal(t, perFile, n, p)
	}
}

// Files whose first bytes are the same (a common header, or identical first
// lines) are still different files.
func TestIdenticalHeadsAreDistinctFiles(t *testing.T) {
	dir := t.TempDir()
	head := ln("same", 0, 40) // more than the fingerprint
	appendFile(t, filepath.Join(dir, "a.log"), head...)
	appendFile(t, filepath.Join(dir, "b.log"), head...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*.log")}, StartAtBeginning: true, FingerprintSize: 64}, rec)
	poll(t, tl)
	assert.Len(t, rec.texts(), 80)
	appendFile(t, filepath.Join(dir, "b.log"), ln("b", 0, 1)...)
	poll(t, tl)
	assert.Len(t, rec.texts(), 81)
}

// A file renamed away (not matched any more) and a new one with the same
// first lines: the new one is read from its start, not from the old offset.
func TestRenamedAwayThenSameHead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("same", 0, 5)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, FingerprintSize: 64}, rec)
	poll(t, tl)
	require.NoError(t, os.Rename(path, filepath.Join(dir, "old")))
	appendFile(t, path, ln("same", 0, 3)...)
	poll(t, tl)
	assert.Len(t, rec.texts(), 8)
}

func TestCheckpointsCarryInode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 2)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true}, rec)
	poll(t, tl)
	require.Len(t, rec.cps, 1)
	assert.NotZero(t, rec.cps[0].Ino)
	assert.Equal(t, int64(len(strings.Join(ln("x", 0, 2), ""))), rec.cps[0].Offset)
}

// After a restart the device or inode may differ (a volume mounted again):
// the fingerprint still finds the file.
func TestRestoreWithChangedInode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 3)...)
	rec := &recorder{}
	cfg := Config{Include: []string{path}, StartAtBeginning: true}
	tl := newTailer(t, cfg, rec)
	poll(t, tl)
	require.NoError(t, tl.Close())
	cps := append([]Checkpoint(nil), rec.cps...)
	cps[0].Dev, cps[0].Ino = 1, 2
	appendFile(t, path, ln("x", 3, 5)...)
	tl2 := newTailer(t, cfg, rec)
	tl2.Restore(cps)
	poll(t, tl2)
	assert.Equal(t, trimNL(ln("x", 0, 5)), rec.texts())
}

// A writer that rotates by rename while the tailer polls: every line once, in
// order, with the rotated names matched or only held open.
func TestRenameRotationWhileWriting(t *testing.T) {
	for _, include := range []string{"a.log*", "a.log"} {
		t.Run(include, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.log")
			const rotations, perFile = 8, 150
			rec := &recorder{}
			tl := newTailer(t, Config{Include: []string{filepath.Join(dir, include)}, StartAtBeginning: true, MaxBatchLines: 17}, rec)
			done := make(chan struct{})
			go func() {
				defer close(done)
				seq := 0
				for r := range rotations {
					f, err := os.Create(path)
					if !assert.NoError(t, err) {
						return
					}
					for range perFile {
						_, err := fmt.Fprintf(f, `{"seq":%d}`+"\n", seq)
						assert.NoError(t, err)
						seq++
						if seq%25 == 0 {
							time.Sleep(time.Millisecond)
						}
					}
					assert.NoError(t, f.Close())
					if include == "a.log" {
						// Rotated away from the glob: give the tailer a poll to take
						// hold of the file (an unseen file that is rotated away twice
						// before any poll cannot be found by anyone).
						time.Sleep(20 * time.Millisecond)
					}
					assert.NoError(t, os.Rename(path, fmt.Sprintf("%s.%d", path, r+1)))
				}
			}()
			deadline := time.After(30 * time.Second)
		loop:
			for {
				select {
				case <-done:
					break loop
				case <-deadline:
					t.Fatal("writer did not finish")
				default:
					poll(t, tl)
					time.Sleep(2 * time.Millisecond)
				}
			}
			poll(t, tl)
			poll(t, tl)
			texts := rec.texts()
			require.Len(t, texts, rotations*perFile)
			for i, s := range texts {
				require.Equal(t, fmt.Sprintf(`{"seq":%d}`, i), s)
			}
		})
	}
}

func gzipFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(dst, buf.Bytes(), 0o600))
}

// logrotate with compress: a.log -> a.log.1 -> a.log.1.gz (a.log.1 removed),
// with every name matched. The archive is known for the file it holds: only
// the lines not read before rotation are read from it.
func TestRotateThenCompress(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("one", 0, 5)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{path + "*"}, StartAtBeginning: true}, rec)
	poll(t, tl)
	appendFile(t, path, ln("one", 5, 7)...) // written just before rotation
	require.NoError(t, os.Rename(path, path+".1"))
	gzipFile(t, path+".1", path+".1.gz")
	require.NoError(t, os.Remove(path+".1"))
	appendFile(t, path, ln("two", 0, 2)...)
	poll(t, tl)
	poll(t, tl)
	assert.ElementsMatch(t, trimNL(append(ln("one", 0, 7), ln("two", 0, 2)...)), rec.texts())
}

// gzip -k, or a compression in progress: while the original is there, the
// archive is not read; once the original goes, the archive is known as it.
func TestCompressedCopyBesideOriginal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log.1")
	appendFile(t, path, ln("x", 0, 4)...)
	rec := &recorder{}
	tl := newTailer(t, Config{Include: []string{filepath.Join(dir, "*")}, StartAtBeginning: true}, rec)
	poll(t, tl)
	gzipFile(t, path, path+".gz")
	poll(t, tl)
	require.NoError(t, os.Remove(path))
	poll(t, tl)
	poll(t, tl)
	assert.Equal(t, trimNL(ln("x", 0, 4)), rec.texts())
}
