package healthzextension

import (
	"bytes"
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
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/nopexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/redline-otel/redline/extension/healthzextension/internal/promtooltest"
	"github.com/redline-otel/redline/internal/snapshot"
)

// flakyReceiver reports a recoverable error at start (like an access-log
// receiver that cannot read its file) and recovers on demand. It registers
// a snapshot source through the host, as redline's components do.
type flakyReceiver struct {
	host       component.Host
	id         component.ID
	unregister func()
	shutdown   atomic.Bool
}

func (r *flakyReceiver) Start(_ context.Context, host component.Host) error {
	r.host = host
	r.unregister = snapshot.RegisterWithHost(host, snapshot.Name(component.KindReceiver, r.id),
		snapshot.SourceFunc(func() any { return map[string]int{"files": 1} }))
	componentstatus.ReportStatus(host, componentstatus.NewRecoverableErrorEvent(errors.New("open /var/log/app.log: permission denied")))
	return nil
}

func (r *flakyReceiver) recover() {
	componentstatus.ReportStatus(r.host, componentstatus.NewEvent(componentstatus.StatusOK))
}

func (r *flakyReceiver) Shutdown(context.Context) error {
	r.shutdown.Store(true)
	if r.unregister != nil {
		r.unregister()
	}
	return nil
}

// TestCollectorEndToEnd runs a real collector with the extension, a flaky
// receiver and the nop exporter. It proves the collector calls the
// extension's Watcher and PipelineWatcher as expected, that components find
// it through host.GetExtensions, and that drain_delay holds the receivers
// open while /readyz already answers 503.
func TestCollectorEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a collector")
	}
	recv := &flakyReceiver{}
	flakyType := component.MustNewType("flaky")
	recvFactory := receiver.NewFactory(flakyType, func() component.Config { return &struct{}{} },
		receiver.WithLogs(func(_ context.Context, set receiver.Settings, _ component.Config, _ consumer.Logs) (receiver.Logs, error) {
			recv.id = set.ID
			return recv, nil
		}, component.StabilityLevelAlpha))

	const drain = 1500 * time.Millisecond
	col, addr, runErr := startCollector(t, recvFactory, drain)
	t.Cleanup(col.Shutdown) // safe to repeat; waits for Run to finish

	base := "http://" + addr
	require.Eventually(t, func() bool {
		code, _, err := tryGet(t, base+"/readyz")
		return err == nil && code == 200
	}, 20*time.Second, 20*time.Millisecond, "collector never became ready")

	// The receiver's recoverable error is visible and does not withdraw
	// readiness.
	code, body := get(t, base+"/readyz", nil)
	assert.Equal(t, 200, code)
	assert.JSONEq(t, `{"status":"ready","pipelines":1,"components":3}`, body, "extension, receiver, exporter")
	code, body = get(t, base+"/health/components", nil)
	assert.Equal(t, 200, code)
	assert.Equal(t, "degraded", jsonField(t, body, "status"))
	assert.Contains(t, body, `"component":"receiver/flaky","kind":"receiver","pipelines":["logs"],"status":"recoverable_error","message":"open /var/log/app.log: permission denied"`)
	assert.Contains(t, body, `"component":"exporter/nop","kind":"exporter","pipelines":["logs"],"status":"ok"`)
	assert.Contains(t, body, `"component":"extension/healthz","kind":"extension","pipelines":[],"status":"ok"`)

	recv.recover()
	_, body = get(t, base+"/health/components", nil)
	assert.Equal(t, "ok", jsonField(t, body, "status"), body)

	// The receiver found the extension through host.GetExtensions.
	_, body = get(t, base+"/metrics", nil)
	var doc struct {
		Sources map[string]json.RawMessage `json:"sources"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.JSONEq(t, `{"files":1}`, string(doc.Sources["receiver/flaky"]))

	code, body = get(t, base+"/metrics/prometheus", nil)
	require.Equal(t, 200, code)
	assert.Contains(t, body, `redline_component_status{component="receiver/flaky",pipeline="logs",status="ok"} 1`)
	assert.Contains(t, body, "redline_ready 1")
	promtooltest.Check(t, []byte(body))

	// Shutdown: readiness drops while the receiver is still running and
	// liveness holds.
	shutdownAt := time.Now()
	go col.Shutdown()
	require.Eventually(t, func() bool {
		code, _, err := tryGet(t, base+"/readyz")
		return err == nil && code == 503
	}, 10*time.Second, 5*time.Millisecond)
	assert.False(t, recv.shutdown.Load(), "receiver still open during the drain")
	code, _ = get(t, base+"/healthz", nil)
	assert.Equal(t, 200, code, "liveness holds during the drain")
	_, body = get(t, base+"/readyz", nil)
	assert.JSONEq(t, `{"status":"not_ready","reason":"collector is shutting down"}`, body)

	select {
	case err := <-runErr:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("collector did not stop")
	}
	assert.True(t, recv.shutdown.Load())
	assert.GreaterOrEqual(t, time.Since(shutdownAt), drain, "shutdown waited for drain_delay")
	_, _, err := tryGet(t, base+"/healthz")
	assert.Error(t, err, "server closed after shutdown")
}

// startCollector runs a collector whose logs pipeline goes from the given
// receiver factory's default instance to the nop exporter, with the healthz
// extension on a free loopback port. It returns once Run is under way.
func startCollector(tb testing.TB, recvFactory receiver.Factory, drain time.Duration) (*otelcol.Collector, string, chan error) {
	tb.Helper()
	return startCollectorAt(tb, recvFactory, drain, freeAddr(tb), false)
}

// startCollectorAt is startCollector with a given healthz address and, when
// signals is set, the collector's own SIGTERM handling.
func startCollectorAt(tb testing.TB, recvFactory receiver.Factory, drain time.Duration, addr string, signals bool) (*otelcol.Collector, string, chan error) {
	tb.Helper()
	cfgPath := filepath.Join(tb.TempDir(), "config.yaml")
	require.NoError(tb, os.WriteFile(cfgPath, fmt.Appendf(nil, `
receivers:
  %s:
exporters:
  nop:
extensions:
  healthz:
    endpoint: %s
    drain_delay: %s
service:
  extensions: [healthz]
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [%s]
      exporters: [nop]
`, recvFactory.Type(), addr, drain, recvFactory.Type()), 0o600))

	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.NewDefaultBuildInfo(),
		Factories: func() (otelcol.Factories, error) {
			var f otelcol.Factories
			var err error
			f.Receivers, err = otelcol.MakeFactoryMap(recvFactory)
			if err != nil {
				return f, err
			}
			f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](nopexporter.NewFactory())
			if err != nil {
				return f, err
			}
			f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](NewFactory())
			f.Telemetry = otelconftelemetry.NewFactory()
			return f, err
		},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"file:" + cfgPath},
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()},
		}},
		DisableGracefulShutdown: !signals,
	})
	require.NoError(tb, err)

	runErr := make(chan error, 1)
	go func() { runErr <- col.Run(context.Background()) }()
	return col, addr, runErr
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	addr := ln.Addr().String()
	require.NoError(tb, ln.Close())
	return addr
}

func tryGet(tb testing.TB, url string) (int, string, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return 0, "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

const (
	childEnv     = "REDLINE_HEALTHZ_SIGTERM_CHILD_ADDR"
	childDrain   = 1500 * time.Millisecond
	childTestRun = "^TestSIGTERMChild$"
)

// TestSIGTERMChild is the collector process of TestSIGTERM; it does nothing
// when run on its own.
func TestSIGTERMChild(t *testing.T) {
	addr := os.Getenv(childEnv)
	if addr == "" {
		t.Skip("runs only as the child process of TestSIGTERM")
	}
	factory := receiver.NewFactory(component.MustNewType("idle"), func() component.Config { return &struct{}{} },
		receiver.WithLogs(func(context.Context, receiver.Settings, component.Config, consumer.Logs) (receiver.Logs, error) {
			return idleReceiver{}, nil
		}, component.StabilityLevelAlpha))
	_, _, runErr := startCollectorAt(t, factory, childDrain, addr, true)
	require.NoError(t, <-runErr)
}

// TestSIGTERM sends a real SIGTERM to a collector process: readiness drops
// at once, liveness holds and the process stays up for drain_delay, then it
// exits cleanly.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a collector process")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	addr := freeAddr(t)
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run="+childTestRun, "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+addr)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	base := "http://" + addr
	require.Eventually(t, func() bool {
		code, _, err := tryGet(t, base+"/readyz")
		return err == nil && code == 200
	}, 30*time.Second, 20*time.Millisecond, "child never became ready:\n%s", out)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	signalled := time.Now()
	require.Eventually(t, func() bool {
		code, _, err := tryGet(t, base+"/readyz")
		return err == nil && code == 503
	}, 10*time.Second, 5*time.Millisecond)
	code, _, err := tryGet(t, base+"/healthz")
	require.NoError(t, err)
	assert.Equal(t, 200, code, "liveness holds during the drain")
	select {
	case <-exited:
		t.Fatalf("process exited before drain_delay: %v\n%s", waitErr, out)
	default:
	}

	select {
	case <-exited:
		require.NoError(t, waitErr, "child output:\n%s", out)
		assert.GreaterOrEqual(t, time.Since(signalled), childDrain)
	case <-time.After(30 * time.Second):
		t.Fatalf("process did not exit after SIGTERM:\n%s", out)
	}
}

// syncBuffer collects a child's output while the test may read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
