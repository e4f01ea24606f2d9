package payloadcapture // import "github.com/redline-otel/redline/exporter/payloadcapture"

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"
)

// stats is the exporter's live state for the healthz extension: a JSON
// snapshot and the redline_payloadcapture_* Prometheus families.
type stats struct {
	enabled    bool
	directory  string
	budget     int64
	maxAgeDays int
	usage      func() int64 // set at start; nil before

	mu              sync.Mutex
	capturesWritten int64
	bytesWritten    int64
	failures        map[capture.Cause]int64
	sweptByAge      int64
	sweptBySize     int64
	bytesSwept      int64
	lastError       string
	lastErrorAt     time.Time
	lastSweep       *sweepSnapshot
}

type sweepSnapshot struct {
	At                    time.Time `json:"at"`
	DurationSeconds       float64   `json:"duration_seconds"`
	Captures              int       `json:"captures"`
	Bytes                 int64     `json:"bytes"`
	RemovedByAge          int       `json:"removed_by_age"`
	RemovedBySize         int       `json:"removed_by_size"`
	BytesRemoved          int64     `json:"bytes_removed"`
	StaleTemporaryFolders int       `json:"stale_temporary_folders"`
	Error                 string    `json:"error,omitempty"`
}

// Snapshot is the JSON shape served by the healthz extension.
type Snapshot struct {
	Enabled         bool             `json:"enabled"`
	Directory       string           `json:"directory"`
	CapturesWritten int64            `json:"captures_written"`
	BytesWritten    int64            `json:"bytes_written"`
	Failures        map[string]int64 `json:"failures"`
	CapturesSwept   map[string]int64 `json:"captures_swept"`
	BytesSwept      int64            `json:"bytes_swept"`
	DiskUsageBytes  int64            `json:"disk_usage_bytes"`
	DiskBudgetBytes int64            `json:"disk_budget_bytes"`
	MaxAgeDays      int              `json:"max_age_days"`
	LastError       string           `json:"last_error,omitempty"`
	LastErrorAt     *time.Time       `json:"last_error_at,omitempty"`
	LastSweep       *sweepSnapshot   `json:"last_sweep,omitempty"`
}

func newStats(cfg *Config, budget int64) *stats {
	return &stats{
		enabled:    cfg.Enabled,
		directory:  cfg.Directory,
		budget:     budget,
		maxAgeDays: cfg.MaxAgeDays,
		failures:   make(map[capture.Cause]int64),
	}
}

func (s *stats) written(n int64) {
	s.mu.Lock()
	s.capturesWritten++
	s.bytesWritten += n
	s.mu.Unlock()
}

func (s *stats) failed(cause capture.Cause, err error) {
	s.mu.Lock()
	s.failures[cause]++
	s.lastError = err.Error()
	s.lastErrorAt = time.Now()
	s.mu.Unlock()
}

func (s *stats) swept(res capture.SweepResult, at time.Time, took time.Duration, err error) {
	snap := &sweepSnapshot{
		At: at.UTC(), DurationSeconds: took.Seconds(), Captures: res.Captures, Bytes: res.Bytes,
		RemovedByAge: res.RemovedByAge, RemovedBySize: res.RemovedBySize, BytesRemoved: res.BytesRemoved,
		StaleTemporaryFolders: res.TempsRemoved,
	}
	if err != nil {
		snap.Error = err.Error()
	}
	s.mu.Lock()
	s.sweptByAge += int64(res.RemovedByAge)
	s.sweptBySize += int64(res.RemovedBySize)
	s.bytesSwept += res.BytesRemoved
	s.lastSweep = snap
	s.mu.Unlock()
}

func (s *stats) diskUsage() int64 {
	if s.usage == nil {
		return 0
	}
	return s.usage()
}

// Snapshot implements snapshot.Source.
func (s *stats) Snapshot() any {
	usage := s.diskUsage()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Snapshot{
		Enabled:         s.enabled,
		Directory:       s.directory,
		CapturesWritten: s.capturesWritten,
		BytesWritten:    s.bytesWritten,
		Failures:        make(map[string]int64, len(capture.Causes)),
		CapturesSwept:   map[string]int64{"age": s.sweptByAge, "size": s.sweptBySize},
		BytesSwept:      s.bytesSwept,
		DiskUsageBytes:  usage,
		DiskBudgetBytes: s.budget,
		MaxAgeDays:      s.maxAgeDays,
		LastError:       s.lastError,
	}
	for _, c := range capture.Causes {
		out.Failures[string(c)] = s.failures[c]
	}
	if !s.lastErrorAt.IsZero() {
		at := s.lastErrorAt.UTC()
		out.LastErrorAt = &at
	}
	if s.lastSweep != nil {
		ls := *s.lastSweep
		out.LastSweep = &ls
	}
	return out
}

var (
	descEnabled = prometheus.NewDesc("redline_payloadcapture_enabled",
		"1 when payload capture is on, 0 when records are dropped.", nil, nil)
	descCapturesWritten = prometheus.NewDesc("redline_payloadcapture_captures_written_total",
		"Captures written to disk.", nil, nil)
	descBytesWritten = prometheus.NewDesc("redline_payloadcapture_bytes_written_total",
		"Bytes written to disk by captures.", nil, nil)
	descFailures = prometheus.NewDesc("redline_payloadcapture_failures_total",
		"Captures dropped because they could not be written, by cause.", []string{"cause"}, nil)
	descSwept = prometheus.NewDesc("redline_payloadcapture_swept_captures_total",
		"Captures removed by the sweeper, by reason (age or size).", []string{"reason"}, nil)
	descBytesSwept = prometheus.NewDesc("redline_payloadcapture_swept_bytes_total",
		"Bytes freed by the sweeper.", nil, nil)
	descUsage = prometheus.NewDesc("redline_payloadcapture_disk_usage_bytes",
		"Bytes held by captures on disk.", nil, nil)
	descBudget = prometheus.NewDesc("redline_payloadcapture_disk_budget_bytes",
		"The size budget (max_size_gb) in bytes.", nil, nil)
)

var _ prometheus.Collector = (*stats)(nil)

// Describe implements prometheus.Collector.
func (s *stats) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEnabled, descCapturesWritten, descBytesWritten, descFailures, descSwept, descBytesSwept, descUsage, descBudget} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Every cause and reason is
// exported, at zero if need be, so alerts on rate() work from the start.
func (s *stats) Collect(ch chan<- prometheus.Metric) {
	snap := s.Snapshot().(Snapshot)
	enabled := 0.0
	if snap.Enabled {
		enabled = 1
	}
	ch <- prometheus.MustNewConstMetric(descEnabled, prometheus.GaugeValue, enabled)
	ch <- prometheus.MustNewConstMetric(descCapturesWritten, prometheus.CounterValue, float64(snap.CapturesWritten))
	ch <- prometheus.MustNewConstMetric(descBytesWritten, prometheus.CounterValue, float64(snap.BytesWritten))
	for _, c := range capture.Causes {
		ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, float64(snap.Failures[string(c)]), string(c))
	}
	for _, r := range []string{"age", "size"} {
		ch <- prometheus.MustNewConstMetric(descSwept, prometheus.CounterValue, float64(snap.CapturesSwept[r]), r)
	}
	ch <- prometheus.MustNewConstMetric(descBytesSwept, prometheus.CounterValue, float64(snap.BytesSwept))
	ch <- prometheus.MustNewConstMetric(descUsage, prometheus.GaugeValue, float64(snap.DiskUsageBytes))
	ch <- prometheus.MustNewConstMetric(descBudget, prometheus.GaugeValue, float64(snap.DiskBudgetBytes))
}
