package ratelimitprocessor // import "github.com/redline-otel/redline/processor/ratelimitprocessor"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/limiter"
)

// rlProcessor is one signal's face of a shared rateLimiter. It holds one
// reference to the limiter from its creation; Shutdown drops it whether or
// not Start ran (a collector whose start aborts shuts down components it
// never started), so the last one closes the Redis client and telemetry.
type rlProcessor struct {
	r       *rateLimiter
	exempt  exemption
	bytes   bool
	release func() (finished bool) // drops this processor's reference
	closed  atomic.Bool
}

func (p *rlProcessor) start(ctx context.Context, host component.Host) error {
	if p.closed.Load() {
		return errors.New("ratelimit processor started after shutdown")
	}
	return p.r.start(ctx, host)
}

func (p *rlProcessor) shutdown(ctx context.Context) error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	if p.release() {
		return p.r.close(ctx)
	}
	return nil
}

// verdict is what happens to a request after the decision.
type verdict int

const (
	keepAll verdict = iota
	keepNone
	keepSome // drop the records scratch.denied reports
)

func (p *rlProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	r := p.r
	s := r.scratch.Get().(*scratch)
	defer r.scratch.Put(s)
	s.reset(ctx, r)
	checkExempt := !p.exempt.empty()
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		rl := rls.At(i)
		res := rl.Resource().Attributes()
		sls := rl.ScopeLogs()
		for j := range sls.Len() {
			sl := sls.At(j)
			scope := sl.Scope().Attributes()
			s.setOuter(r, res, scope)
			lrs := sl.LogRecords()
			for k := range lrs.Len() {
				lr := lrs.At(k)
				if checkExempt && p.exempt.log(lr, scope, res) {
					s.addExempt()
					continue
				}
				cost := int64(1)
				if p.bytes {
					cost = logRecordSize(lr)
				}
				s.addRecord(r, lr.Attributes(), cost)
			}
		}
	}
	v, err := r.decide(ctx, s)
	switch {
	case err != nil:
		return ld, err
	case v == keepNone:
		return ld, processorhelper.ErrSkipProcessingData
	case v == keepAll:
		return ld, nil
	}
	idx := 0
	rls.RemoveIf(func(rl plog.ResourceLogs) bool {
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			sl.LogRecords().RemoveIf(func(plog.LogRecord) bool {
				idx++
				return s.denied(idx - 1)
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	return ld, nil
}

func (p *rlProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	r := p.r
	s := r.scratch.Get().(*scratch)
	defer r.scratch.Put(s)
	s.reset(ctx, r)
	checkExempt := !p.exempt.empty()
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		rs := rss.At(i)
		res := rs.Resource().Attributes()
		sss := rs.ScopeSpans()
		for j := range sss.Len() {
			ss := sss.At(j)
			scope := ss.Scope().Attributes()
			s.setOuter(r, res, scope)
			spans := ss.Spans()
			for k := range spans.Len() {
				sp := spans.At(k)
				if checkExempt && p.exempt.span(sp, scope, res) {
					s.addExempt()
					continue
				}
				cost := int64(1)
				if p.bytes {
					cost = spanSize(sp)
				}
				s.addRecord(r, sp.Attributes(), cost)
			}
		}
	}
	v, err := r.decide(ctx, s)
	switch {
	case err != nil:
		return td, err
	case v == keepNone:
		return td, processorhelper.ErrSkipProcessingData
	case v == keepAll:
		return td, nil
	}
	idx := 0
	rss.RemoveIf(func(rs ptrace.ResourceSpans) bool {
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			ss.Spans().RemoveIf(func(ptrace.Span) bool {
				idx++
				return s.denied(idx - 1)
			})
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
	return td, nil
}

// processMetrics limits metric data points: each point is a record.
func (p *rlProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	r := p.r
	s := r.scratch.Get().(*scratch)
	defer r.scratch.Put(s)
	s.reset(ctx, r)
	checkExempt := len(p.exempt.attrs) > 0
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		rm := rms.At(i)
		res := rm.Resource().Attributes()
		sms := rm.ScopeMetrics()
		for j := range sms.Len() {
			sm := sms.At(j)
			scope := sm.Scope().Attributes()
			s.setOuter(r, res, scope)
			ms := sm.Metrics()
			for k := range ms.Len() {
				forEachPoint(ms.At(k), func(attrs pcommon.Map, size func() int64) {
					if checkExempt && p.exempt.matchAttrs(attrs, scope, res) {
						s.addExempt()
						return
					}
					cost := int64(1)
					if p.bytes {
						cost = size()
					}
					s.addRecord(r, attrs, cost)
				})
			}
		}
	}
	v, err := r.decide(ctx, s)
	switch {
	case err != nil:
		return md, err
	case v == keepNone:
		return md, processorhelper.ErrSkipProcessingData
	case v == keepAll:
		return md, nil
	}
	idx := 0
	drop := func() bool {
		idx++
		return s.denied(idx - 1)
	}
	rms.RemoveIf(func(rm pmetric.ResourceMetrics) bool {
		rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
			sm.Metrics().RemoveIf(func(m pmetric.Metric) bool { return removePoints(m, drop) })
			return sm.Metrics().Len() == 0
		})
		return rm.ScopeMetrics().Len() == 0
	})
	return md, nil
}

// forEachPoint calls f with every data point's attributes and a function
// estimating its size, in the order removePoints visits them.
func forEachPoint(m pmetric.Metric, f func(attrs pcommon.Map, size func() int64)) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		pts := m.Gauge().DataPoints()
		for i := range pts.Len() {
			dp := pts.At(i)
			f(dp.Attributes(), func() int64 { return numberPointSize(dp) })
		}
	case pmetric.MetricTypeSum:
		pts := m.Sum().DataPoints()
		for i := range pts.Len() {
			dp := pts.At(i)
			f(dp.Attributes(), func() int64 { return numberPointSize(dp) })
		}
	case pmetric.MetricTypeHistogram:
		pts := m.Histogram().DataPoints()
		for i := range pts.Len() {
			dp := pts.At(i)
			f(dp.Attributes(), func() int64 { return histogramPointSize(dp) })
		}
	case pmetric.MetricTypeExponentialHistogram:
		pts := m.ExponentialHistogram().DataPoints()
		for i := range pts.Len() {
			dp := pts.At(i)
			f(dp.Attributes(), func() int64 { return expHistogramPointSize(dp) })
		}
	case pmetric.MetricTypeSummary:
		pts := m.Summary().DataPoints()
		for i := range pts.Len() {
			dp := pts.At(i)
			f(dp.Attributes(), func() int64 { return summaryPointSize(dp) })
		}
	case pmetric.MetricTypeEmpty:
	}
}

// removePoints drops the points drop selects and reports whether the metric
// is left without points.
func removePoints(m pmetric.Metric, drop func() bool) bool {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		m.Gauge().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return drop() })
		return m.Gauge().DataPoints().Len() == 0
	case pmetric.MetricTypeSum:
		m.Sum().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return drop() })
		return m.Sum().DataPoints().Len() == 0
	case pmetric.MetricTypeHistogram:
		m.Histogram().DataPoints().RemoveIf(func(pmetric.HistogramDataPoint) bool { return drop() })
		return m.Histogram().DataPoints().Len() == 0
	case pmetric.MetricTypeExponentialHistogram:
		m.ExponentialHistogram().DataPoints().RemoveIf(func(pmetric.ExponentialHistogramDataPoint) bool { return drop() })
		return m.ExponentialHistogram().DataPoints().Len() == 0
	case pmetric.MetricTypeSummary:
		m.Summary().DataPoints().RemoveIf(func(pmetric.SummaryDataPoint) bool { return drop() })
		return m.Summary().DataPoints().Len() == 0
	case pmetric.MetricTypeEmpty:
	}
	return false
}

// decide asks the limiter about the request in s, records the outcome and
// says what to keep. A refused request returns the error for the sender.
func (r *rateLimiter) decide(ctx context.Context, s *scratch) (verdict, error) {
	total := len(s.unitOf)
	if total == 0 {
		return keepAll, nil
	}
	mode := limiter.PerUnit
	if r.cfg.Action == ActionRefuse || s.requestUnit {
		mode = limiter.AllOrNothing
	}
	exempt := total - s.batch.NumUnits()
	if s.requestUnit {
		exempt = 0
		for _, u := range s.unitOf {
			if u < 0 {
				exempt++
			}
		}
	}
	limited := total - exempt

	var out limiter.Outcome
	if limited > 0 {
		out = r.decider.Decide(ctx, &s.batch, mode, time.Now())
	} else {
		s.batch.All = limiter.Result{Allowed: true}
	}
	if out.BackendErr != nil {
		r.stats.backendErrors.Add(1)
		r.tb.ProcessorRatelimitBackendErrors.Add(ctx, 1)
	}

	denied := 0
	s.allDenied = false
	if mode == limiter.AllOrNothing {
		if !s.batch.All.Allowed {
			denied = limited
			s.allDenied = true
			s.deniedBy[r.bucketIndex(s.batch.All.DeniedBy)] += int64(limited)
		}
	} else {
		for _, res := range s.batch.Results {
			if !res.Allowed {
				denied++
				s.deniedBy[r.bucketIndex(res.DeniedBy)]++
			}
		}
	}
	if denied > 0 && r.cfg.Action == ActionRefuse {
		// The whole request goes back to the sender, exempt records too:
		// count all of it as refused by the bucket that decided.
		s.deniedBy[r.bucketIndex(s.batch.All.DeniedBy)] += int64(exempt)
		r.record(ctx, s, 0, 0)
		return keepNone, r.refusal(s.batch.All)
	}
	r.record(ctx, s, total-denied, exempt)
	switch {
	case denied == 0:
		return keepAll, nil
	case denied == total:
		return keepNone, nil
	}
	return keepSome, nil
}

// denied reports whether the idx-th record of the request (in walk order)
// was denied.
func (s *scratch) denied(idx int) bool {
	u := s.unitOf[idx]
	if u < 0 {
		return false
	}
	if s.allDenied {
		return true
	}
	return !s.batch.Results[u].Allowed
}

func (r *rateLimiter) bucketIndex(deniedBy int) int {
	if deniedBy == limiter.DeniedByBackend || deniedBy < 0 || deniedBy >= len(r.keys) {
		return len(r.keys)
	}
	return deniedBy
}

func (r *rateLimiter) bucketName(deniedBy int) string {
	if i := r.bucketIndex(deniedBy); i < len(r.cfg.Limits) {
		return r.cfg.Limits[i].Name
	}
	return backendBucket
}

func (r *rateLimiter) record(ctx context.Context, s *scratch, admitted, exempt int) {
	if admitted > 0 {
		r.stats.admitted.Add(int64(admitted))
		r.tb.ProcessorRatelimitAdmitted.Add(ctx, int64(admitted))
	}
	if exempt > 0 {
		r.stats.exempt.Add(int64(exempt))
		r.tb.ProcessorRatelimitExempt.Add(ctx, int64(exempt))
	}
	for i, n := range s.deniedBy {
		if n > 0 {
			r.stats.denied[i].Add(n)
			r.tb.ProcessorRatelimitDenied.Add(ctx, n, r.deniedAttrs[i]...)
		}
	}
}

// refusal is the error of a refused request: RESOURCE_EXHAUSTED with
// RetryInfo, which the OTLP receiver turns into gRPC status 8 or HTTP 429
// with Retry-After. It is marked retryable, never permanent, so that
// receivers and exporters upstream send the data again later: every refusal
// clears with time, even for a request above a burst (it passes once the
// buckets are full again).
func (r *rateLimiter) refusal(res limiter.Result) error {
	name := r.bucketName(res.DeniedBy)
	// Whole seconds, at least one: HTTP's Retry-After counts in seconds and
	// the receiver truncates, which would turn 300ms into "retry now".
	retry := time.Duration(math.Ceil(res.RetryAfter.Seconds())) * time.Second
	retry = max(retry, time.Second)
	st := status.New(codes.ResourceExhausted, fmt.Sprintf("rate limit %q exceeded; retry in %s", name, retry))
	if detailed, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)}); err == nil {
		st = detailed
	}
	return consumererror.NewRetryableError(st.Err())
}
