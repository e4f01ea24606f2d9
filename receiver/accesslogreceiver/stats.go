package accesslogreceiver // import "github.com/redline-otel/redline/receiver/accesslogreceiver"

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redline-otel/redline/receiver/accesslogreceiver/internal/parser"
)

// Anomaly kinds, in the order of anomalyNames.
const (
	anomalyEmpty = iota
	anomalyCRLF
	anomalyBOM
	anomalyInvalidUTF8
	anomalyInvalidJSON
	anomalyNotObject
	anomalyDepthCapped
	anomalyDuplicateKey
	anomalyBadTimestamp
	anomalyTruncated
	anomalyUnstructured
	anomalyUnpairedHeader
	numAnomalies
)

var anomalyNames = [numAnomalies]string{
	"empty", "crlf", "bom", "invalid_utf8", "invalid_json", "not_object",
	"depth_capped", "duplicate_key", "bad_timestamp", "truncated",
	"unstructured", "unpaired_header",
}

var flagAnomalies = []struct {
	flag    parser.Flags
	anomaly int
}{
	{parser.FlagEmpty, anomalyEmpty},
	{parser.FlagCRLF, anomalyCRLF},
	{parser.FlagBOM, anomalyBOM},
	{parser.FlagInvalidUTF8, anomalyInvalidUTF8},
	{parser.FlagInvalidJSON, anomalyInvalidJSON},
	{parser.FlagNotObject, anomalyNotObject},
	{parser.FlagDepthCapped, anomalyDepthCapped},
	{parser.FlagDuplicateKey, anomalyDuplicateKey},
	{parser.FlagBadTimestamp, anomalyBadTimestamp},
	{parser.FlagUnstructured, anomalyUnstructured},
	{parser.FlagUnpairedHeader, anomalyUnpairedHeader},
}

func (c *batchCounts) addFlags(f parser.Flags) {
	if f == 0 {
		return
	}
	for _, fa := range flagAnomalies {
		if f&fa.flag != 0 {
			c.anomalies[fa.anomaly]++
		}
	}
	if f&parser.FlagInvalidJSON != 0 {
		c.invalidJSON++
	}
	if f&parser.FlagNotObject != 0 {
		c.notObject++
	}
}

// stats mirrors the telemetry counters for the snapshot and /metrics/prometheus.
type stats struct {
	linesRead      atomic.Uint64
	recordsEmitted atomic.Uint64
	recordsDropped atomic.Uint64
	parseErrors    atomic.Uint64
	truncated      atomic.Uint64
	bytesRead      atomic.Uint64
	retries        atomic.Uint64
	anomalies      [numAnomalies]atomic.Uint64
}

func newStats() *stats { return &stats{} }

// snapshotSource serves the receiver's state to the healthz extension, as
// JSON and as Prometheus metrics.
type snapshotSource struct{ r *accessLogReceiver }

type fileSnapshot struct {
	Path     string `json:"path"`
	Offset   int64  `json:"offset"`
	Size     int64  `json:"size"`
	LagBytes int64  `json:"lag_bytes"`
	Open     bool   `json:"open"`
}

type receiverSnapshot struct {
	Files          []fileSnapshot   `json:"files"`
	FilesOpen      int              `json:"files_open"`
	Storage        bool             `json:"storage"`
	LinesRead      uint64           `json:"lines_read"`
	RecordsEmitted uint64           `json:"records_emitted"`
	RecordsDropped uint64           `json:"records_dropped"`
	ParseErrors    uint64           `json:"parse_errors"`
	TruncatedLines uint64           `json:"truncated_lines"`
	BytesRead      uint64           `json:"bytes_read"`
	Retries        uint64           `json:"delivery_retries"`
	Anomalies      map[string]int64 `json:"anomalies"`
	Unreadable     string           `json:"unreadable,omitempty"`
}

// Snapshot implements snapshot.Source.
func (s *snapshotSource) Snapshot() any {
	r := s.r
	st := r.stats
	out := receiverSnapshot{
		Storage:        r.client != nil,
		LinesRead:      st.linesRead.Load(),
		RecordsEmitted: st.recordsEmitted.Load(),
		RecordsDropped: st.recordsDropped.Load(),
		ParseErrors:    st.parseErrors.Load(),
		TruncatedLines: st.truncated.Load(),
		BytesRead:      st.bytesRead.Load(),
		Retries:        st.retries.Load(),
		Anomalies:      map[string]int64{},
		Files:          []fileSnapshot{},
	}
	for i := range st.anomalies {
		out.Anomalies[anomalyNames[i]] = int64(st.anomalies[i].Load())
	}
	for _, f := range r.tailer.Files() {
		out.Files = append(out.Files, fileSnapshot{Path: f.Path, Offset: f.Offset, Size: f.Size, LagBytes: f.Lag(), Open: f.Open})
		if f.Open {
			out.FilesOpen++
		}
	}
	return out
}

var (
	descLinesRead      = prometheus.NewDesc("redline_accesslog_lines_read_total", "Lines read from files.", nil, nil)
	descRecordsEmitted = prometheus.NewDesc("redline_accesslog_records_emitted_total", "Log records accepted by the next consumer.", nil, nil)
	descRecordsDropped = prometheus.NewDesc("redline_accesslog_records_dropped_total", "Lines not delivered as records (empty, dropped parse errors, permanent consumer errors).", nil, nil)
	descParseErrors    = prometheus.NewDesc("redline_accesslog_parse_errors_total", "Lines that were not a JSON object.", nil, nil)
	descTruncated      = prometheus.NewDesc("redline_accesslog_truncated_lines_total", "Lines longer than max_line_size, cut and marked.", nil, nil)
	descBytesRead      = prometheus.NewDesc("redline_accesslog_bytes_read_total", "Bytes read and accepted downstream.", nil, nil)
	descRetries        = prometheus.NewDesc("redline_accesslog_delivery_retries_total", "Batches retried after the next consumer failed.", nil, nil)
	descAnomalies      = prometheus.NewDesc("redline_accesslog_line_anomalies_total", "Lines with bad input, by kind.", []string{"anomaly"}, nil)
	descFilesOpen      = prometheus.NewDesc("redline_accesslog_files_open", "Files currently open.", nil, nil)
	descFilesTracked   = prometheus.NewDesc("redline_accesslog_files_tracked", "Files known by fingerprint (open or recently seen).", nil, nil)
	descLag            = prometheus.NewDesc("redline_accesslog_read_lag_bytes", "Bytes written to a file but not read yet.", []string{"file"}, nil)
	descOffset         = prometheus.NewDesc("redline_accesslog_read_offset_bytes", "Read offset in a file.", []string{"file"}, nil)
)

// Describe implements prometheus.Collector.
func (*snapshotSource) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descLinesRead, descRecordsEmitted, descRecordsDropped, descParseErrors, descTruncated,
		descBytesRead, descRetries, descAnomalies, descFilesOpen, descFilesTracked, descLag, descOffset,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *snapshotSource) Collect(ch chan<- prometheus.Metric) {
	st := s.r.stats
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descLinesRead, st.linesRead.Load())
	counter(descRecordsEmitted, st.recordsEmitted.Load())
	counter(descRecordsDropped, st.recordsDropped.Load())
	counter(descParseErrors, st.parseErrors.Load())
	counter(descTruncated, st.truncated.Load())
	counter(descBytesRead, st.bytesRead.Load())
	counter(descRetries, st.retries.Load())
	for i := range st.anomalies {
		counter(descAnomalies, st.anomalies[i].Load(), anomalyNames[i])
	}
	files := s.r.tailer.Files()
	open := 0
	seen := map[string]bool{}
	for _, f := range files {
		if f.Open {
			open++
		}
		// Two tracked files can share a path (a.log before and after rotation):
		// label values must be unique, so the first (oldest) one is reported.
		if seen[f.Path] || f.Size < 0 {
			continue
		}
		seen[f.Path] = true
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(f.Lag()), f.Path)
		ch <- prometheus.MustNewConstMetric(descOffset, prometheus.GaugeValue, float64(f.Offset), f.Path)
	}
	ch <- prometheus.MustNewConstMetric(descFilesOpen, prometheus.GaugeValue, float64(open))
	ch <- prometheus.MustNewConstMetric(descFilesTracked, prometheus.GaugeValue, float64(len(files)))
}

var _ prometheus.Collector = (*snapshotSource)(nil)
