package accesslogreceiver

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
)

type statusHost struct {
	component.Host
	events []*componentstatus.Event
}

func (h *statusHost) Report(ev *componentstatus.Event) { h.events = append(h.events, ev) }

func (h *statusHost) statuses() []componentstatus.Status {
	out := make([]componentstatus.Status, len(h.events))
	for i, ev := range h.events {
		out[i] = ev.Status()
	}
	return out
}

func TestHealthReportsLastingRefusalsAndRecovery(t *testing.T) {
	host := &statusHost{}
	h := &health{host: host, logger: zap.NewNop()}
	t0 := time.Now()
	refused := errors.New("sending queue is full")

	h.deliveryFailed(refused, t0)
	h.deliveryFailed(refused, t0.Add(5*time.Second))
	assert.Empty(t, host.events, "a short run of refusals is back-pressure, not ill health")

	h.deliveryFailed(refused, t0.Add(deliveryUnhealthyAfter))
	h.deliveryFailed(refused, t0.Add(deliveryUnhealthyAfter+time.Second))
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError}, host.statuses(), "reported once")
	assert.ErrorContains(t, host.events[0].Err(), "sending queue is full")

	h.setFiles(errors.New("open /var/log/app.jsonl: permission denied"))
	assert.Len(t, host.events, 2, "a new cause is reported")
	assert.ErrorContains(t, host.events[1].Err(), "permission denied")
	assert.ErrorContains(t, host.events[1].Err(), "refused every batch")

	h.deliverySucceeded()
	assert.Len(t, host.events, 3)
	assert.Equal(t, componentstatus.StatusRecoverableError, host.events[2].Status(), "the files are still unreadable")
	assert.NotContains(t, host.events[2].Err().Error(), "refused")

	h.setFiles(nil)
	assert.Equal(t, componentstatus.StatusOK, host.events[3].Status())
	h.setFiles(nil)
	h.deliverySucceeded()
	assert.Len(t, host.events, 4, "nothing more to report")
}
