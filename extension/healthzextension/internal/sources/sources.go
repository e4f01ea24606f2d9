// Package sources keeps the live-state sources that other components register
// with the healthz extension, and turns them into JSON snapshots and
// Prometheus collectors.
package sources // import "github.com/redline-otel/redline/extension/healthzextension/internal/sources"

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// ComponentLabel is the label added to every metric of a source; its value
// is the registration name.
const ComponentLabel = "component"

// Source is the same contract as internal/snapshot.Source (declared here
// again so this package stays free of collector imports).
type Source interface {
	Snapshot() any
}

// Named is a registered source's Prometheus collector, already wrapped with
// the component label.
type Named struct {
	Name      string
	Collector prometheus.Collector
}

type entry struct {
	src       Source
	collector prometheus.Collector // nil when src is not a prometheus.Collector
	token     uint64
}

// Registry maps names to sources. The zero value is not usable; call New.
type Registry struct {
	mu      sync.RWMutex
	entries map[string]entry
	next    uint64
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{entries: map[string]entry{}}
}

// Register makes src visible under name until the returned function is
// called. A later registration under the same name replaces this one; the
// returned function then leaves the newer source alone, so a component that
// restarts (partial reload) cannot remove its successor.
func (r *Registry) Register(name string, src Source) (unregister func()) {
	e := entry{src: src}
	if c, ok := src.(prometheus.Collector); ok {
		e.collector = prometheus.WrapCollectorWith(prometheus.Labels{ComponentLabel: name}, c)
	}
	r.mu.Lock()
	r.next++
	e.token = r.next
	r.entries[name] = e
	r.mu.Unlock()

	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if cur, ok := r.entries[name]; ok && cur.token == e.token {
				delete(r.entries, name)
			}
		})
	}
}

// Len is the number of registered sources.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.entries)
}

// Snapshots calls every source's Snapshot and encodes each one on its own,
// so that one source that panics or returns something encoding/json rejects
// shows up as {"error": "..."} under its name instead of breaking the whole
// document.
func (r *Registry) Snapshots() map[string]json.RawMessage {
	r.mu.RLock()
	srcs := make(map[string]Source, len(r.entries))
	for name, e := range r.entries {
		srcs[name] = e.src
	}
	r.mu.RUnlock()

	// Sources are called outside the lock: a slow one must not stall
	// registration by other components.
	out := make(map[string]json.RawMessage, len(srcs))
	for name, src := range srcs {
		out[name] = encode(name, src)
	}
	return out
}

func encode(name string, src Source) (raw json.RawMessage) {
	defer func() {
		if p := recover(); p != nil {
			raw = errorJSON(fmt.Sprintf("snapshot of %s panicked: %v", name, p))
		}
	}()
	b, err := json.Marshal(src.Snapshot())
	if err != nil {
		return errorJSON(fmt.Sprintf("snapshot of %s cannot be encoded: %v", name, err))
	}
	return b
}

func errorJSON(msg string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"error": msg}) // a map of strings always encodes
	return b
}

// Collectors returns the wrapped collectors of the sources that have one,
// ordered by name.
func (r *Registry) Collectors() []Named {
	r.mu.RLock()
	out := make([]Named, 0, len(r.entries))
	for name, e := range r.entries {
		if e.collector != nil {
			out = append(out, Named{Name: name, Collector: e.collector})
		}
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
