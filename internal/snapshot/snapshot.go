// Package snapshot is the small contract between redline's components and the
// healthz extension: a component that has live state worth showing (RED
// aggregates, rate-limit admissions, files being tailed, capture disk use)
// registers a Source with every extension of the collector host that
// implements Registry. Components find the registry through
// host.GetExtensions(), never through package-level state, so two collectors
// in one process (as in tests) never see each other's sources.
package snapshot // import "github.com/redline-otel/redline/internal/snapshot"

import (
	"sort"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
)

// Source is a component's live state.
//
// Snapshot must be safe to call concurrently with the component's hot path and
// must return a value that encoding/json turns into a JSON object (a struct or
// a map with string keys). It is called for every GET /metrics, so it should
// copy what it needs under a short lock and not block.
//
// A Source that also implements prometheus.Collector
// (github.com/prometheus/client_golang/prometheus) is exposed on
// /metrics/prometheus as well. The extension adds a `component` label with the
// registered name, so sources must not set that label themselves. Metric names
// start with `redline_`, except the RED families, which are named
// `red_requests_total` and `red_duration_seconds` so that dashboards work the
// same on this endpoint and on the redmetrics connector's OTLP output.
type Source interface {
	Snapshot() any
}

// Registry is implemented by the healthz extension.
type Registry interface {
	// RegisterSource makes src visible under name until the returned function
	// is called. Registering a second source under a name that is already in
	// use replaces the first one.
	RegisterSource(name string, src Source) (unregister func())
}

// SourceFunc adapts a function to a Source.
type SourceFunc func() any

// Snapshot calls f.
func (f SourceFunc) Snapshot() any { return f() }

// Name is the conventional registration name of a component: its kind and ID,
// such as "processor/redmetrics/default".
func Name(kind component.Kind, id component.ID) string {
	return strings.ToLower(kind.String()) + "/" + id.String()
}

// RegisterWithHost registers src with every Registry among the host's
// extensions (normally zero or one) and returns a function that undoes all of
// those registrations. It is meant to be called from a component's Start; the
// returned function belongs in its Shutdown and is safe to call more than once.
func RegisterWithHost(host component.Host, name string, src Source) (unregister func()) {
	if host == nil {
		return func() {}
	}
	exts := host.GetExtensions()
	ids := make([]component.ID, 0, len(exts))
	for id := range exts {
		ids = append(ids, id)
	}
	// Deterministic order keeps logs and tests stable.
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })

	var undo []func()
	for _, id := range ids {
		if reg, ok := exts[id].(Registry); ok {
			undo = append(undo, reg.RegisterSource(name, src))
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			for _, u := range undo {
				u()
			}
		})
	}
}
