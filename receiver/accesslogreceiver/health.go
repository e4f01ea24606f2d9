package accesslogreceiver // import "github.com/redline-otel/redline/receiver/accesslogreceiver"

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
)

// deliveryUnhealthyAfter is how long deliveries must keep failing before the
// receiver reports a recoverable error: a momentary refusal (the memory
// limiter's) is ordinary back-pressure, not ill health. A refusal that says
// when to come back (RetryInfo: the rate limit) never counts.
const deliveryUnhealthyAfter = 2 * time.Second

// health combines the two reasons the receiver reports a recoverable error,
// files it cannot read (polling goroutine) and a pipeline that keeps refusing
// its batches (delivery goroutine), into one component status, reported only
// when the set of causes changes.
type health struct {
	host   component.Host
	logger *zap.Logger

	mu           sync.Mutex
	files        error     // unreadable files, nil when all are readable
	failingSince time.Time // first refusal of the current run of refusals
	deliveryErr  error     // the latest refusal while the run lasts
	unhealthy    bool      // the run has lasted deliveryUnhealthyAfter
	reportedKey  string    // the causes last reported, "" for OK
}

func (h *health) setFiles(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.files = err
	h.reportLocked()
}

// deliveryFailed notes a refused batch; refusals are reported once they have
// lasted deliveryUnhealthyAfter.
func (h *health) deliveryFailed(err error, now time.Time) {
	if _, paced := retryDelay(err); paced {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failingSince.IsZero() {
		h.failingSince = now
	}
	h.deliveryErr = err
	h.unhealthy = h.unhealthy || now.Sub(h.failingSince) >= deliveryUnhealthyAfter
	h.reportLocked()
}

func (h *health) deliverySucceeded() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failingSince.IsZero() {
		return
	}
	h.failingSince, h.deliveryErr, h.unhealthy = time.Time{}, nil, false
	h.reportLocked()
}

func (h *health) reportLocked() {
	var errs []error
	key := ""
	if h.files != nil {
		errs = append(errs, h.files)
		key = h.files.Error()
	}
	if h.unhealthy {
		errs = append(errs, fmt.Errorf("the pipeline has refused every batch since %s (offsets held, retrying): %w",
			h.failingSince.UTC().Format(time.RFC3339), h.deliveryErr))
		key += "\x00delivery"
	}
	if key == h.reportedKey {
		return
	}
	h.reportedKey = key
	if h.host == nil {
		return
	}
	if len(errs) == 0 {
		h.logger.Info("files readable and batches accepted again")
		componentstatus.ReportStatus(h.host, componentstatus.NewEvent(componentstatus.StatusOK))
		return
	}
	err := errors.Join(errs...)
	h.logger.Warn("reporting a recoverable error", zap.Error(err))
	componentstatus.ReportStatus(h.host, componentstatus.NewRecoverableErrorEvent(err))
}
