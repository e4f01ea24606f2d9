package capture

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const day = 24 * time.Hour

var sweepNow = time.Date(2026, 5, 15, 12, 0, 0, 0, time.UTC)

// plant writes a capture through the store and backdates it to age, the
// way the sweeper sees it (meta.json's modification time).
func plant(t *testing.T, s *Store, id string, age time.Duration, bodySize int) string {
	t.Helper()
	written := sweepNow.Add(-age)
	c := &Capture{Meta: Meta{RequestID: id, Time: written}, Request: bytes.Repeat([]byte("x"), bodySize)}
	res, err := s.Write(c)
	require.NoError(t, err)
	require.NoError(t, os.Chtimes(filepath.Join(s.Dir(), res.Folder, MetaFile), written, written))
	return res.Folder
}

func exists(t *testing.T, dir, rel string) bool {
	t.Helper()
	_, err := os.Lstat(filepath.Join(dir, rel))
	return err == nil
}

// TestSweepAgeThenSize is the example: the age cut goes first, then
// the oldest survivors go while the total is above the budget, so a
// one-day-old large capture is kept over a six-day-old small one.
func TestSweepAgeThenSize(t *testing.T) {
	for _, tc := range []struct {
		name        string
		policy      Policy
		wantKept    []string
		wantGone    []string
		wantByAge   int
		wantBySize  int
		wantCapture int
	}{
		{
			name:     "age cut, then oldest survivor over budget",
			policy:   Policy{MaxAge: 7 * day, MaxSize: 12_000},
			wantKept: []string{"big-1d"}, wantGone: []string{"old-8d", "small-6d"},
			wantByAge: 1, wantBySize: 1, wantCapture: 1,
		},
		{
			name:     "age cut alone brings the total under budget",
			policy:   Policy{MaxAge: 7 * day, MaxSize: 20_000},
			wantKept: []string{"small-6d", "big-1d"}, wantGone: []string{"old-8d"},
			wantByAge: 1, wantBySize: 0, wantCapture: 2,
		},
		{
			name:     "size only: oldest first, whatever their size",
			policy:   Policy{MaxSize: 12_000},
			wantKept: []string{"big-1d"}, wantGone: []string{"old-8d", "small-6d"},
			wantByAge: 0, wantBySize: 2, wantCapture: 1,
		},
		{
			name:     "age only",
			policy:   Policy{MaxAge: 2 * day},
			wantKept: []string{"big-1d"}, wantGone: []string{"old-8d", "small-6d"},
			wantByAge: 2, wantBySize: 0, wantCapture: 1,
		},
		{
			name:     "budget smaller than the newest capture empties the tree",
			policy:   Policy{MaxAge: 7 * day, MaxSize: 100},
			wantKept: nil, wantGone: []string{"old-8d", "small-6d", "big-1d"},
			wantByAge: 1, wantBySize: 2, wantCapture: 0,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := NewStore(dir, Options{CreateDirectory: true})
			t.Cleanup(func() { assert.NoError(t, s.Close()) })
			folders := map[string]string{
				"old-8d":   plant(t, s, "old-8d", 8*day, 2_000),
				"small-6d": plant(t, s, "small-6d", 6*day, 2_000),
				"big-1d":   plant(t, s, "big-1d", 1*day, 10_000),
			}
			res, err := s.Sweep(sweepNow, tc.policy)
			require.NoError(t, err)
			for _, id := range tc.wantKept {
				assert.True(t, exists(t, dir, folders[id]), "%s kept", id)
			}
			for _, id := range tc.wantGone {
				assert.False(t, exists(t, dir, folders[id]), "%s removed", id)
			}
			assert.Equal(t, tc.wantByAge, res.RemovedByAge)
			assert.Equal(t, tc.wantBySize, res.RemovedBySize)
			assert.Equal(t, tc.wantCapture, res.Captures)
			assert.Equal(t, s.Usage(), res.Bytes)
			if tc.policy.MaxSize > 0 {
				assert.LessOrEqual(t, res.Bytes, tc.policy.MaxSize)
			}
			// Days emptied by the sweep lose their folder; no staging folder is left.
			for _, p := range tree(t, dir) {
				assert.NotContains(t, p, deletePrefix)
			}
		})
	}
}

func TestSweepOnlyTouchesWhatItRecognises(t *testing.T) {
	outer := t.TempDir()
	dir := filepath.Join(outer, "captures")
	outside := filepath.Join(outer, "outside")
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	old := plant(t, s, "old", 30*day, 10)
	oldTime := sweepNow.Add(-30 * day)

	mkCapture := func(base string) {
		t.Helper()
		require.NoError(t, os.MkdirAll(base, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(base, MetaFile), []byte("{}"), 0o600))
		require.NoError(t, os.Chtimes(filepath.Join(base, MetaFile), oldTime, oldTime))
	}
	// Capture-shaped folders in places the sweeper must not treat as captures.
	mkCapture(filepath.Join(dir, "notes", "x"))          // not a date folder
	mkCapture(filepath.Join(dir, "2026-13-45", "x"))     // not a real date
	mkCapture(filepath.Join(dir, "2026-05-01", "a b"))   // not a capture name
	mkCapture(filepath.Join(dir, "2026-05-01", "a~b"))   // not a capture name
	mkCapture(filepath.Join(outside, "2026-05-01", "y")) // reached only through symlinks
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "2026-05-01", "no-meta"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-05-01", "no-meta", RequestFile), []byte("x"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2026-05-01", "plain-file"), []byte("x"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o600))
	require.NoError(t, os.Symlink(filepath.Join(outside, "2026-05-01"), filepath.Join(dir, "2026-05-02")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "2026-05-01", "y"), filepath.Join(dir, "2026-05-01", "linked")))
	before := tree(t, dir)
	outsideBefore := tree(t, outside)

	res, err := s.Sweep(sweepNow, Policy{MaxAge: day, MaxSize: 1})
	require.NoError(t, err)
	assert.Equal(t, 1, res.RemovedByAge)
	assert.Zero(t, res.RemovedBySize)
	assert.False(t, exists(t, dir, old))

	var want []string
	for _, p := range before {
		if p != filepath.Dir(old) && !isUnder(p, filepath.Dir(old)) {
			want = append(want, p)
		}
	}
	assert.Equal(t, want, tree(t, dir), "only the recognised capture (and its emptied date folder) went")
	assert.Equal(t, outsideBefore, tree(t, outside))
}

func isUnder(p, dir string) bool { return len(p) > len(dir) && p[:len(dir)+1] == dir+"/" }

func TestSweepTemporaryFolders(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	date := sweepNow.Format(DateLayout)
	mk := func(name string, age time.Duration) string {
		rel := date + "/" + name
		require.NoError(t, os.MkdirAll(filepath.Join(dir, rel), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel, RequestFile), []byte("partial"), 0o600))
		at := sweepNow.Add(-age)
		require.NoError(t, os.Chtimes(filepath.Join(dir, rel), at, at))
		return rel
	}
	fresh := mk(tempPrefix+"fresh", time.Minute)
	stale := mk(tempPrefix+"stale", 2*time.Hour)
	staleDel := mk(deletePrefix+"stale", 2*time.Hour)
	res, err := s.Sweep(sweepNow, Policy{MaxAge: day, MaxSize: 1 << 30, TempGrace: 10 * time.Minute})
	require.NoError(t, err)
	assert.Equal(t, 2, res.TempsRemoved)
	assert.True(t, exists(t, dir, fresh), "a capture being written is left alone")
	assert.False(t, exists(t, dir, stale))
	assert.False(t, exists(t, dir, staleDel))
	assert.Zero(t, res.Captures, "temporary folders are not captures")
}

func TestSweepMissingDirectoryIsEmptyAndNotCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	res, err := s.Sweep(sweepNow, Policy{MaxAge: day})
	require.NoError(t, err)
	assert.Equal(t, SweepResult{}, res)
	assert.False(t, exists(t, dir, ""))
}

func TestSweepKeepsTodayFolderAndRemovesEmptyOldDays(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	today := sweepNow.Format(DateLayout)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, today), 0o700))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "2026-05-01"), 0o700))
	_, err := s.Sweep(sweepNow, Policy{MaxAge: day})
	require.NoError(t, err)
	assert.True(t, exists(t, dir, today))
	assert.False(t, exists(t, dir, "2026-05-01"))
}

// TestSweepWhileWriting runs sweeps that remove by size while writers keep
// adding captures: writers never fail, and what remains is whole.
func TestSweepWhileWriting(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, Options{CreateDirectory: true})
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	const writers, perWriter = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				c := &Capture{Meta: Meta{RequestID: fmt.Sprintf("w%d-%d", w, i), Time: time.Now()}, Request: bytes.Repeat([]byte("x"), 1000)}
				_, err := s.Write(c)
				errs <- err
			}
		})
	}
	sweeps := make(chan SweepResult, 1000)
	var sweeper sync.WaitGroup
	sweeper.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := s.Sweep(time.Now(), Policy{MaxAge: day, MaxSize: 20_000, TempGrace: time.Hour})
			if !assert.NoError(t, err) {
				return
			}
			select {
			case sweeps <- res:
			default:
			}
		}
	})
	wg.Wait()
	close(stop)
	sweeper.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	res, err := s.Sweep(time.Now(), Policy{MaxAge: day, MaxSize: 20_000, TempGrace: time.Hour})
	require.NoError(t, err)
	assert.LessOrEqual(t, res.Bytes, int64(20_000))
	assert.Positive(t, res.Captures)
	// Every remaining capture is whole.
	date := time.Now().UTC().Format(DateLayout)
	entries, err := os.ReadDir(filepath.Join(dir, date))
	require.NoError(t, err)
	assert.Len(t, entries, res.Captures, "no temporary or staging folder is left")
	for _, e := range entries {
		for _, f := range []string{RequestFile, ResponseFile, MetaFile} {
			assert.True(t, exists(t, dir, date+"/"+e.Name()+"/"+f), "%s/%s", e.Name(), f)
		}
	}
}
