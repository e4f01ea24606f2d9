package accesslogreceiver

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/metadata"
)

// refusal is what the ratelimit processor returns: a retryable
// RESOURCE_EXHAUSTED carrying RetryInfo.
func refusal(retry time.Duration) error {
	st := status.New(codes.ResourceExhausted, "rate limit exceeded")
	st, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)})
	if err != nil {
		panic(err)
	}
	return consumererror.NewRetryableError(st.Err())
}

func TestRetryDelay(t *testing.T) {
	d, ok := retryDelay(refusal(3 * time.Second))
	assert.True(t, ok)
	assert.Equal(t, 3*time.Second, d)

	// Wrapped and joined, as a fan-out or a processor passes it on.
	d, ok = retryDelay(errors.Join(errTransient, fmt.Errorf("ratelimit: %w", refusal(time.Second))))
	assert.True(t, ok)
	assert.Equal(t, time.Second, d)

	for _, err := range []error{
		errTransient,
		status.Error(codes.ResourceExhausted, "no details"),
		consumererror.NewRetryableError(errTransient),
		refusal(0),
	} {
		_, ok := retryDelay(err)
		assert.False(t, ok, err.Error())
	}
}

// TestRetryInfoIsWaitedOut: a refusal with RetryInfo is retried after the
// delay it names, not after the (here hour-long) blind backoff.
func TestRetryInfoIsWaitedOut(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 5)
	var attempts atomic.Int64
	var firstAt, secondAt atomic.Int64
	sink := &lineSink{fail: func() error {
		switch attempts.Add(1) {
		case 1:
			firstAt.Store(time.Now().UnixNano())
			return refusal(300 * time.Millisecond)
		case 2:
			secondAt.Store(time.Now().UnixNano())
		}
		return nil
	}}
	cfg := testConfig(path)
	cfg.RetryMaxInterval = time.Hour
	r := newTestReceiver(t, cfg, sink)
	r.retryFirst = time.Hour
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "delivery after the refusal", func() bool { return sink.count() == 5 })
	mustShutdown(t, r)
	assert.Equal(t, int64(2), attempts.Load())
	assert.GreaterOrEqual(t, time.Duration(secondAt.Load()-firstAt.Load()), 300*time.Millisecond, "waited as told")
	assert.Equal(t, seqRange(0, 5), seqs(t, sink))
}

// TestRetryInfoIsCapped: retry_max_interval caps what a refusal asks for.
func TestRetryInfoIsCapped(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 5)
	var attempts atomic.Int64
	sink := &lineSink{fail: func() error {
		if attempts.Add(1) <= 3 {
			return refusal(time.Hour)
		}
		return nil
	}}
	cfg := testConfig(path)
	cfg.RetryMaxInterval = 20 * time.Millisecond
	r := newTestReceiver(t, cfg, sink)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "delivery after the refusals", func() bool { return sink.count() == 5 })
	mustShutdown(t, r)
	assert.Equal(t, uint64(3), r.stats.retries.Load())
}

// TestRetryWarningIsRateLimited: refusals are logged once per file and
// period, with the count of retries, while every retry is still counted.
func TestRetryWarningIsRateLimited(t *testing.T) {
	path := tempLog(t, "a.jsonl")
	writeLines(t, path, 0, 5)
	var attempts atomic.Int64
	sink := &lineSink{fail: func() error {
		if attempts.Add(1) <= 20 {
			return refusal(time.Millisecond)
		}
		return nil
	}}
	core, logs := observer.New(zapcore.WarnLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	r := newTestReceiver(t, testConfig(path), sink, set)
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	waitFor(t, "delivery after the refusals", func() bool { return sink.count() == 5 })
	mustShutdown(t, r)
	assert.Equal(t, uint64(20), r.stats.retries.Load())
	warned := logs.FilterMessageSnippet("refused records").All()
	require.Len(t, warned, 1, "one warning per file and period")
	fields := warned[0].ContextMap()
	assert.Equal(t, path, fields["file"])
	assert.Equal(t, true, fields["retry_info"])
	assert.Equal(t, int64(1), fields["retries_since_last_warning"])
}

func TestRetryWarningsCountPerFile(t *testing.T) {
	w := retryWarnings{every: 10 * time.Second}
	t0 := time.Unix(1e9, 0)
	warn, n := w.note("a", t0)
	assert.True(t, warn)
	assert.Equal(t, 1, n)
	for i := range 5 {
		warn, _ = w.note("a", t0.Add(time.Duration(i+1)*time.Second))
		assert.False(t, warn)
	}
	warn, n = w.note("b", t0.Add(6*time.Second))
	assert.True(t, warn, "another file has its own period")
	assert.Equal(t, 1, n)
	warn, n = w.note("a", t0.Add(10*time.Second))
	assert.True(t, warn)
	assert.Equal(t, 6, n, "the retries since the last warning, this one included")
	// A file quiet for two periods is forgotten when another one is noted.
	w.note("c", t0.Add(40*time.Second))
	assert.NotContains(t, w.files, "a")
	assert.Contains(t, w.files, "c")
}
