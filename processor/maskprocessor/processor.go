package maskprocessor // import "github.com/redline-otel/redline/processor/maskprocessor"

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/redline-otel/redline/processor/maskprocessor/internal/masker"
	"github.com/redline-otel/redline/processor/maskprocessor/internal/metadata"
)

type maskProcessor struct {
	enabled  bool
	annotate bool
	// Annotation attribute names: pii.detected and pii.types, or with
	// annotate_style underscore pii_detected and pii_types (Astrocyte's
	// policy event fields).
	attrDetected, attrTypes string
	masker                  *masker.Masker
	walk                    walker
	tb                      *metadata.TelemetryBuilder
	ruleOpts                []metric.AddOption // per rule id: the rule attribute, built once
	stats                   *sharedStats
	release                 func() // drops this signal's reference to stats
	regName                 string

	shutdownOnce sync.Once
}

func newMaskProcessor(cfg *Config, set component.TelemetrySettings, name string) (*maskProcessor, error) {
	ms, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	m, err := masker.New(ms)
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	p := &maskProcessor{
		enabled: cfg.Enabled, annotate: cfg.Annotate, masker: m,
		walk: walker{m: m, scan: m.ScansText()}, tb: tb,
		regName: name,
	}
	p.attrDetected, p.attrTypes = cfg.AnnotateStyle.keys()
	p.ruleOpts = make([]metric.AddOption, m.NumRules())
	for r := range p.ruleOpts {
		p.ruleOpts[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("rule", m.RuleName(masker.Rule(r)))))
	}
	return p, nil
}

func (p *maskProcessor) start(_ context.Context, host component.Host) error {
	p.stats.register(host, p.regName)
	return nil
}

func (p *maskProcessor) shutdown(context.Context) error {
	p.shutdownOnce.Do(func() {
		if p.release != nil {
			p.release()
		}
		p.tb.Shutdown()
	})
	return nil
}

// batch collects one call's counts.
type batch struct {
	stats   masker.Stats
	seen    int64
	touched int64
}

// begin marks the start of one record (log record, span or data point).
func (b *batch) begin() uint32 {
	b.stats.PII, b.stats.KeyPII = 0, 0
	b.seen++
	return b.stats.Total
}

// found is the PII found in one record: the detectors' rules and the
// personal data named by masked keys.
type found struct {
	rules uint64
	keys  masker.KeyPII
}

// end counts the record as touched if something was masked since begin and
// returns the PII found in it.
func (b *batch) end(before uint32) found {
	if b.stats.Total == before {
		return found{}
	}
	b.touched++
	return found{rules: b.stats.PII, keys: b.stats.KeyPII}
}

func (p *maskProcessor) finish(ctx context.Context, b *batch) {
	p.stats.add(b, p.masker)
	if b.touched > 0 {
		p.tb.ProcessorMaskRecordsTouched.Add(ctx, b.touched)
	}
	// Resource and scope attributes can be masked with no record touched.
	if b.stats.Total > 0 {
		for r := 0; r < p.masker.NumRules(); r++ {
			if n := b.stats.Masked[r]; n > 0 {
				p.tb.ProcessorMaskMaskedValues.Add(ctx, int64(n), p.ruleOpts[r])
			}
		}
	}
}

func (p *maskProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	if !p.enabled {
		return ld, nil
	}
	var b batch
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		p.walk.attrs(rl.Resource().Attributes(), &b.stats)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			p.walk.attrs(sl.Scope().Attributes(), &b.stats)
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				before := b.begin()
				p.walk.attrs(lr.Attributes(), &b.stats)
				p.walk.plain(lr.Body(), &b.stats)
				p.annotateRecord(lr.Attributes(), b.end(before))
			}
		}
	}
	p.finish(ctx, &b)
	return ld, nil
}

func (p *maskProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	if !p.enabled {
		return td, nil
	}
	var b batch
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		p.walk.attrs(rs.Resource().Attributes(), &b.stats)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			p.walk.attrs(ss.Scope().Attributes(), &b.stats)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				before := b.begin()
				p.span(span, &b.stats)
				p.annotateRecord(span.Attributes(), b.end(before))
			}
		}
	}
	p.finish(ctx, &b)
	return td, nil
}

func (p *maskProcessor) span(span ptrace.Span, st *masker.Stats) {
	p.walk.attrs(span.Attributes(), st)
	evs := span.Events()
	for i := 0; i < evs.Len(); i++ {
		p.walk.attrs(evs.At(i).Attributes(), st)
	}
	links := span.Links()
	for i := 0; i < links.Len(); i++ {
		p.walk.attrs(links.At(i).Attributes(), st)
	}
	if msg := span.Status().Message(); msg != "" && p.walk.scan {
		if out, changed := p.masker.MaskText(msg, st); changed {
			span.Status().SetMessage(out)
		}
	}
}

func (p *maskProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	if !p.enabled {
		return md, nil
	}
	var b batch
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		p.walk.attrs(rm.Resource().Attributes(), &b.stats)
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			p.walk.attrs(sm.Scope().Attributes(), &b.stats)
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				p.metric(m, &b)
			}
		}
	}
	p.finish(ctx, &b)
	return md, nil
}

// metric masks data point and exemplar attributes. Data points are never
// annotated: new attributes would start new time series.
func (p *maskProcessor) metric(m pmetric.Metric, b *batch) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dps := m.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			p.point(b, dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeSum:
		dps := m.Sum().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			p.point(b, dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			p.point(b, dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			p.point(b, dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			before := b.begin()
			p.walk.attrs(dp.Attributes(), &b.stats)
			b.end(before)
		}
	default:
	}
}

func (p *maskProcessor) point(b *batch, attrs pcommon.Map, exemplars pmetric.ExemplarSlice) {
	before := b.begin()
	p.walk.attrs(attrs, &b.stats)
	for i := 0; i < exemplars.Len(); i++ {
		p.walk.attrs(exemplars.At(i).FilteredAttributes(), &b.stats)
	}
	b.end(before)
}

// annotateRecord sets pii.detected=true and merges the found types into
// pii.types, keeping types an earlier pass or the application recorded.
func (p *maskProcessor) annotateRecord(attrs pcommon.Map, pii found) {
	if !p.annotate || pii == (found{}) {
		return
	}
	var buf [masker.MaxRules + 2]string
	names := pii.keys.Names(p.masker.PIINames(buf[:0], pii.rules))
	attrs.PutBool(p.attrDetected, true)
	old, ok := attrs.Get(p.attrTypes)
	if !ok || old.Type() != pcommon.ValueTypeSlice {
		s := attrs.PutEmptySlice(p.attrTypes)
		s.EnsureCapacity(len(names))
		for _, n := range names {
			s.AppendEmpty().SetStr(n)
		}
		return
	}
	types := make([]string, 0, old.Slice().Len()+len(names))
	for _, v := range old.Slice().All() {
		types = append(types, v.AsString())
	}
	for _, n := range names {
		if !slices.Contains(types, n) {
			types = append(types, n)
		}
	}
	s := attrs.PutEmptySlice(p.attrTypes)
	s.EnsureCapacity(len(types))
	for _, t := range types {
		s.AppendEmpty().SetStr(t)
	}
}
