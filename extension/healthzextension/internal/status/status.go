// Package status aggregates the collector's component status events and
// pipeline notifications into liveness, readiness and a per-component report.
//
// It knows nothing of the collector: the extension translates
// componentstatus events into Record calls and PipelineWatcher notifications
// into SetReady and SetShuttingDown, which keeps the rules here testable with
// plain values.
package status // import "github.com/redline-otel/redline/extension/healthzextension/internal/status"

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Status mirrors the collector's component status values.
type Status int

// Statuses, in the collector's order.
const (
	StatusNone Status = iota
	StatusStarting
	StatusOK
	StatusRecoverableError
	StatusPermanentError
	StatusFatalError
	StatusStopping
	StatusStopped
)

// AllStatuses lists every reportable status in a stable order, for exporters
// that emit one series per status.
var AllStatuses = []Status{
	StatusStarting, StatusOK, StatusRecoverableError, StatusPermanentError,
	StatusFatalError, StatusStopping, StatusStopped,
}

// String returns the snake_case name used in JSON and metric labels.
func (s Status) String() string {
	switch s {
	case StatusStarting:
		return "starting"
	case StatusOK:
		return "ok"
	case StatusRecoverableError:
		return "recoverable_error"
	case StatusPermanentError:
		return "permanent_error"
	case StatusFatalError:
		return "fatal_error"
	case StatusStopping:
		return "stopping"
	case StatusStopped:
		return "stopped"
	case StatusNone:
		return "none"
	}
	return "none"
}

// severity ranks statuses from harmless to worst.
var severity = map[Status]int{
	StatusNone: 0, StatusStopped: 1, StatusOK: 2, StatusStarting: 3, StatusStopping: 4,
	StatusRecoverableError: 5, StatusPermanentError: 6, StatusFatalError: 7,
}

// Worse reports whether a is more severe than b.
func Worse(a, b Status) bool { return severity[a] > severity[b] }

// MarshalText makes Status encode as its name in JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Overall is the collector-wide verdict of the components report.
type Overall string

// Verdicts, from best to worst.
const (
	OverallOK       Overall = "ok"       // every instance ok, pipelines ready
	OverallStarting Overall = "starting" // pipelines not ready yet, or an instance starting
	OverallStopping Overall = "stopping" // shutdown has begun
	OverallDegraded Overall = "degraded" // some instance in recoverable error
	OverallError    Overall = "error"    // some instance in permanent error
	OverallFatal    Overall = "fatal"    // some instance reported a fatal error
)

// Healthy reports whether the verdict still allows the collector to do its
// work; error and fatal do not.
func (o Overall) Healthy() bool { return o != OverallError && o != OverallFatal }

// Instance identifies one component instance as the collector reports it: a
// receiver or exporter once per signal, a processor once per pipeline, an
// extension once.
type Instance struct {
	Kind      string   // "receiver", "processor", "exporter", "connector", "extension"
	ID        string   // component ID, such as "otlp" or "accesslog/nginx"
	Pipelines []string // pipeline IDs the instance belongs to, such as "logs/default"
}

// Name is "kind/id", the same name a component registers its snapshot
// source under, so the two can be joined by readers.
func (i Instance) Name() string { return i.Kind + "/" + i.ID }

func (i Instance) key() string {
	return i.Kind + "\x00" + i.ID + "\x00" + strings.Join(i.Pipelines, "\x00")
}

// Event is one status change of an instance.
type Event struct {
	Status  Status
	Message string // error text for error statuses, empty otherwise
	Time    time.Time
}

// Component is the current state of one instance.
type Component struct {
	Name      string    `json:"component"`
	Kind      string    `json:"kind"`
	Pipelines []string  `json:"pipelines"`
	Status    Status    `json:"status"`
	Message   string    `json:"message,omitempty"`
	Since     time.Time `json:"since"`
}

// Liveness answers /healthz.
type Liveness struct {
	Alive  bool
	Reason string // set when not alive
	Uptime time.Duration
}

// Readiness answers /readyz.
type Readiness struct {
	Ready      bool
	Reason     string // set when not ready
	Pipelines  int    // distinct pipelines among the reported instances
	Components int    // reported instances
}

// Report answers /health/components.
type Report struct {
	Overall    Overall
	Message    string
	Ready      bool
	Uptime     time.Duration
	Components []Component // ordered by kind, name, pipelines
}

type entry struct {
	instance Instance
	event    Event
	since    time.Time
}

// Aggregator holds the latest status of every instance. It is safe for
// concurrent use; the collector calls the status watcher from several
// goroutines, sometimes while it holds its own reporter lock, so every method
// only takes a short internal lock and never blocks on anything else.
type Aggregator struct {
	startTime time.Time
	now       func() time.Time

	mu             sync.RWMutex
	pipelinesReady bool
	shuttingDown   bool
	entries        map[string]*entry
	fatal          *entry // the first fatal error; the collector stops after it
}

// NewAggregator returns an aggregator whose uptime counts from startTime.
// now is the clock (time.Now in production).
func NewAggregator(startTime time.Time, now func() time.Time) *Aggregator {
	if now == nil {
		now = time.Now
	}
	return &Aggregator{startTime: startTime, now: now, entries: map[string]*entry{}}
}

// StartTime is the instant uptime counts from.
func (a *Aggregator) StartTime() time.Time { return a.startTime }

// Record stores ev as the current status of inst. Events with StatusNone are
// ignored.
func (a *Aggregator) Record(inst Instance, ev Event) {
	if ev.Status == StatusNone {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = a.now()
	}
	inst.Pipelines = slices.Clone(inst.Pipelines)
	sort.Strings(inst.Pipelines)
	k := inst.key()

	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.entries[k]
	if !ok {
		e = &entry{instance: inst}
		a.entries[k] = e
	}
	// Repeated events with the same status (the collector allows OK -> OK
	// with new metadata) keep the original since-time.
	if !ok || e.event.Status != ev.Status {
		e.since = ev.Time
	}
	e.event = ev
	if ev.Status == StatusFatalError && a.fatal == nil {
		a.fatal = &entry{instance: inst, event: ev, since: ev.Time}
	}
}

// SetReady records that every pipeline has started.
func (a *Aggregator) SetReady() {
	a.mu.Lock()
	a.pipelinesReady = true
	a.mu.Unlock()
}

// SetShuttingDown records that the collector has begun to shut down; the
// collector is never ready again afterwards.
func (a *Aggregator) SetShuttingDown() {
	a.mu.Lock()
	a.shuttingDown = true
	a.mu.Unlock()
}

// Liveness is alive unless a component reported a fatal error. Draining and
// permanent errors leave the process alive on purpose: restarting it would
// not help and would cut the drain short.
func (a *Aggregator) Liveness() Liveness {
	a.mu.RLock()
	fatal := a.fatal
	a.mu.RUnlock()
	l := Liveness{Alive: fatal == nil, Uptime: a.now().Sub(a.startTime)}
	if fatal != nil {
		l.Reason = describe("fatal error in", fatal, 0)
	}
	return l
}

// Readiness is ready once the pipelines have started, as long as the
// collector is not shutting down and no component is in permanent or fatal
// error. Recoverable errors do not withdraw readiness: the component may
// recover and the rest of the collector still accepts data.
func (a *Aggregator) Readiness() Readiness {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.readinessLocked()
}

func (a *Aggregator) readinessLocked() Readiness {
	pipelines := map[string]struct{}{}
	var permanent []*entry
	for _, e := range a.entries {
		for _, p := range e.instance.Pipelines {
			pipelines[p] = struct{}{}
		}
		if e.event.Status == StatusPermanentError {
			permanent = append(permanent, e)
		}
	}
	r := Readiness{Pipelines: len(pipelines), Components: len(a.entries)}
	switch {
	case a.shuttingDown:
		r.Reason = "collector is shutting down"
	case a.fatal != nil:
		r.Reason = describe("fatal error in", a.fatal, 0)
	case len(permanent) > 0:
		sortEntries(permanent)
		r.Reason = describe("permanent error in", permanent[0], len(permanent)-1)
	case !a.pipelinesReady:
		r.Reason = "collector is starting: pipelines have not all started yet"
	default:
		r.Ready = true
	}
	return r
}

// Report lists every instance and the overall verdict, from worst to best:
// fatal, error (a permanent error), degraded (a recoverable error), stopping,
// starting, ok.
func (a *Aggregator) Report() Report {
	a.mu.RLock()
	defer a.mu.RUnlock()

	all := make([]*entry, 0, len(a.entries))
	var permanent, recoverable []*entry
	starting := 0
	for _, e := range a.entries {
		all = append(all, e)
		switch e.event.Status {
		case StatusPermanentError:
			permanent = append(permanent, e)
		case StatusRecoverableError:
			recoverable = append(recoverable, e)
		case StatusStarting:
			starting++
		case StatusNone, StatusOK, StatusFatalError, StatusStopping, StatusStopped:
		}
	}
	sortEntries(all)
	sortEntries(permanent)
	sortEntries(recoverable)

	rep := Report{
		Ready:      a.readinessLocked().Ready,
		Uptime:     a.now().Sub(a.startTime),
		Components: make([]Component, 0, len(all)),
	}
	for _, e := range all {
		pipelines := e.instance.Pipelines
		if pipelines == nil {
			pipelines = []string{}
		}
		rep.Components = append(rep.Components, Component{
			Name:      e.instance.Name(),
			Kind:      e.instance.Kind,
			Pipelines: pipelines,
			Status:    e.event.Status,
			Message:   e.event.Message,
			Since:     e.since.UTC(),
		})
	}

	switch {
	case a.fatal != nil:
		rep.Overall, rep.Message = OverallFatal, describe("fatal error in", a.fatal, 0)
	case len(permanent) > 0:
		rep.Overall, rep.Message = OverallError, describe("permanent error in", permanent[0], len(permanent)-1)
	case len(recoverable) > 0:
		rep.Overall, rep.Message = OverallDegraded, describe("recoverable error in", recoverable[0], len(recoverable)-1)
	case a.shuttingDown:
		rep.Overall, rep.Message = OverallStopping, "collector is shutting down"
	case !a.pipelinesReady || starting > 0:
		rep.Overall, rep.Message = OverallStarting, fmt.Sprintf("%d of %d components starting", starting, len(all))
		if !a.pipelinesReady {
			rep.Message = "pipelines have not all started yet; " + rep.Message
		}
	default:
		rep.Overall, rep.Message = OverallOK, fmt.Sprintf("all %d components ok", len(all))
	}
	return rep
}

// describe renders "<prefix> receiver/otlp (pipelines: logs): <message>",
// plus a count of further instances in the same state.
func describe(prefix string, e *entry, more int) string {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteByte(' ')
	b.WriteString(e.instance.Name())
	if len(e.instance.Pipelines) > 0 {
		b.WriteString(" (pipelines: ")
		b.WriteString(strings.Join(e.instance.Pipelines, ", "))
		b.WriteByte(')')
	}
	if e.event.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.event.Message)
	}
	if more > 0 {
		fmt.Fprintf(&b, " (and %d more)", more)
	}
	return b.String()
}

var kindOrder = map[string]int{"extension": 0, "receiver": 1, "processor": 2, "connector": 3, "exporter": 4}

func sortEntries(es []*entry) {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i].instance, es[j].instance
		ka, okA := kindOrder[a.Kind]
		kb, okB := kindOrder[b.Kind]
		if !okA {
			ka = len(kindOrder)
		}
		if !okB {
			kb = len(kindOrder)
		}
		if ka != kb {
			return ka < kb
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return strings.Join(a.Pipelines, ",") < strings.Join(b.Pipelines, ",")
	})
}
