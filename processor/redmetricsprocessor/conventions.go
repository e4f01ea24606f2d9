package redmetricsprocessor

import (
	"strings"

	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/aggregate"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/attrpath"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/convention"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/pathnorm"
	"github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"
)

// configuredConvention names the convention built from status_fields and
// rpc_status_fields, which is tried before the table's.
const configuredConvention = "status_fields"

// readConvention is a convention.Convention compiled to attribute handles.
type readConvention struct {
	name     string
	protocol convention.Protocol
	status   []statusRead
	requires []attrpath.Handle
	flags    []attrpath.Handle // zero or one
	service  []attrpath.Handle
	method   []attrpath.Handle
	route    []attrpath.Handle
	path     []attrpath.Handle
	line     []attrpath.Handle
	// durations of log records.
	durations []durationField
	// requiresMask lets a record that has none of requires skip the
	// convention with one AND (see attrpath.Set.Mask).
	requiresMask uint64
}

// conventionMask is attrpath.Set.MaskAll of a convention's status
// attributes, of its Requires and of the attributes that name its
// operation.
type conventionMask struct {
	status, requires, operation uint64
}

// mayApply reports whether a record whose filled slots are filled may be
// in the convention; false is certain (see attrpath.Set.Mask).
func (m conventionMask) mayApply(filled uint64) bool {
	return m.requires == 0 || filled&m.requires != 0
}

type statusRead struct {
	handle attrpath.Handle
	rpc    bool // numbers are gRPC codes
}

// conventionSet is the compiled conventions, in the order they are tried.
type conventionSet struct {
	all []readConvention
	// masks[i] says which attributes convention i may be read from; they are
	// kept apart from the conventions so that skipping one touches 16 bytes.
	masks []conventionMask
	// generic is the convention whose service and duration attributes
	// every record falls back to; nil when it is not enabled.
	generic *readConvention
	// fallback names the operation of an HTTP request without route or path.
	fallback []attrpath.Handle
}

func compileConventions(set *attrpath.Set, cfg *Config) conventionSet {
	var cs conventionSet
	if len(cfg.StatusFields)+len(cfg.RPCStatusFields) > 0 {
		rc := readConvention{name: configuredConvention}
		for _, f := range cfg.StatusFields {
			rc.status = append(rc.status, statusRead{handle: set.Add(f)})
		}
		for _, f := range cfg.RPCStatusFields {
			rc.status = append(rc.status, statusRead{handle: set.Add(f), rpc: true})
		}
		cs.all = append(cs.all, rc)
	}
	for _, name := range cfg.Conventions {
		if c, ok := convention.Lookup(name); ok {
			cs.all = append(cs.all, compileConvention(set, c))
		}
	}
	for i := range cs.all {
		rc := &cs.all[i]
		rc.requiresMask = set.MaskAll(rc.requires...)
		cs.masks = append(cs.masks, conventionMask{
			status:    set.MaskAll(rc.statusHandles()...),
			requires:  rc.requiresMask,
			operation: set.MaskAll(rc.method...) | set.MaskAll(rc.route...) | set.MaskAll(rc.path...) | set.MaskAll(rc.line...),
		})
		if rc.name == convention.Generic {
			cs.generic = rc
		}
	}
	cs.fallback = set.AddAll(convention.OperationFallback...)
	return cs
}

func compileConvention(set *attrpath.Set, c convention.Convention) readConvention {
	rc := readConvention{
		name: c.Name, protocol: c.Protocol,
		requires: set.AddAll(c.Requires...), service: set.AddAll(c.Service...),
		method: set.AddAll(c.Method...), route: set.AddAll(c.Route...),
		path: set.AddAll(c.Path...), line: set.AddAll(c.RequestLine...),
	}
	for _, s := range c.Status {
		rc.status = append(rc.status, statusRead{handle: set.Add(s.Field), rpc: s.Numbers == convention.GRPCNumbers})
	}
	if c.DisconnectFlags != "" {
		rc.flags = []attrpath.Handle{set.Add(c.DisconnectFlags)}
	}
	for _, d := range c.Durations {
		rc.durations = append(rc.durations, durationField{path: set.Add(d.Field), divisor: d.Unit.Divisor()})
	}
	return rc
}

func (rc *readConvention) statusHandles() []attrpath.Handle {
	out := make([]attrpath.Handle, len(rc.status))
	for i, s := range rc.status {
		out[i] = s.handle
	}
	return out
}

// anyPresent reports whether one of hs is in the loaded record; mask is
// their union (attrpath.Set.MaskAll) for the quick negative.
func (e *engine) anyPresent(hs []attrpath.Handle, mask uint64) bool {
	if e.rec.Filled()&mask == 0 {
		return false
	}
	for _, h := range hs {
		if _, ok := e.rec.Get(h); ok {
			return true
		}
	}
	return false
}

// applies reports whether the loaded record may be in rc's convention.
func (e *engine) applies(rc *readConvention) bool {
	return len(rc.requires) == 0 || e.anyPresent(rc.requires, rc.requiresMask)
}

// classifyByConventions finds the record's status through the first
// convention that holds one; it fills the sample's status fields.
func (e *engine) classifyByConventions(smp *aggregate.Sample) (statusclass.Class, statusclass.Kind, *readConvention) {
	filled := e.rec.Filled()
	for i, m := range e.convs.masks {
		if filled&m.status == 0 || !m.mayApply(filled) {
			continue
		}
		rc := &e.convs.all[i]
		if !e.applies(rc) {
			continue
		}
		if class, kind := e.classifyBy(rc, smp); class != statusclass.Unknown {
			return class, kind, rc
		}
	}
	return statusclass.Unknown, statusclass.KindNone, nil
}

func (e *engine) classifyBy(rc *readConvention, smp *aggregate.Sample) (statusclass.Class, statusclass.Kind) {
	for _, s := range rc.status {
		v, ok := e.rec.Get(s.handle)
		if !ok {
			continue
		}
		if e.downstreamDisconnected(rc) {
			smp.StatusText, smp.StatusCode = "DC", 0
			return statusclass.Disconnect, statusclass.KindHTTP
		}
		class, kind := e.classifyValue(v, s.rpc, smp)
		if class == statusclass.Unknown {
			continue
		}
		switch rc.protocol {
		case convention.HTTP:
			kind = statusclass.KindHTTP
		case convention.RPC:
			kind = statusclass.KindRPC
		case convention.EitherProtocol:
		}
		return class, kind
	}
	return statusclass.Unknown, statusclass.KindNone
}

// downstreamDisconnected reports whether rc's proxy response flags say the
// client went away (Envoy's "DC"): the status the proxy logged then is not
// the client's (often 0, or the upstream's).
func (e *engine) downstreamDisconnected(rc *readConvention) bool {
	for _, h := range rc.flags {
		if v, ok := e.rec.Get(h); ok && hasFlag(v.Str(), "DC") {
			return true
		}
	}
	return false
}

// hasFlag reports whether the comma-separated list flags contains flag.
func hasFlag(flags, flag string) bool {
	for flags != "" {
		item := flags
		if i := strings.IndexByte(flags, ','); i >= 0 {
			item, flags = flags[:i], flags[i+1:]
		} else {
			flags = ""
		}
		if strings.TrimSpace(item) == flag {
			return true
		}
	}
	return false
}

// reading is how the engine reads the current record.
type reading struct {
	// status is the convention that held the status; nil when it came from a
	// status class attribute or the span status.
	status *readConvention
	// describe is the convention whose fields name the service and
	// operation; nil when none does.
	describe *readConvention
	rpc      bool
}

// read settles which convention describes the record: the one that held its
// status; when none did (a span without status attributes, a record with only
// a status class), the first that names an operation.
func (e *engine) read(rc *readConvention, kind statusclass.Kind) reading {
	rd := reading{status: rc, describe: rc}
	if rc == nil {
		rd.describe = e.operationConvention(nil)
	}
	rd.rpc = rpcOperation(rd.describe, kind)
	return rd
}

// rpcOperation says whether d's operation is an RPC method name.
func rpcOperation(d *readConvention, kind statusclass.Kind) bool {
	return d != nil && (d.protocol == convention.RPC || (d.protocol == convention.EitherProtocol && kind == statusclass.KindRPC))
}

// operationConvention is the first convention, other than skip, that
// applies to the loaded record and names an operation.
func (e *engine) operationConvention(skip *readConvention) *readConvention {
	filled := e.rec.Filled()
	for i, m := range e.convs.masks {
		if filled&m.operation == 0 || !m.mayApply(filled) {
			continue
		}
		if rc := &e.convs.all[i]; rc != skip && e.applies(rc) && e.namesOperation(rc) {
			return rc
		}
	}
	return nil
}

func (e *engine) namesOperation(rc *readConvention) bool {
	for _, hs := range [...][]attrpath.Handle{rc.method, rc.route, rc.path, rc.line} {
		if _, ok := e.firstStr(hs); ok {
			return true
		}
	}
	return false
}

// service applies the built-in service rule: the describing convention's
// service attribute, else for RPC the service that qualifies the method
// name ("ledger.v1.Ledger/GetContract"), else the generic service
// attributes.
func (e *engine) service(rd reading) (string, bool) {
	if d := rd.describe; d != nil {
		if v, ok := e.firstStr(d.service); ok {
			return v, true
		}
		if rd.rpc {
			if m, ok := e.firstStr(d.method); ok {
				if q := methodQualifier(m); q != "" {
					return q, true
				}
			}
		}
	}
	if g := e.convs.generic; g != nil && g != rd.describe {
		return e.firstStr(g.service)
	}
	return "", false
}

// writeOperation applies the built-in operation rule: for RPC the method
// name; for HTTP "<method> <route>", or the normalised path; else the
// operation fallback (the model); else the span name. The fields come from
// the describing convention, else from the first other one that names an
// operation.
func (e *engine) writeOperation(rd reading, spanName string) bool {
	if d := rd.describe; d != nil && e.writeConventionOperation(d, rd.rpc) {
		return true
	}
	if rd.describe != nil {
		if other := e.operationConvention(rd.describe); other != nil && e.writeConventionOperation(other, rpcOperation(other, statusclass.KindNone)) {
			return true
		}
	}
	if !rd.rpc {
		if v, ok := e.firstStr(e.convs.fallback); ok {
			e.kb.Value(v)
			return true
		}
	}
	if spanName != "" {
		e.kb.Value(spanName)
		return true
	}
	return false
}

func (e *engine) writeConventionOperation(rc *readConvention, rpc bool) bool {
	kb := &e.kb
	if rpc {
		m, ok := e.firstStr(rc.method)
		if !ok {
			return false
		}
		kb.Value(methodName(m))
		return true
	}
	method, hasMethod := e.firstStr(rc.method)
	route, hasRoute := e.firstStr(rc.route)
	path, hasPath := "", false
	if !hasRoute {
		path, hasPath = e.firstStr(rc.path)
	}
	if !hasMethod && !hasRoute && !hasPath {
		if line, ok := e.firstStr(rc.line); ok {
			method, path, hasPath = pathnorm.SplitRequestLine(line)
			hasMethod = hasPath
		}
	}
	if !hasRoute && !hasPath {
		return false
	}
	kb.Begin()
	if hasMethod {
		kb.WriteString(method)
		_ = kb.WriteByte(' ')
	}
	if hasRoute {
		kb.WriteString(route)
	} else {
		kb.WritePath(pathnorm.Target(path))
	}
	kb.End()
	return true
}

// methodName is an RPC method without the service that qualifies it:
// "pkg.Ledger/GetContract" (RPC conventions v1.38+) and "GetContract" (before
// them, with the service in rpc.service) name one operation.
func methodName(m string) string {
	if i := strings.LastIndexByte(m, '/'); i >= 0 && i < len(m)-1 {
		return m[i+1:]
	}
	return m
}

// methodQualifier is the service part of a qualified RPC method name
// ("pkg.Ledger/GetContract" gives "pkg.Ledger"), "" when there is none.
func methodQualifier(m string) string {
	if i := strings.LastIndexByte(m, '/'); i > 0 && i < len(m)-1 {
		return strings.TrimPrefix(m[:i], "/")
	}
	return ""
}

// logDuration is a log record's duration in seconds: from duration_fields,
// else from its convention's attributes, else from the generic ones.
func (e *engine) logDuration(rd reading) (float64, bool) {
	if d, ok := e.firstDuration(e.durations); ok {
		return d, true
	}
	rc := rd.status
	if rc == nil {
		rc = rd.describe
	}
	if rc != nil {
		if d, ok := e.firstDuration(rc.durations); ok {
			return d, true
		}
	}
	if g := e.convs.generic; g != nil && g != rc {
		return e.firstDuration(g.durations)
	}
	return 0, false
}
func (e *engine) firstDuration(fields []durationField) (float64, bool) {
	for _, d := range fields {
		if v, ok := e.rec.Float(d.path); ok && v >= 0 {
			return v / d.divisor, true
		}
	}
	return 0, false
}
