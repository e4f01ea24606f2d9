package ratelimitprocessor // import "github.com/redline-otel/redline/processor/ratelimitprocessor"

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redline-otel/redline/internal/snapshot"
)

var (
	_ snapshot.Source      = (*rateLimiter)(nil)
	_ prometheus.Collector = (*rateLimiter)(nil)

	admittedDesc = prometheus.NewDesc("redline_ratelimit_admitted_total",
		"Records (log records, spans, metric data points) let through, exempt ones included.", nil, nil)
	exemptDesc = prometheus.NewDesc("redline_ratelimit_exempt_total",
		"Records that bypassed the limits because an exempt condition matched.", nil, nil)
	deniedDesc = prometheus.NewDesc("redline_ratelimit_denied_total",
		"Records dropped or refused, by the limit (bucket) that denied them.", []string{"bucket"}, nil)
	backendErrorsDesc = prometheus.NewDesc("redline_ratelimit_backend_errors_total",
		"Failed calls to the shared (Redis) backend.", nil, nil)
	fallbackDesc = prometheus.NewDesc("redline_ratelimit_fallback_active",
		"1 while the shared backend is unavailable and on_backend_error applies, else 0.", nil, nil)
	keysDesc = prometheus.NewDesc("redline_ratelimit_keys",
		"Distinct keys a keyed limit tracks in memory (local backend or local fallback).", []string{"bucket"}, nil)
)

// limiterSnapshot is the JSON the healthz extension shows for this processor.
type limiterSnapshot struct {
	Backend        string           `json:"backend"`
	Unit           string           `json:"unit"`
	Action         string           `json:"action"`
	FallbackActive bool             `json:"fallback_active"`
	Admitted       int64            `json:"admitted"`
	Exempt         int64            `json:"exempt"`
	Denied         map[string]int64 `json:"denied"`
	BackendErrors  int64            `json:"backend_errors"`
	Limits         []limitSnapshot  `json:"limits"`
}

type limitSnapshot struct {
	Name  string   `json:"name"`
	Rate  float64  `json:"rate"`
	Burst int64    `json:"burst"`
	Key   []string `json:"key,omitempty"`
	// Keys is the number of keys tracked in memory (keyed limits).
	Keys int `json:"keys,omitempty"`
}

// Snapshot implements snapshot.Source.
func (r *rateLimiter) Snapshot() any {
	s := limiterSnapshot{
		Backend:        string(r.cfg.Backend),
		Unit:           string(r.cfg.Unit),
		Action:         string(r.cfg.Action),
		FallbackActive: r.fallbackActive() == 1,
		Admitted:       r.stats.admitted.Load(),
		Exempt:         r.stats.exempt.Load(),
		Denied:         make(map[string]int64, len(r.stats.denied)),
		BackendErrors:  r.stats.backendErrors.Load(),
	}
	for i := range r.stats.denied {
		if n := r.stats.denied[i].Load(); n > 0 || i < len(r.cfg.Limits) {
			s.Denied[r.bucketName(i)] = n
		}
	}
	for i, l := range r.cfg.Limits {
		ls := limitSnapshot{Name: l.Name, Rate: l.Rate, Burst: l.Burst}
		for _, part := range l.Key {
			ls.Key = append(ls.Key, joinPart(part))
		}
		if r.local != nil && len(l.Key) > 0 {
			ls.Keys = r.local.Keys(i)
		}
		s.Limits = append(s.Limits, ls)
	}
	return s
}

func joinPart(part KeyPart) string { return strings.Join(part, "|") }

// Describe implements prometheus.Collector.
func (r *rateLimiter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{admittedDesc, exemptDesc, deniedDesc, backendErrorsDesc, fallbackDesc, keysDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (r *rateLimiter) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(admittedDesc, prometheus.CounterValue, float64(r.stats.admitted.Load()))
	ch <- prometheus.MustNewConstMetric(exemptDesc, prometheus.CounterValue, float64(r.stats.exempt.Load()))
	for i := range r.stats.denied {
		n := r.stats.denied[i].Load()
		if n == 0 && i >= len(r.cfg.Limits) {
			continue // the backend series exists only once it happened
		}
		ch <- prometheus.MustNewConstMetric(deniedDesc, prometheus.CounterValue, float64(n), r.bucketName(i))
	}
	ch <- prometheus.MustNewConstMetric(backendErrorsDesc, prometheus.CounterValue, float64(r.stats.backendErrors.Load()))
	ch <- prometheus.MustNewConstMetric(fallbackDesc, prometheus.GaugeValue, float64(r.fallbackActive()))
	if r.local != nil {
		for i, l := range r.cfg.Limits {
			if len(l.Key) > 0 {
				ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(r.local.Keys(i)), l.Name)
			}
		}
	}
}
