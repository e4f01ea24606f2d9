package redmetricsprocessor

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/redline-otel/redline/internal/attrhash"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/attrpath"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

const serviceNameKey = "service.name"

type matcher struct {
	path   attrpath.Handle
	values []string
}

type durationField struct {
	path    attrpath.Handle
	divisor float64 // to seconds
}

type dimension struct {
	name    string
	from    []attrpath.Handle
	def     string
	builtin builtinRule
}

// builtinRule names a dimension filled by a built-in rule (no `from`).
type builtinRule uint8

const (
	builtinNone builtinRule = iota
	builtinService
	builtinOperation
)

func builtinOf(d DimensionConfig) builtinRule {
	if len(d.From) > 0 {
		return builtinNone
	}
	switch d.Name {
	case serviceDimension:
		return builtinService
	case operationDimension:
		return builtinOperation
	default:
		return builtinNone
	}
}

// group is a resource seen in the input; metrics are emitted under it.
type group struct {
	resource    pcommon.Resource
	serviceName string
}

// batchStats is what one ConsumeX did, recorded as telemetry after the lock.
type batchStats struct {
	byClass   [statusclass.Count + 1]int64
	overflow  int64
	newSeries int64
	firstOver bool
}

// engine turns request records into aggregate updates. It is shared by the
// logs and traces instances built from one Config.
type engine struct {
	cls         *statusclass.Classifier
	convs       conventionSet
	classAttr   string
	classHandle attrpath.Handle
	match       []matcher
	durations   []durationField
	requestIDs  []attrpath.Handle
	dims        []dimension
	sums        []attrpath.Handle
	sumConfigs  []SumFieldConfig
	spanKinds   [ptrace.SpanKindConsumer + 1]bool
	exponential bool
	now         func() time.Time
	// serviceDim is the index of the "service" dimension, or -1.
	serviceDim int

	mu sync.Mutex
	// rec indexes the current record's attributes in one pass.
	rec *attrpath.Record
	// givenClass is the record's string status class attribute as classify
	// found it ("" when absent), so stamp need not look it up again.
	givenClass string
	// requestService is the service dimension's value of the current
	// record when it is a request ("" when absent), for its usage.
	requestService string
	agg            *aggregate.Aggregator
	// usage counts model calls when usageOn (usage.enabled). It is part of
	// the engine, not a pointer away: it is touched for every model call,
	// and a separate object fell out of the cache between records.
	usage   usageState
	usageOn bool
	kb      aggregate.KeyBuilder
	sample  aggregate.Sample
	groups  map[aggregate.GroupID]*group
	// resourceHasher gives each resource its group id (used with mu held).
	resourceHasher *attrhash.Hasher
}

// engineOptions says which face the engine serves.
type engineOptions struct {
	recent bool // keep recent samples and the rolling window (processor)
	now    func() time.Time
}

func newEngine(cfg *Config, opts engineOptions) (*engine, error) {
	cls, err := statusclass.New(cfg.classifierConfig())
	if err != nil {
		return nil, err
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	set := attrpath.NewSet()
	e := &engine{
		cls:            cls,
		convs:          compileConventions(set, cfg),
		classAttr:      cfg.StatusClassAttribute,
		sumConfigs:     cfg.SumFields,
		now:            opts.now,
		groups:         map[aggregate.GroupID]*group{},
		resourceHasher: attrhash.NewHasher(),
	}
	e.compileFields(set, cfg, opts)
	acfg := aggregateConfig(cfg, opts)
	e.exponential = acfg.ExponentialMaxSize > 0
	now := e.now().UnixNano()
	if cfg.Usage.Enabled {
		if err = e.usage.init(set, cfg, acfg, now); err != nil {
			return nil, err
		}
		e.usageOn = true
	}
	e.rec = set.NewRecord() // after every path is added
	if e.agg, err = aggregate.New(acfg, now); err != nil {
		return nil, err
	}
	e.sample.Sums = make([]float64, len(cfg.SumFields))
	return e, nil
}

// compileFields registers the configured attribute paths.
func (e *engine) compileFields(set *attrpath.Set, cfg *Config, opts engineOptions) {
	if e.classAttr != "" {
		e.classHandle = set.Add(e.classAttr)
	}
	if opts.recent { // request ids only show in the processor's recent samples
		e.requestIDs = set.AddAll(cfg.RequestIDFields...)
	}
	for _, m := range cfg.Match {
		e.match = append(e.match, matcher{path: set.Add(m.Field), values: m.Values})
	}
	for _, d := range cfg.DurationFields {
		e.durations = append(e.durations, durationField{path: set.Add(d.Field), divisor: durationUnits[d.Unit]})
	}
	e.serviceDim = -1
	for i, d := range cfg.Dimensions {
		if d.Name == serviceDimension {
			e.serviceDim = i
		}
		e.dims = append(e.dims, dimension{name: d.Name, from: set.AddAll(d.From...), def: d.Default, builtin: builtinOf(d)})
	}
	for _, sf := range cfg.SumFields {
		e.sums = append(e.sums, set.Add(sf.Field))
	}
	for _, k := range cfg.SpanKinds {
		e.spanKinds[spanKindOf(k)] = true
	}
}

// aggregateConfig is the RED aggregate's configuration for one face: the
// processor keeps recent samples and the rolling window, the connector
// exemplars, its temporality and histogram form.
func aggregateConfig(cfg *Config, opts engineOptions) aggregate.Config {
	acfg := aggregate.Config{
		Bounds:    make([]float64, len(cfg.Histogram.Buckets)),
		MaxSeries: cfg.MaxSeries,
		TTL:       cfg.SeriesTTL,
		SumFields: len(cfg.SumFields),
	}
	for i, b := range cfg.Histogram.Buckets {
		acfg.Bounds[i] = b.Seconds()
	}
	if opts.recent {
		acfg.Recent = cfg.RecentSamples
		acfg.Window = cfg.RollingWindow
		return acfg
	}
	if cfg.AggregationTemporality == temporalityDelta {
		acfg.Temporality = aggregate.Delta
	}
	if cfg.Exemplars.Enabled {
		acfg.Exemplars = cfg.Exemplars.MaxPerDataPoint
	}
	acfg.ExponentialMaxSize = cfg.Histogram.Exponential.MaxSize
	return acfg
}

func spanKindOf(name string) ptrace.SpanKind {
	switch strings.ToLower(name) {
	case "server":
		return ptrace.SpanKindServer
	case "client":
		return ptrace.SpanKindClient
	case "internal":
		return ptrace.SpanKindInternal
	case "producer":
		return ptrace.SpanKindProducer
	case "consumer":
		return ptrace.SpanKindConsumer
	default:
		return ptrace.SpanKindUnspecified
	}
}

// groupOf registers a resource and returns its id; called once per resource
// per batch, with e.mu held.
func (e *engine) groupOf(res pcommon.Resource) aggregate.GroupID {
	id := aggregate.GroupID(e.resourceHasher.Of(res.Attributes()))
	if _, ok := e.groups[id]; !ok {
		g := &group{resource: pcommon.NewResource()}
		res.CopyTo(g.resource)
		if v, ok := res.Attributes().Get(serviceNameKey); ok {
			g.serviceName = v.AsString()
		}
		e.groups[id] = g
	}
	return id
}

// consumeLogs aggregates the request records in ld; with stamp it writes the
// status class attribute on each of them.
func (e *engine) consumeLogs(ld plog.Logs, stamp bool) batchStats {
	var st batchStats
	now := e.now().UnixNano()
	e.mu.Lock()
	defer e.mu.Unlock()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		gid := e.groupOf(rl.Resource())
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				e.logRecord(lrs.At(k), gid, now, stamp, &st)
			}
		}
	}
	return st
}

func (e *engine) logRecord(lr plog.LogRecord, gid aggregate.GroupID, now int64, stamp bool, st *batchStats) {
	attrs := lr.Attributes()
	e.rec.Load(attrs)
	if !e.matches() {
		return
	}
	smp := &e.sample
	class, kind, rc := e.classify(smp)
	if class == statusclass.Unknown {
		return
	}
	if stamp {
		e.stamp(attrs, class)
	}
	rd := e.read(rc, kind)
	smp.Duration, smp.HasDuration = e.logDuration(rd)
	smp.TraceID, smp.SpanID = lr.TraceID(), lr.SpanID()
	smp.TimeUnixNano = int64(lr.Timestamp())
	if smp.TimeUnixNano == 0 {
		smp.TimeUnixNano = int64(lr.ObservedTimestamp())
	}
	e.finish(gid, class, rd, "", now, st)
	if e.usageOn {
		e.recordUsage(gid, smp.Duration, smp.HasDuration, now)
	}
}

func (e *engine) consumeTraces(td ptrace.Traces, stamp bool) batchStats {
	var st batchStats
	now := e.now().UnixNano()
	e.mu.Lock()
	defer e.mu.Unlock()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		gid := e.groupOf(rs.Resource())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				e.span(spans.At(k), gid, now, stamp, &st)
			}
		}
	}
	return st
}

// span aggregates a span of a request kind (span_kinds) as a request, and
// any span that names a model as a model call (GenAI client spans are
// calls, not requests).
func (e *engine) span(sp ptrace.Span, gid aggregate.GroupID, now int64, stamp bool, st *batchStats) {
	kind := sp.Kind()
	request := int(kind) < len(e.spanKinds) && e.spanKinds[kind]
	if !request && !e.usageOn {
		return
	}
	e.rec.Load(sp.Attributes())
	start, end := sp.StartTimestamp(), sp.EndTimestamp()
	hasDuration := start != 0 && end >= start
	duration := float64(end-start) / 1e9
	e.requestService = ""
	if request && e.matches() {
		e.requestSpan(sp, gid, now, stamp, st, duration, hasDuration)
	}
	if e.usageOn {
		e.recordUsage(gid, duration, hasDuration, now)
	}
}

func (e *engine) requestSpan(sp ptrace.Span, gid aggregate.GroupID, now int64, stamp bool, st *batchStats, duration float64, hasDuration bool) {
	smp := &e.sample
	class, kind, rc := e.classify(smp)
	if class == statusclass.Unknown {
		// No status attribute: the span status decides, and the attributes
		// present decide the operation (see operationConvention).
		class = statusclass.Success
		if sp.Status().Code() == ptrace.StatusCodeError {
			class = statusclass.ServerError
		}
		kind = statusclass.KindNone
		smp.StatusText, smp.StatusCode = sp.Status().Code().String(), 0
	}
	if stamp {
		e.stamp(sp.Attributes(), class)
	}
	smp.Duration, smp.HasDuration = duration, hasDuration
	smp.TraceID, smp.SpanID = sp.TraceID(), sp.SpanID()
	smp.TimeUnixNano = int64(sp.EndTimestamp())
	e.finish(gid, class, e.read(rc, kind), sp.Name(), now, st)
}

// stamp writes the class attribute unless it already holds that value:
// overwriting a string value allocates in pdata.
func (e *engine) stamp(attrs pcommon.Map, class statusclass.Class) {
	if e.classAttr == "" {
		return
	}
	name := class.String()
	if e.givenClass == name { // classify read the attribute already
		return
	}
	attrs.PutStr(e.classAttr, name)
}

// finish builds the series key, fills the rest of the sample and records it.
func (e *engine) finish(gid aggregate.GroupID, class statusclass.Class, rd reading, spanName string, now int64, st *batchStats) {
	smp := &e.sample
	smp.RequestID = ""
	for _, h := range e.requestIDs {
		if v, ok := e.rec.Get(h); ok {
			if id := v.Str(); id != "" { // Str is "" for other types
				smp.RequestID = id
				break
			}
		}
	}
	smp.SumSet = 0
	for i, h := range e.sums {
		if v, ok := e.rec.Float(h); ok {
			smp.Sums[i] = v
			smp.SumSet |= 1 << i
		}
	}
	kb := &e.kb
	kb.Reset(gid, class)
	e.requestService = ""
	for i := range e.dims {
		e.writeDim(&e.dims[i], rd, spanName)
	}
	switch e.agg.Record(kb.Bytes(), smp, now) {
	case aggregate.NewSeries:
		st.newSeries++
	case aggregate.Overflowed:
		st.overflow++
	case aggregate.FirstOverflow:
		st.overflow++
		st.firstOver = true
	}
	st.byClass[class]++
}

// classify finds the status through the conventions; an existing status
// class attribute overrides it. It fills the sample's status fields and
// returns the convention that held the status (nil if none did).
func (e *engine) classify(smp *aggregate.Sample) (statusclass.Class, statusclass.Kind, *readConvention) {
	class, kind, rc := e.classifyByConventions(smp)
	e.givenClass = ""
	if e.classAttr != "" {
		if v, ok := e.rec.Get(e.classHandle); ok && v.Type() == pcommon.ValueTypeStr {
			e.givenClass = v.Str()
			if given, ok := statusclass.Parse(e.givenClass); ok {
				if class == statusclass.Unknown {
					kind = statusclass.KindLiteral
					smp.StatusText, smp.StatusCode = given.String(), 0
				}
				class = given
			}
		}
	}
	return class, kind, rc
}

func (e *engine) classifyValue(v pcommon.Value, rpc bool, smp *aggregate.Sample) (statusclass.Class, statusclass.Kind) {
	var n int64
	switch v.Type() {
	case pcommon.ValueTypeStr:
		class, kind := e.cls.String(v.Str(), rpc)
		smp.StatusText, smp.StatusCode = v.Str(), 0
		return class, kind
	case pcommon.ValueTypeInt:
		n = v.Int()
	case pcommon.ValueTypeDouble:
		n = int64(v.Double())
	default:
		return statusclass.Unknown, statusclass.KindNone
	}
	smp.StatusText, smp.StatusCode = "", n
	if rpc {
		if c := e.cls.RPCCode(n); c != statusclass.Unknown {
			return c, statusclass.KindRPC
		}
		return statusclass.Unknown, statusclass.KindNone
	}
	if c := e.cls.HTTPCode(n); c != statusclass.Unknown {
		return c, statusclass.KindHTTP
	}
	return statusclass.Unknown, statusclass.KindNone
}

func (e *engine) matches() bool {
	for _, m := range e.match {
		v, ok := e.rec.Get(m.path)
		if !ok {
			return false
		}
		var s string
		if v.Type() == pcommon.ValueTypeStr {
			s = v.Str()
		} else {
			s = v.AsString()
		}
		if !contains(m.values, s) {
			return false
		}
	}
	return true
}

func (e *engine) writeDim(d *dimension, rd reading, spanName string) {
	switch d.builtin {
	case builtinOperation:
		if e.writeOperation(rd, spanName) {
			return
		}
	case builtinService:
		if v, ok := e.service(rd); ok {
			e.kb.Value(v)
			e.requestService = v
			return
		}
	case builtinNone:
		for _, h := range d.from {
			if v, ok := e.rec.Get(h); ok {
				if writeValue(&e.kb, v) {
					if d.name == serviceDimension {
						e.requestService = v.Str() // "" for other types
					}
					return
				}
			}
		}
	}
	if d.def != "" {
		e.kb.Value(d.def)
		return
	}
	e.kb.Absent()
}

func (e *engine) firstStr(hs []attrpath.Handle) (string, bool) {
	for _, h := range hs {
		if v, ok := e.rec.Get(h); ok {
			if str := v.Str(); str != "" { // Str is "" for other types
				return str, true
			}
		}
	}
	return "", false
}

// writeValue writes a scalar attribute value as a dimension value.
func writeValue(kb *aggregate.KeyBuilder, v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		kb.Value(v.Str())
	case pcommon.ValueTypeInt:
		kb.Begin()
		kb.WriteInt(v.Int())
		kb.End()
	case pcommon.ValueTypeDouble:
		kb.Begin()
		kb.WriteFloat(v.Double())
		kb.End()
	case pcommon.ValueTypeBool:
		kb.Value(strconv.FormatBool(v.Bool()))
	case pcommon.ValueTypeEmpty:
		return false
	default:
		kb.Value(v.AsString()) // maps, slices, bytes: rare and allocating
	}
	return true
}

// expire drops old series and resources no series refers to.
func (e *engine) expireLocked(now int64) int {
	n := e.agg.Expire(now)
	usageExpired := 0
	if e.usageOn {
		usageExpired = e.usage.agg.Expire(now)
	}
	if n > 0 || usageExpired > 0 {
		e.pruneGroupsLocked()
	}
	return n
}

func (e *engine) pruneGroupsLocked() {
	live := make(map[aggregate.GroupID]struct{}, len(e.groups))
	e.agg.Each(func(s *aggregate.Series) { live[s.Group] = struct{}{} })
	if e.usageOn {
		e.usage.agg.Each(func(s *aggregate.Series) { live[s.Group] = struct{}{} })
	}
	for id := range e.groups {
		if _, ok := live[id]; !ok {
			delete(e.groups, id)
		}
	}
}
