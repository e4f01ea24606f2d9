package tail

import (
	"context"
	"time"
)

// deliver hands the batch to the handler and, once accepted, moves f to where
// the scanner stands. It returns once the batch is staged.
func (t *Tailer) deliver(ctx context.Context, f *file, sc *scanner) error {
	b := &t.batch
	if sc.pos == b.StartOffset && sc.skipping == t.batchSkipping {
		return nil
	}
	var send func(context.Context) error
	if len(b.Lines) > 0 {
		b.EndOffset = sc.pos
		if err := ctx.Err(); err != nil {
			return err // shutting down: no more parsing
		}
		send = t.h.Stage(b)
	}
	if send == nil && (t.pipe == nil || len(t.pipe.queue) == 0) {
		t.accept(ctx, f, sc.pos, sc.skipping)
		return nil
	}
	// Even a move without lines (the skipped rest of an over-long line) waits
	// for the batches staged before it.
	return t.stage(ctx, stagedBatch{f: f, end: sc.pos, skipping: sc.skipping}, send)
}

// accept moves f to end, the end of an accepted batch, and commits when due.
func (t *Tailer) accept(ctx context.Context, f *file, end int64, skipping bool) {
	t.uncommitted += end - f.offset
	f.offset, f.skipping = end, skipping
	t.dirty = true
	if t.uncommitted*commitRatio >= t.checkpointsSize() || t.now().Sub(t.lastCommit) >= CommitInterval {
		t.commit(ctx)
	}
	t.publish()
}

// pipeline runs a Poll's staged deliveries on one goroutine, in order.
type pipeline struct {
	sends   chan func(context.Context) error
	results chan error    // one per send, in order
	settled chan struct{} // one per result, once the polling goroutine applied it
	done    chan struct{}
	queue   []stagedBatch // staged, not yet accepted or abandoned; oldest first
}

// stagedBatch is where a staged batch moves its file once accepted.
type stagedBatch struct {
	f        *file
	end      int64
	skipping bool
}

func startPipeline(ctx context.Context) *pipeline {
	p := &pipeline{
		sends:   make(chan func(context.Context) error, PipelineDepth),
		results: make(chan error, PipelineDepth),
		settled: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	go func() {
		defer close(p.done)
		var failed error
		for send := range p.sends {
			// After a failure nothing more is delivered: a later batch
			// accepted before an earlier one would be read again anyway.
			if failed == nil {
				// Shutting down: what is not delivered yet is read again later.
				failed = ctx.Err()
			}
			if failed == nil && send != nil {
				failed = send(ctx)
			}
			p.results <- failed
			// The next delivery waits until this one's offset is applied
			// (and committed when due), so that a crash never finds more
			// than one accepted batch unsaved, as without the pipeline.
			// In the steady state this costs nothing: when deliveries are the
			// slower stage the polling goroutine is waiting for this result
			// already, and when parsing is, the next batch is staged right
			// before this one is settled.
			<-p.settled
		}
	}()
	return p
}

// stage queues a delivery, first waiting while PipelineDepth are
// outstanding, and accepts the batches already delivered.
func (t *Tailer) stage(ctx context.Context, s stagedBatch, send func(context.Context) error) error {
	if t.pipe == nil {
		t.pipe = startPipeline(ctx)
	}
	p := t.pipe
	for len(p.queue) >= PipelineDepth {
		if err := t.settle(ctx, <-p.results); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err // shutting down: stop reading
	}
	s.f.staged++
	p.queue = append(p.queue, s)
	p.sends <- send // never blocks: fewer than PipelineDepth are queued
	for len(p.queue) > 0 {
		select {
		case err := <-p.results:
			if err := t.settle(ctx, err); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// settle applies the result of the oldest outstanding delivery.
func (t *Tailer) settle(ctx context.Context, err error) error {
	p := t.pipe
	s := p.queue[0]
	n := copy(p.queue, p.queue[1:])
	p.queue = p.queue[:n]
	s.f.staged--
	if err == nil {
		t.accept(ctx, s.f, s.end, s.skipping)
	}
	p.settled <- struct{}{}
	return err
}

// flush waits for every outstanding delivery; it returns the first error.
func (t *Tailer) flush(ctx context.Context) error {
	if t.pipe == nil {
		return nil
	}
	var first error
	for len(t.pipe.queue) > 0 {
		if err := t.settle(ctx, <-t.pipe.results); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// stopPipeline flushes and stops the delivery goroutine.
func (t *Tailer) stopPipeline(ctx context.Context) error {
	if t.pipe == nil {
		return nil
	}
	err := t.flush(ctx)
	close(t.pipe.sends)
	<-t.pipe.done
	t.pipe = nil
	return err
}

// CommitInterval bounds the time between commits while a poll delivers.
const CommitInterval = time.Second

// commitRatio bounds the checkpoint bytes written per byte read within a poll.
const commitRatio = 8

func (t *Tailer) commit(ctx context.Context) {
	t.h.Commit(ctx, t.Checkpoints())
	t.dirty, t.uncommitted, t.lastCommit = false, 0, t.now()
}

// checkpointsSize estimates the bytes a commit writes as JSON: the path and
// ~160 bytes of field names and numbers per file.
func (t *Tailer) checkpointsSize() int64 {
	n := int64(0)
	for _, f := range t.files {
		n += int64(len(f.path)) + 160
	}
	return n
}
