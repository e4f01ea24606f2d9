package maskprocessor // import "github.com/redline-otel/redline/processor/maskprocessor"

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/collector/component"

	"github.com/redline-otel/redline/internal/snapshot"
	"github.com/redline-otel/redline/processor/maskprocessor/internal/masker"
)

// sharedStats are the live counters of one configured mask processor, shared
// by its logs, traces and metrics instances (they are created from the same
// *Config) so the healthz extension shows one source per component.
type sharedStats struct {
	enabled   bool
	ruleNames []string
	masked    [masker.MaxRules]atomic.Uint64
	seen      atomic.Uint64
	touched   atomic.Uint64

	mu         sync.Mutex
	refs       int
	unregister func()

	descMasked, descSeen, descTouched *prometheus.Desc
}

var (
	_ snapshot.Source      = (*sharedStats)(nil)
	_ prometheus.Collector = (*sharedStats)(nil)
)

func newSharedStats(enabled bool, m *masker.Masker) *sharedStats {
	s := &sharedStats{
		enabled: enabled,
		descMasked: prometheus.NewDesc("redline_mask_masked_values_total",
			"Values (or matches in free text) masked, by rule.", []string{"rule"}, nil),
		descSeen: prometheus.NewDesc("redline_mask_records_seen_total",
			"Log records, spans and metric data points inspected.", nil, nil),
		descTouched: prometheus.NewDesc("redline_mask_records_touched_total",
			"Log records, spans and metric data points in which something was masked.", nil, nil),
	}
	for r := 0; r < m.NumRules(); r++ {
		s.ruleNames = append(s.ruleNames, m.RuleName(masker.Rule(r)))
	}
	return s
}

func (s *sharedStats) add(b *batch, m *masker.Masker) {
	s.seen.Add(uint64(b.seen))
	s.touched.Add(uint64(b.touched))
	if b.stats.Total == 0 {
		return
	}
	for r := 0; r < m.NumRules() && r < len(s.ruleNames); r++ {
		if n := b.stats.Masked[r]; n > 0 {
			s.masked[r].Add(uint64(n))
		}
	}
}

// register makes the stats visible to the healthz extension once, whichever
// signal starts first.
func (s *sharedStats) register(host component.Host, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unregister == nil {
		s.unregister = snapshot.RegisterWithHost(host, name, s)
	}
}

// maskSnapshot is the JSON shape shown by the healthz extension.
type maskSnapshot struct {
	Enabled        bool              `json:"enabled"`
	RecordsSeen    uint64            `json:"records_seen"`
	RecordsTouched uint64            `json:"records_touched"`
	MaskedValues   map[string]uint64 `json:"masked_values"`
}

// Snapshot implements snapshot.Source.
func (s *sharedStats) Snapshot() any {
	out := maskSnapshot{
		Enabled:        s.enabled,
		RecordsSeen:    s.seen.Load(),
		RecordsTouched: s.touched.Load(),
		MaskedValues:   make(map[string]uint64, len(s.ruleNames)),
	}
	for r, name := range s.ruleNames {
		out.MaskedValues[name] = s.masked[r].Load()
	}
	return out
}

// Describe implements prometheus.Collector.
func (s *sharedStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.descMasked
	ch <- s.descSeen
	ch <- s.descTouched
}

// Collect implements prometheus.Collector.
func (s *sharedStats) Collect(ch chan<- prometheus.Metric) {
	for r, name := range s.ruleNames {
		ch <- prometheus.MustNewConstMetric(s.descMasked, prometheus.CounterValue, float64(s.masked[r].Load()), name)
	}
	ch <- prometheus.MustNewConstMetric(s.descSeen, prometheus.CounterValue, float64(s.seen.Load()))
	ch <- prometheus.MustNewConstMetric(s.descTouched, prometheus.CounterValue, float64(s.touched.Load()))
}

// statsRegistry hands out one sharedStats per *Config, reference-counted
// across the signals built from it.
type statsRegistry struct {
	mu sync.Mutex
	m  map[*Config]*sharedStats
}

func (r *statsRegistry) acquire(cfg *Config, m *masker.Masker) (*sharedStats, func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[cfg]
	if !ok {
		s = newSharedStats(cfg.Enabled, m)
		r.m[cfg] = s
	}
	s.mu.Lock()
	s.refs++
	s.mu.Unlock()
	var once sync.Once
	return s, func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			s.mu.Lock()
			defer s.mu.Unlock()
			s.refs--
			if s.refs > 0 {
				return
			}
			if s.unregister != nil {
				s.unregister()
				s.unregister = nil
			}
			if r.m[cfg] == s {
				delete(r.m, cfg)
			}
		})
	}
}
