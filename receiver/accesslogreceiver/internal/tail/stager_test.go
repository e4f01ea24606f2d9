package tail

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stagedRecorders makes newTailer hand every *recorder to the Tailer as a
// stagingRecorder (see TestScenariosStaged).
var stagedRecorders bool

// stagingRecorder is a recorder that counts its batches and can hold their
// deliveries back.
type stagingRecorder struct {
	*recorder
	stages atomic.Int64
	// gate, when set, is waited on by every delivery before it is attempted.
	gate chan struct{}
}

func (s *stagingRecorder) Stage(b *Batch) func(context.Context) error {
	s.stages.Add(1)
	deliver := s.recorder.Stage(b)
	return func(ctx context.Context) error {
		if s.gate != nil {
			select {
			case <-s.gate:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return deliver(ctx)
	}
}

// TestScenariosStaged runs the tailing scenarios again with the recorder
// wrapped as a stagingRecorder: deliveries overlapping reading must change
// nothing of what is delivered, in which order, or which offsets are kept.
func TestScenariosStaged(t *testing.T) {
	stagedRecorders = true
	defer func() { stagedRecorders = false }()
	for name, test := range map[string]func(*testing.T){
		"StartAt": TestStartAt, "FileAppearingLaterIsReadFromStart": TestFileAppearingLaterIsReadFromStart,
		"EmptyFileThenContent": TestEmptyFileThenContent, "RenameRotation": TestRenameRotation,
		"CopyTruncate": TestCopyTruncate, "TruncateAndRegrowPastOffset": TestTruncateAndRegrowPastOffset,
		"CopyTruncateWithCopyMatched": TestCopyTruncateWithCopyMatched, "DeletedWhileOpenIsReadToEnd": TestDeletedWhileOpenIsReadToEnd,
		"ForceFlush": TestForceFlush, "MaxLineSize": TestMaxLineSize, "MaxLineSizeAcrossPolls": TestMaxLineSizeAcrossPolls,
		"Gzip": TestGzip, "CorruptGzipIsReportedNotFatal": TestCorruptGzipIsReportedNotFatal,
		"RestoreResumesWithoutLossOrRepeat": TestRestoreResumesWithoutLossOrRepeat, "ConsumeErrorKeepsOffset": TestConsumeErrorKeepsOffset,
		"MaxBytesPerPollReportsMore": TestMaxBytesPerPollReportsMore, "UnreadableFileIsReportedAndRetried": TestUnreadableFileIsReportedAndRetried,
		"MaxOpenFilesRoundRobin": TestMaxOpenFilesRoundRobin, "ForgetOldFiles": TestForgetOldFiles,
		"ManyFilesWhileWriting": TestManyFilesWhileWriting, "IdenticalHeadsAreDistinctFiles": TestIdenticalHeadsAreDistinctFiles,
		"RenamedAwayThenSameHead": TestRenamedAwayThenSameHead, "CheckpointsCarryInode": TestCheckpointsCarryInode,
		"RestoreWithChangedInode": TestRestoreWithChangedInode, "RenameRotationWhileWriting": TestRenameRotationWhileWriting,
		"RotateThenCompress": TestRotateThenCompress, "CompressedCopyBesideOriginal": TestCompressedCopyBesideOriginal,
		"CopyTruncatePollBetweenCopyAndTruncate": TestCopyTruncatePollBetweenCopyAndTruncate,
		"CopyTruncateCopyAheadOfOffset":          TestCopyTruncateCopyAheadOfOffset, "MaxOpenFilesKeepsStartAtEnd": TestMaxOpenFilesKeepsStartAtEnd,
		"DeletedUnterminatedLineIsFlushedAndClosed": TestDeletedUnterminatedLineIsFlushedAndClosed,
		"SameHeadIsNotTakenForACopy":                TestSameHeadIsNotTakenForACopy, "SameContentInOtherFilesIsNotACopy": TestSameContentInOtherFilesIsNotACopy,
		"RestoreHashedFingerprint": TestRestoreHashedFingerprint, "RestoreHashedThenCompressed": TestRestoreHashedThenCompressed,
	} {
		t.Run(name, test)
	}
}

// TestStagerOverlapsBoundedAndInOrder: batches are staged while an earlier
// one is being delivered, never more than PipelineDepth ahead, and a file's
// offset (shown and committed) moves only with accepted batches, in order.
func TestStagerOverlapsBoundedAndInOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	lines := ln("x", 0, 10)
	appendFile(t, path, lines...)
	lineLen := int64(len(lines[0]))
	h := &stagingRecorder{recorder: &recorder{}, gate: make(chan struct{})}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, MaxBatchLines: 2}, h)
	polled := make(chan error, 1)
	go func() {
		_, _, err := tl.Poll(t.Context())
		polled <- err
	}()
	// Batch 1 is blocked in delivery, batch 2 waits, batch 3 was built.
	waitUntil(t, func() bool { return h.stages.Load() == PipelineDepth+1 })
	time.Sleep(20 * time.Millisecond) // what a fourth Stage would need
	assert.Equal(t, int64(PipelineDepth+1), h.stages.Load(), "bounded")
	assert.Equal(t, int64(0), tl.Files()[0].Offset, "nothing accepted yet")
	assert.Empty(t, h.committed())

	h.gate <- struct{}{} // accept batch 1
	waitUntil(t, func() bool { return h.stages.Load() == PipelineDepth+2 })
	waitUntil(t, func() bool { return tl.Files()[0].Offset == 2*lineLen })
	for _, cp := range h.committed() {
		assert.LessOrEqual(t, cp.Offset, 2*lineLen, "only accepted offsets are committed")
	}
	close(h.gate)
	require.NoError(t, <-polled)
	assert.Equal(t, trimNL(lines), h.texts())
	assert.Equal(t, 10*lineLen, tl.Files()[0].Offset)
	require.Len(t, h.committed(), 1)
	assert.Equal(t, 10*lineLen, h.committed()[0].Offset)
}

// TestStagerFailureAbandonsLaterBatches: after a failed delivery the batches
// staged behind it are not delivered, the offset stays after the last
// accepted one, and the next Poll reads on from there: nothing lost or repeated.
func TestStagerFailureAbandonsLaterBatches(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	lines := ln("x", 0, 10)
	appendFile(t, path, lines...)
	var deliveries atomic.Int64
	h := &stagingRecorder{recorder: &recorder{fail: func() error {
		if deliveries.Add(1) == 2 {
			return context.Canceled
		}
		return nil
	}}}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, MaxBatchLines: 2}, h)
	_, _, err := tl.Poll(t.Context())
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, trimNL(lines[:2]), h.texts())
	assert.Equal(t, int64(2), deliveries.Load(), "nothing delivered after the failure")
	assert.Equal(t, int64(2*len(lines[0])), tl.Files()[0].Offset)
	require.NotEmpty(t, h.committed())
	assert.Equal(t, int64(2*len(lines[0])), h.committed()[0].Offset)

	poll(t, tl)
	assert.Equal(t, trimNL(lines), h.texts())
}

// TestStagerShutdownWhileBlocked: a cancelled Poll returns once the blocked
// delivery gives up, and leaves no goroutine behind.
func TestStagerShutdownWhileBlocked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	appendFile(t, path, ln("x", 0, 10)...)
	h := &stagingRecorder{recorder: &recorder{}, gate: make(chan struct{})}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, MaxBatchLines: 2}, h)
	ctx, cancel := context.WithCancel(t.Context())
	polled := make(chan error, 1)
	go func() {
		_, _, err := tl.Poll(ctx)
		polled <- err
	}()
	waitUntil(t, func() bool { return h.stages.Load() == PipelineDepth+1 })
	cancel()
	select {
	case err := <-polled:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Poll did not return")
	}
	assert.Empty(t, h.texts())
	assert.Equal(t, int64(0), tl.Files()[0].Offset)
	assert.Nil(t, tl.pipe, "delivery goroutine stopped")
}

func (r *recorder) committed() []Checkpoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cps
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestStagerStopsReadingOnShutdown: once ctx is done no further batch is
// read or delivered, even when deliveries would still succeed; the accepted
// ones are committed.
func TestStagerStopsReadingOnShutdown(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	lines := ln("x", 0, 20)
	appendFile(t, path, lines...)
	ctx, cancel := context.WithCancel(t.Context())
	var deliveries atomic.Int64
	h := &stagingRecorder{recorder: &recorder{fail: func() error {
		if deliveries.Add(1) == 1 {
			cancel() // shutdown begins while the first batch is delivered
		}
		return nil
	}}}
	tl := newTailer(t, Config{Include: []string{path}, StartAtBeginning: true, MaxBatchLines: 2}, h)
	_, _, err := tl.Poll(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int64(1), deliveries.Load())
	assert.LessOrEqual(t, h.stages.Load(), int64(PipelineDepth+1), "reading stopped")
	assert.Equal(t, trimNL(lines[:2]), h.texts())
	assert.Equal(t, int64(2*len(lines[0])), tl.Files()[0].Offset)
	require.NotEmpty(t, h.committed())
	assert.Equal(t, int64(2*len(lines[0])), h.committed()[0].Offset)
}
