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
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
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

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// sink is an OTLP/gRPC logs server that counts each record's `seq` attribute.
type sink struct {
	plogotlp.UnimplementedGRPCServer

	addr string

	mu       sync.Mutex
	seen     map[int64]int
	records  int
	noSeq    int
	srv      *grpc.Server
	stopped  bool
	failNext error
}

func newSink(t testing.TB) *sink {
	t.Helper()
	s := &sink{seen: map[int64]int{}, addr: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
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
	srv := grpc.NewServer()
	plogotlp.RegisterGRPCServer(srv, s)
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
					continue
				}
				s.seen[v.Int()]++
			}
		}
	}
	return plogotlp.NewExportResponse(), nil
}

// tally compares what the sink received with sequence numbers [0, written).
type tally struct {
	written, delivered, lost, duplicated, unexpected int
}

func (t tally) String() string {
	return fmt.Sprintf("written=%d delivered=%d lost=%d duplicated=%d unexpected=%d",
		t.written, t.delivered, t.lost, t.duplicated, t.unexpected)
}

func (s *sink) tally(written int64) tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := tally{written: int(written)}
	for seq, n := range s.seen {
		if seq < 0 || seq >= written {
			out.unexpected += n
			continue
		}
		out.delivered++
		out.duplicated += n - 1
	}
	out.lost = int(written) - out.delivered
	return out
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
	done    chan struct{}
	exitErr error
}

type redlineOptions struct {
	glob       string
	storageDir string
	sinkAddr   string
	extraEnv   map[string]string
}

func startRedline(t testing.TB, opts redlineOptions) *redline {
	t.Helper()
	root := repoRoot(t)
	healthPort, telemetryPort := freePort(t), freePort(t)
	env := append(os.Environ(),
		"REDLINE_ACCESS_LOG_GLOB="+opts.glob,
		"REDLINE_ACCESS_LOG_START_AT=beginning",
		"REDLINE_STORAGE_DIR="+opts.storageDir,
		"REDLINE_EXPORTERS=[otlp]",
		"REDLINE_OTLP_ENDPOINT="+opts.sinkAddr,
		"REDLINE_OTLP_GRPC_PORT="+strconv.Itoa(freePort(t)),
		"REDLINE_OTLP_HTTP_PORT="+strconv.Itoa(freePort(t)),
		"REDLINE_HEALTH_PORT="+strconv.Itoa(healthPort),
		"REDLINE_TELEMETRY_PORT="+strconv.Itoa(telemetryPort),
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
	}
	logFile, err := os.Create(r.logPath)
	require.NoError(t, err)
	r.cmd = exec.Command(redlineBin(t), "--config", filepath.Join(root, "config", "collector.yaml"))
	r.cmd.Dir = root
	r.cmd.Env = env
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	require.NoError(t, r.cmd.Start())
	r.done = make(chan struct{})
	go func() {
		r.exitErr = r.cmd.Wait()
		logFile.Close()
		close(r.done)
	}()
	t.Cleanup(func() { r.kill() })
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

func (r *redline) logTail(n int) string {
	b, err := os.ReadFile(r.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
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
