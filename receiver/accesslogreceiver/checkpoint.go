package accesslogreceiver // import "github.com/redline-otel/redline/receiver/accesslogreceiver"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/tail"
)

// restore hands the stored checkpoints to the tailer. Only a storage that
// cannot be read fails; unreadable or implausible checkpoints are logged and
// start_at decides for their files.
func (r *accessLogReceiver) restore(ctx context.Context) error {
	cps, found, err := tail.LoadCheckpoints(ctx, r.client)
	var unreadable *tail.UnreadableCheckpointsError
	switch {
	case errors.As(err, &unreadable):
		// Unreadable checkpoints must not keep the collector down; start_at decides.
		r.set.Logger.Error("ignoring unreadable checkpoints", zap.Error(unreadable.Err))
		return nil
	case err != nil:
		return fmt.Errorf("'storage': read checkpoints: %w", err)
	case !found:
		return nil
	}
	for _, err := range r.tailer.Restore(cps) {
		r.set.Logger.Warn("ignoring implausible checkpoint; start_at decides for its file", zap.Error(err))
	}
	r.set.Logger.Info("restored checkpoints", zap.Int("files", len(cps)))
	return nil
}

// Commit saves the checkpoints (tail.Handler). It runs after the batch was
// accepted, and must save even while shutting down, hence WithoutCancel.
func (r *accessLogReceiver) Commit(ctx context.Context, cps []tail.Checkpoint) {
	if r.client == nil {
		return
	}
	err := tail.SaveCheckpoints(context.WithoutCancel(ctx), r.client, cps)
	if err != nil && time.Since(r.saveWarned) > time.Minute {
		// Once a minute: a full disk would otherwise log once per batch.
		r.saveWarned = time.Now()
		r.set.Logger.Warn("cannot save checkpoints; a restart may repeat lines", zap.Error(err))
	}
}
