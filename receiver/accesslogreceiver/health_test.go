package accesslogreceiver

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
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
	h.deliveryFailed(refused, t0.Add(deliveryUnhealthyAfter/2))
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

func TestHealthIgnoresPacedRefusals(t *testing.T) {
	host := &statusHost{}
	h := &health{host: host, logger: zap.NewNop()}
	t0 := time.Now()
	st, err := status.New(codes.ResourceExhausted, "rate limited").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Second)})
	require.NoError(t, err)
	for i := range 10 {
		h.deliveryFailed(st.Err(), t0.Add(time.Duration(i)*time.Second))
	}
	assert.Empty(t, host.events, "rate-limit refusals are pacing, not ill health")
}
