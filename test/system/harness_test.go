//go:build system

// Package system runs the built bin/redline as users do: a writer appends
// JSONL lines with unique sequence numbers, redline tails them through the
// default pipeline (config/collector.yaml) and exports over OTLP to a sink in
// this process, which records every sequence number it receives. Each
// scenario compares delivered with written as a multiset.
package system

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	// Registers the zstd and snappy gRPC codecs the sink needs to read what
	// redline's otlp exporter sends (zstd by default).
	_ "go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the otlp exporter compresses with gzip by default
)

// repoRoot is the checkout this package lives in.
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

func redlineBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("REDLINE_BIN")
	if bin == "" {
		bin = filepath.Join(repoRoot(t), "bin", "redline")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("redline binary %s: %v (run `make build` or `make test-system`)", bin, err)
	}
	return bin
}

// configPath is the configuration redline runs with: config/collector.yaml,
// or REDLINE_CONFIG to try the suite against another one.
func configPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("REDLINE_CONFIG"); p != "" {
		return p
	}
	return filepath.Join(repoRoot(t), "config", "collector.yaml")
}

// sinkExporter is the exporter, by its name in config/collector.yaml, that
// sends to the sink: the OTLP/gRPC exporter's current name.
const sinkExporter = "otlp_grpc"

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// sink is an OTLP/gRPC server that counts each log record's `seq` attribute.
// It also accepts metrics and traces (counted, not checked), so that a
// configuration exporting RED metrics to the same endpoint does not fill
// redline's log with Unimplemented errors.
type sink struct {
	plogotlp.UnimplementedGRPCServer

	addr string

	mu         sync.Mutex
	seen       map[int64]int
	records    int
	noSeq      int
	noSeqBytes int64          // body bytes of the records without seq (raw bad lines)
	dupFiles   map[string]int // repeats by the log.file.name they came from

	metricPoints int
	spans        int
	srv          *grpc.Server
	stopped      bool
}

// sinkMaxMessage is far above gRPC's 4 MiB default: hostile input sends
// records of up to max_line_size (1 MiB) each, many to a batch. A real
// backend's limit is the exporter's concern, not what these tests measure.
const sinkMaxMessage = 1 << 30

func newSink(t testing.TB) *sink {
	t.Helper()
	s := &sink{seen: map[int64]int{}, dupFiles: map[string]int{}, addr: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	s.start(t)
	t.Cleanup(s.stop)
	return s
}

func (s *sink) start(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	// The port was free a moment ago or was ours before an outage; retry
	// briefly while the kernel releases it.
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(sinkMaxMessage))
	plogotlp.RegisterGRPCServer(srv, s)
	pmetricotlp.RegisterGRPCServer(srv, &sinkMetrics{s: s})
	ptraceotlp.RegisterGRPCServer(srv, &sinkTraces{s: s})
	s.mu.Lock()
	s.srv, s.stopped = srv, false
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (s *sink) stop() {
	s.mu.Lock()
	srv := s.srv
	s.stopped = true
	s.mu.Unlock()
	if srv != nil {
		srv.Stop()
	}
}

func (s *sink) Export(_ context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	logs := req.Logs()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < logs.ResourceLogs().Len(); i++ {
		sls := logs.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				s.records++
				v, ok := lrs.At(k).Attributes().Get("seq")
				if !ok {
					s.noSeq++
					s.noSeqBytes += int64(len(lrs.At(k).Body().AsString()))
					continue
				}
				s.seen[v.Int()]++
				if s.seen[v.Int()] > 1 {
					name, _ := lrs.At(k).Attributes().Get("log.file.name")
					s.dupFiles[name.AsString()]++
				}
			}
		}
	}
	return plogotlp.NewExportResponse(), nil
}

func (s *sink) isStopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

type sinkMetrics struct {
	pmetricotlp.UnimplementedGRPCServer
	s *sink
}

func (m *sinkMetrics) Export(_ context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	n := req.Metrics().DataPointCount()
	m.s.mu.Lock()
	m.s.metricPoints += n
	m.s.mu.Unlock()
	return pmetricotlp.NewExportResponse(), nil
}

type sinkTraces struct {
	ptraceotlp.UnimplementedGRPCServer
	s *sink
}

func (tr *sinkTraces) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	n := req.Traces().SpanCount()
	tr.s.mu.Lock()
	tr.s.spans += n
	tr.s.mu.Unlock()
	return ptraceotlp.NewExportResponse(), nil
}

// tally compares what the sink received with sequence numbers [0, written).
type tally struct {
	written, delivered, lost, duplicated, unexpected int
	missing                                          string // the first lost ranges, for diagnosis
}

func (t tally) String() string {
	s := fmt.Sprintf("written=%d delivered=%d lost=%d duplicated=%d unexpected=%d",
		t.written, t.delivered, t.lost, t.duplicated, t.unexpected)
	if t.missing != "" {
		s += " missing=" + t.missing
	}
	return s
}

func (s *sink) tally(written int64) tally {
	return s.tallyRange(0, written, nil)
}

// tallyRange compares what the sink received in [lo, lo+written) with that
// range. Sequence numbers outside it count as unexpected unless they fall in
// one of the other ranges given (as [lo, hi) pairs), which another writer owns.
func (s *sink) tallyRange(lo, written int64, others [][2]int64) tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := tally{written: int(written)}
	hi := lo + written
seen:
	for seq, n := range s.seen {
		if seq < lo || seq >= hi {
			for _, o := range others {
				if seq >= o[0] && seq < o[1] {
					continue seen
				}
			}
			out.unexpected += n
			continue
		}
		out.delivered++
		out.duplicated += n - 1
	}
	out.lost = int(written) - out.delivered
	if out.lost > 0 {
		out.missing = missingRanges(s.seen, lo, hi, 5)
	}
	return out
}

// missingRanges lists up to limit ranges of [lo, hi) absent from seen.
func missingRanges(seen map[int64]int, lo, hi int64, limit int) string {
	var parts []string
	for seq := lo; seq < hi && len(parts) < limit; seq++ {
		if seen[seq] > 0 {
			continue
		}
		end := seq
		for end+1 < hi && seen[end+1] == 0 {
			end++
		}
		parts = append(parts, fmt.Sprintf("[%d-%d]", seq, end))
		seq = end
	}
	return strings.Join(parts, ",")
}

// duplicateFiles lists the files repeats came from, as "name:count".
func (s *sink) duplicateFiles() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := make([]string, 0, len(s.dupFiles))
	for name, n := range s.dupFiles {
		parts = append(parts, fmt.Sprintf("%s:%d", name, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// counts returns the records without seq and their body bytes, and the
// metric points and spans received.
func (s *sink) counts() (noSeq int, noSeqBytes int64, metricPoints, spans int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.noSeq, s.noSeqBytes, s.metricPoints, s.spans
}

func (s *sink) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// waitDelivered waits until the sink has seen every seq below written, or the
// timeout passes; it returns the final tally either way.
func (s *sink) waitDelivered(written int64, timeout time.Duration) tally {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		// Counting distinct numbers is cheap; the full tally only once it can pass.
		if s.distinct() < int(written) {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if tl := s.tally(written); tl.lost == 0 {
			// Give in-flight duplicates a moment to land so they are counted.
			time.Sleep(500 * time.Millisecond)
			return s.tally(written)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return s.tally(written)
}

// redline is one run of bin/redline with the default configuration.
type redline struct {
	t       testing.TB
	cmd     *exec.Cmd
	env     []string
	logPath string
	health  string
	metrics string
	otlp    string // the OTLP/gRPC receiver's host:port
	done    chan struct{}
	exitErr error
}

type redlineOptions struct {
	glob       string
	storageDir string
	sinkAddr   string
	extraEnv   map[string]string
	// bin is the binary to run instead of redlineBin's (an older build), and
	// config its configuration instead of configPath's (absolute).
	bin    string
	config string
	// dir is redline's working directory, against which relative glob and
	// storageDir resolve; the repository root when empty.
	dir string
}

func startRedline(t testing.TB, opts redlineOptions) *redline {
	t.Helper()
	root := repoRoot(t)
	healthPort, telemetryPort, grpcPort := freePort(t), freePort(t), freePort(t)
	env := append(os.Environ(),
		// The suite measures delivery, not rate limiting: a limit far above
		// any scenario's rate keeps the ratelimit processor from dropping.
		"REDLINE_RATE_LIMIT_PER_SECOND=100000000",
		"REDLINE_PAYLOAD_CAPTURE=false",
		"GOTRACEBACK=all",
		"REDLINE_ACCESS_LOG_GLOB="+opts.glob,
		"REDLINE_ACCESS_LOG_START_AT=beginning",
		"REDLINE_STORAGE_DIR="+opts.storageDir,
		// Both spellings: the list the default configuration reads, and the
		// single exporter name some configurations use.
		"REDLINE_EXPORTERS=["+sinkExporter+"]",
		"REDLINE_EXPORTER="+sinkExporter,
		"REDLINE_OTLP_ENDPOINT="+opts.sinkAddr,
		"REDLINE_OTLP_GRPC_PORT="+strconv.Itoa(grpcPort),
		"REDLINE_OTLP_HTTP_PORT="+strconv.Itoa(freePort(t)),
		"REDLINE_HEALTH_PORT="+strconv.Itoa(healthPort),
		"REDLINE_TELEMETRY_PORT="+strconv.Itoa(telemetryPort),
		"REDLINE_PPROF_ENDPOINT=127.0.0.1:"+strconv.Itoa(freePort(t)),
		"REDLINE_PAYLOAD_DIR="+filepath.Join(opts.storageDir, "captures"),
	)
	for k, v := range opts.extraEnv {
		env = append(env, k+"="+v)
	}
	r := &redline{
		t:       t,
		env:     env,
		logPath: filepath.Join(t.TempDir(), "redline.log"),
		health:  fmt.Sprintf("http://127.0.0.1:%d", healthPort),
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", telemetryPort),
		otlp:    fmt.Sprintf("127.0.0.1:%d", grpcPort),
	}
	logFile, err := os.Create(r.logPath)
	require.NoError(t, err)
	bin := opts.bin
	if bin == "" {
		bin = redlineBin(t)
	}
	config := opts.config
	if config == "" {
		config = configPath(t)
	}
	r.cmd = exec.Command(bin, "--config", config)
	r.cmd.Dir = root
	if opts.dir != "" {
		r.cmd.Dir = opts.dir
	}
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	require.NoError(t, r.cmd.Start())
	r.done = make(chan struct{})
	go func() {
		r.exitErr = r.cmd.Wait()
		logFile.Close()
		close(r.done)
	}()
	t.Cleanup(func() {
		if t.Failed() && !r.exited() {
			// A goroutine dump in the log shows where a stuck run waits.
			_ = r.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-r.done:
			case <-time.After(5 * time.Second):
			}
		}
		r.kill()
		if t.Failed() {
			t.Logf("redline log %s (last 25 lines):\n%s", r.logPath, r.logTail(25))
			r.keepLog()
		}
	})
	return r
}

func (r *redline) pid() int { return r.cmd.Process.Pid }

func (r *redline) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// waitReady polls /readyz until it answers 200.
func (r *redline) waitReady(timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if r.exited() {
			r.t.Fatalf("redline exited before it was ready: %v\n%s", r.exitErr, r.logTail(40))
		}
		resp, err := client.Get(r.health + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.t.Fatalf("redline not ready after %s\n%s", timeout, r.logTail(40))
}

func (r *redline) kill() {
	if r.cmd.Process != nil && !r.exited() {
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
	}
}

// terminate sends SIGTERM and waits up to grace for the exit.
func (r *redline) terminate(grace time.Duration) (time.Duration, error) {
	start := time.Now()
	if r.exited() {
		return 0, errors.New("already exited")
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case <-r.done:
		return time.Since(start), nil
	case <-time.After(grace):
		r.kill()
		return time.Since(start), fmt.Errorf("did not exit within %s", grace)
	}
}

// keepLog copies the log of a failed run to REDLINE_SYSTEM_LOGDIR, when set,
// since the test's temporary directory goes away.
func (r *redline) keepLog() {
	dir := os.Getenv("REDLINE_SYSTEM_LOGDIR")
	if dir == "" {
		return
	}
	data, err := os.ReadFile(r.logPath)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		name := fmt.Sprintf("%s-%d.log", strings.ReplaceAll(r.t.Name(), "/", "_"), r.pid())
		err = os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	if err != nil {
		r.t.Logf("keep redline log: %v", err)
	}
}

func (r *redline) logTail(n int) string {
	b, err := os.ReadFile(r.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	// A Go crash dump is long: show from its first line instead.
	for i, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") || strings.HasPrefix(l, "unexpected fault address") {
			return strings.Join(lines[i:min(len(lines), i+n)], "\n")
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cpuSeconds reads utime+stime of the process from /proc.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	const clockTicks = 100 // USER_HZ on Linux
	return (utime + stime) / clockTicks, nil
}

// rssBytes reads VmRSS and VmHWM (peak) from /proc/<pid>/status.
func rssBytes(pid int) (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"VmRSS:", "VmHWM:"} {
			if strings.HasPrefix(line, k) {
				kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
				if k == "VmRSS:" {
					rss = kb * 1024
				} else {
					peak = kb * 1024
				}
			}
		}
	}
	return rss, peak, sc.Err()
}

// sampler records CPU use and RSS of a process every interval.
type sampler struct {
	mu       sync.Mutex
	maxCPU   float64 // highest share of one core over one interval
	maxRSS   int64
	samples  int
	stop     chan struct{}
	finished chan struct{}
}

func sample(pid int, interval time.Duration) *sampler {
	s := &sampler{stop: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(s.finished)
		lastCPU, _ := cpuSeconds(pid)
		last := time.Now()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			cpu, err := cpuSeconds(pid)
			if err != nil {
				return
			}
			rss, _, _ := rssBytes(pid)
			now := time.Now()
			share := (cpu - lastCPU) / now.Sub(last).Seconds()
			lastCPU, last = cpu, now
			s.mu.Lock()
			s.samples++
			if share > s.maxCPU {
				s.maxCPU = share
			}
			if rss > s.maxRSS {
				s.maxRSS = rss
			}
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *sampler) finish() (maxCPU float64, maxRSS int64, samples int) {
	close(s.stop)
	<-s.finished
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxCPU, s.maxRSS, s.samples
}

const mib = 1 << 20

// metrics scrapes the collector's own telemetry (the Prometheus endpoint of
// service::telemetry) into metric families by name.
func (r *redline) scrapeMetrics() (map[string]*dto.MetricFamily, error) {
	return scrape(r.metrics)
}

func scrape(url string) (map[string]*dto.MetricFamily, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// metricSum adds up every series of the family named base (with or without
// the `_total` suffix the Prometheus exporter gives counters) whose labels
// include all of want. A family that is absent sums to 0: counters appear
// only after their first increment.
func metricSum(fams map[string]*dto.MetricFamily, base string, want map[string]string) float64 {
	sum := 0.0
	for _, name := range []string{base, base + "_total"} {
		fam, ok := fams[name]
		if !ok {
			continue
		}
	series:
		for _, m := range fam.GetMetric() {
			for k, v := range want {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
						break
					}
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Untyped != nil:
				sum += m.GetUntyped().GetValue()
			}
		}
	}
	return sum
}

// metricNames lists the families whose name starts with prefix, for failure
// messages that show what the binary does export.
func metricNames(fams map[string]*dto.MetricFamily, prefix string) []string {
	var out []string
	for name := range fams {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// componentHealth is one entry of healthz's GET /health/components.
type componentHealth struct {
	Component string   `json:"component"`
	Kind      string   `json:"kind"`
	Pipelines []string `json:"pipelines"`
	Status    string   `json:"status"`
	Message   string   `json:"message"`
}

type componentsReport struct {
	Status     string            `json:"status"`
	Message    string            `json:"message"`
	Components []componentHealth `json:"components"`
}

// components reads /health/components.
func (r *redline) components() (componentsReport, error) {
	var out componentsReport
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(r.health + "/health/components")
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return out, fmt.Errorf("decode /health/components (%s): %w", resp.Status, err)
	}
	return out, nil
}

// statusOf returns the status of the first component whose ID starts with
// prefix (e.g. "exporter/payloadcapture"), and its message.
func (c componentsReport) statusOf(prefix string) (status, message string) {
	for _, e := range c.Components {
		if strings.HasPrefix(e.Component, prefix) {
			return e.Status, e.Message
		}
	}
	return "", ""
}

// notOK lists the components whose status is not ok, as "id=status: message".
func (c componentsReport) notOK() []string {
	var out []string
	for _, e := range c.Components {
		if e.Status != "ok" {
			out = append(out, fmt.Sprintf("%s=%s: %s", e.Component, e.Status, e.Message))
		}
	}
	return out
}

// httpStatus returns the status code of GET url, or 0 when it fails.
func httpStatus(client *http.Client, url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// eventually polls cond every interval until it holds or timeout passes.
func eventually(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}
