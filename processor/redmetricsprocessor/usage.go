package redmetricsprocessor

import (
	"math"
	"sort"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/attrpath"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/convention"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// Usage metrics and the names of their attributes.
const (
	metricUsageTokens = "red.usage.tokens"
	metricUsageCost   = "red.usage.cost"
	unitTokens        = "{token}"
	unitUSD           = "[USD]"
	directionInput    = "input"
	directionOutput   = "output"
)

// usageDimensions are the usage series' dimensions, in key order.
var usageDimensions = [...]string{serviceDimension, "model", "provider"}

// The usage sample's sums.
const (
	usageInput = iota
	usageOutput
	usageCost
	usageSums
)

// usageSource is a convention.UsageSource compiled to attribute handles.
type usageSource struct {
	model, provider, input, output, cost []attrpath.Handle
	skip                                 []attrpath.Handle // zero or one
	skipValues                           []string
	modelMask                            uint64
}

// usageState counts model calls, tokens and cost per service, model and
// provider in an aggregate of its own (guarded by the engine's mutex).
type usageState struct {
	sources []usageSource
	service []attrpath.Handle
	prices  map[string]PriceConfig
	agg     *aggregate.Aggregator
	kb      aggregate.KeyBuilder
	sample  aggregate.Sample
}

func (u *usageState) init(set *attrpath.Set, cfg *Config, acfg aggregate.Config, now int64) error {
	u.prices = cfg.Usage.Prices
	for _, src := range convention.Usage {
		us := usageSource{
			model: set.AddAll(src.Model...), provider: set.AddAll(src.Provider...),
			input: set.AddAll(src.InputTokens...), output: set.AddAll(src.OutputTokens...), cost: set.AddAll(src.CostUSD...),
			skipValues: src.SkipValues,
		}
		if src.SkipField != "" {
			us.skip = []attrpath.Handle{set.Add(src.SkipField)}
		}
		us.modelMask = set.MaskAll(us.model...)
		u.sources = append(u.sources, us)
	}
	if g, ok := convention.Lookup(convention.Generic); ok {
		u.service = set.AddAll(g.Service...)
	}
	// Calls, a latency histogram of one bucket (only its sum and count are
	// read) and the three sums; no exemplars, samples or window. Records
	// of one model tend to come in runs: check the last series first.
	acfg.Bounds, acfg.SumFields, acfg.MaxSeries, acfg.RepeatKeys = nil, usageSums, cfg.Usage.MaxSeries, true
	acfg.Exemplars, acfg.Recent, acfg.Window, acfg.ExponentialMaxSize = 0, 0, 0, 0
	var err error
	u.agg, err = aggregate.New(acfg, now)
	u.sample.Sums = make([]float64, usageSums)
	return err
}

// usageSource is the usage source of the loaded record and its model; nil
// when it names no model or repeats other records' usage.
func (e *engine) usageSource() (*usageSource, string) {
	filled := e.rec.Filled()
	for i := range e.usage.sources {
		src := &e.usage.sources[i]
		if filled&src.modelMask == 0 {
			continue
		}
		model, ok := e.firstStr(src.model)
		if !ok {
			continue
		}
		for _, h := range src.skip {
			if v, ok := e.rec.Get(h); ok && contains(src.skipValues, v.Str()) {
				return nil, ""
			}
		}
		return src, model
	}
	return nil, ""
}

// recordUsage counts the loaded record as a model call if it names a
// model; duration is its latency. A request's service is its
// red.requests service; another span's the generic service attributes.
func (e *engine) recordUsage(gid aggregate.GroupID, duration float64, hasDuration bool, now int64) {
	src, model := e.usageSource()
	if src == nil {
		return
	}
	u := &e.usage
	smp := &u.sample
	smp.Duration, smp.HasDuration, smp.SumSet = duration, hasDuration, 0
	in, hasIn := e.firstCount(src.input)
	out, hasOut := e.firstCount(src.output)
	if hasIn {
		smp.Sums[usageInput], smp.SumSet = in, smp.SumSet|1<<usageInput
	}
	if hasOut {
		smp.Sums[usageOutput], smp.SumSet = out, smp.SumSet|1<<usageOutput
	}
	if cost, ok := e.firstCount(src.cost); ok {
		smp.Sums[usageCost], smp.SumSet = cost, smp.SumSet|1<<usageCost
	} else if price, ok := e.priceOf(src); ok && (hasIn || hasOut) {
		smp.Sums[usageCost], smp.SumSet = (in*price.Input+out*price.Output)/1e6, smp.SumSet|1<<usageCost
	}
	kb := &u.kb
	kb.Reset(gid, statusclass.Unknown)
	if e.requestService != "" {
		kb.Value(e.requestService)
	} else {
		e.writeFirst(kb, u.service)
	}
	kb.Value(model)
	e.writeFirst(kb, src.provider)
	u.agg.Record(kb.Bytes(), smp, now)
}

// priceOf is the price of the first of the record's model names that has
// one: a response model ("gpt-4o-2024-08-06") may be priced under the
// request model ("gpt-4o").
func (e *engine) priceOf(src *usageSource) (PriceConfig, bool) {
	if len(e.usage.prices) == 0 {
		return PriceConfig{}, false
	}
	for _, h := range src.model {
		if v, ok := e.rec.Get(h); ok {
			if p, ok := e.usage.prices[v.Str()]; ok {
				return p, true
			}
		}
	}
	return PriceConfig{}, false
}

// firstCount is the first of hs that holds a finite, non-negative number.
func (e *engine) firstCount(hs []attrpath.Handle) (float64, bool) {
	for _, h := range hs {
		if v, ok := e.rec.Float(h); ok && v >= 0 && !math.IsInf(v, 0) {
			return v, true
		}
	}
	return 0, false
}

func (e *engine) writeFirst(kb *aggregate.KeyBuilder, hs []attrpath.Handle) {
	if v, ok := e.firstStr(hs); ok {
		kb.Value(v)
		return
	}
	kb.Absent()
}

// UsageEntry is one model's (and provider's) usage in the snapshot, over
// every service and since start (live series).
type UsageEntry struct {
	Model        string `json:"model"`
	Provider     string `json:"provider,omitempty"`
	Calls        uint64 `json:"calls"`
	InputTokens  uint64 `json:"input_tokens"`
	OutputTokens uint64 `json:"output_tokens"`
	// CostUSD is absent when no call had a known cost (none carried one
	// and the model has no price).
	CostUSD      *float64 `json:"cost_usd,omitempty"`
	AvgLatencyMS *float64 `json:"avg_latency_ms,omitempty"`

	latencySum float64
	latencyN   uint64
}

// usageSnapshot groups the usage series by model and provider; e.mu is held.
func (e *engine) usageSnapshot() []UsageEntry {
	if !e.usageOn {
		return nil
	}
	type key struct{ model, provider string }
	byKey := map[key]*UsageEntry{}
	e.usage.agg.Each(func(s *aggregate.Series) {
		k := key{}
		if len(s.Dims) == len(usageDimensions) {
			k = key{s.Dims[1].Value, s.Dims[2].Value}
		} else if s.Overflow {
			k.model = "(overflow)"
		}
		u := byKey[k]
		if u == nil {
			u = &UsageEntry{Model: k.model, Provider: k.provider}
			byKey[k] = u
		}
		u.Calls += s.Count
		u.InputTokens += uint64(math.Round(s.Sums[usageInput]))
		u.OutputTokens += uint64(math.Round(s.Sums[usageOutput]))
		if s.SumSeen&(1<<usageCost) != 0 {
			cost := s.Sums[usageCost]
			if u.CostUSD != nil {
				cost += *u.CostUSD
			}
			u.CostUSD = &cost
		}
		u.latencySum += s.Duration.Sum
		u.latencyN += s.Duration.Count
	})
	out := make([]UsageEntry, 0, len(byKey))
	for _, u := range byKey {
		if u.latencyN > 0 {
			avg := u.latencySum / float64(u.latencyN) * 1e3
			u.AvgLatencyMS = &avg
		}
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Model != out[j].Model {
			return out[i].Model < out[j].Model
		}
		return out[i].Provider < out[j].Provider
	})
	return out
}
