package healthzextension // import "github.com/redline-otel/redline/extension/healthzextension"

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.opentelemetry.io/collector/pipeline"
	"go.uber.org/zap"

	"github.com/redline-otel/redline/extension/healthzextension/internal/healthapi"
	"github.com/redline-otel/redline/extension/healthzextension/internal/sources"
	"github.com/redline-otel/redline/extension/healthzextension/internal/status"
	"github.com/redline-otel/redline/internal/snapshot"
)

var (
	_ extension.Extension                          = (*healthzExtension)(nil)
	_ extensioncapabilities.ComponentStatusWatcher = (*healthzExtension)(nil)
	_ extensioncapabilities.PipelineWatcher        = (*healthzExtension)(nil)
	_ extensioncapabilities.Dependent              = (*healthzExtension)(nil)
	_ snapshot.Registry                            = (*healthzExtension)(nil)
)

// healthzExtension adapts the collector's status signals to the status
// aggregator and serves the endpoints over a confighttp server.
type healthzExtension struct {
	cfg       *Config
	telemetry component.TelemetrySettings
	agg       *status.Aggregator
	sources   *sources.Registry

	// stop ends a drain early when Shutdown arrives first (it never does in
	// the collector's own sequence, but a host may differ).
	stop     chan struct{}
	stopOnce sync.Once

	mu        sync.Mutex
	handler   *healthapi.Handler
	server    *http.Server
	addr      string
	serveDone chan struct{}
}

func newHealthzExtension(cfg *Config, telemetry component.TelemetrySettings, startTime time.Time) *healthzExtension {
	return &healthzExtension{
		cfg:       cfg,
		telemetry: telemetry,
		// The aggregator exists before Start: the collector may deliver
		// status events before, during or after Start.
		agg:     status.NewAggregator(startTime, time.Now),
		sources: sources.New(),
		stop:    make(chan struct{}),
	}
}

// Start opens the listener first, so a busy port fails the collector's start
// rather than a goroutine later.
func (e *healthzExtension) Start(ctx context.Context, host component.Host) error {
	auth, err := e.metricsAuth(ctx, host)
	if err != nil {
		return err
	}
	handler := healthapi.New(healthapi.Settings{
		Aggregator:  e.agg,
		Sources:     e.sources,
		MetricsAuth: auth,
		Logf: func(format string, args ...any) {
			e.telemetry.Logger.Warn("Problem exposing component metrics", zap.String("error", fmt.Sprintf(format, args...)))
		},
	})

	ln, err := e.cfg.Server.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("healthz: listen on %q: %w", e.cfg.Server.NetAddr.Endpoint, err)
	}
	srv, err := e.cfg.Server.ToServer(ctx, host.GetExtensions(), e.telemetry, handler)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("healthz: create server: %w", err)
	}

	done := make(chan struct{})
	e.mu.Lock()
	e.handler, e.server, e.addr, e.serveDone = handler, srv, ln.Addr().String(), done
	e.mu.Unlock()

	e.telemetry.Logger.Info("Health endpoints listening",
		zap.String("address", ln.Addr().String()),
		zap.Strings("paths", healthapi.Paths),
		zap.Bool("metrics_auth", auth.Check != nil),
		zap.Duration("drain_delay", e.cfg.DrainDelay))

	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(fmt.Errorf("healthz server: %w", err)))
		}
	}()
	return nil
}

func (e *healthzExtension) metricsAuth(ctx context.Context, host component.Host) (healthapi.MetricsAuth, error) {
	if !e.cfg.MetricsAuth.HasValue() {
		return healthapi.MetricsAuth{}, nil
	}
	ma := e.cfg.MetricsAuth.Get()
	if ma.BearerToken != "" {
		return healthapi.BearerToken(string(ma.BearerToken)), nil
	}
	server, err := configauth.Config{AuthenticatorID: ma.Authenticator}.GetServerAuthenticator(ctx, host.GetExtensions())
	if err != nil {
		return healthapi.MetricsAuth{}, fmt.Errorf("healthz: 'metrics_auth::authenticator': %w", err)
	}
	return healthapi.MetricsAuth{
		Check: func(r *http.Request) error {
			_, err := server.Authenticate(r.Context(), r.Header)
			return err
		},
	}, nil
}

// Shutdown stops the server, letting in-flight requests finish within ctx.
// It is safe without Start and when called twice.
func (e *healthzExtension) Shutdown(ctx context.Context) error {
	e.stopOnce.Do(func() { close(e.stop) })

	e.mu.Lock()
	srv, done := e.server, e.serveDone
	e.server = nil
	e.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		// The deadline passed with requests still open: cut them off.
		err = errors.Join(err, srv.Close())
	}
	<-done
	return err
}

// Dependencies makes the collector start the metrics authenticator first.
func (e *healthzExtension) Dependencies() []component.ID {
	if e.cfg.MetricsAuth.HasValue() && e.cfg.MetricsAuth.Get().Authenticator != (component.ID{}) {
		return []component.ID{e.cfg.MetricsAuth.Get().Authenticator}
	}
	return nil
}

// Changed records every component status event. The collector may call it
// concurrently, and before Start or after Shutdown; it must stay quick.
// (Since collector v0.165.0 this is the only way status reaches an
// extension: the service no longer calls componentstatus.Watcher's
// ComponentStatusChanged, which compiled on without ever being called.)
func (e *healthzExtension) Changed(source *componentstatus.InstanceID, event *componentstatus.Event) {
	if source == nil || event == nil {
		return
	}
	e.agg.Record(instance(source), statusEvent(event))
}

func instance(id *componentstatus.InstanceID) status.Instance {
	inst := status.Instance{
		Kind: strings.ToLower(id.Kind().String()),
		ID:   id.ComponentID().String(),
	}
	id.AllPipelineIDs(func(p pipeline.ID) bool {
		inst.Pipelines = append(inst.Pipelines, p.String())
		return true
	})
	return inst
}

func statusEvent(ev *componentstatus.Event) status.Event {
	out := status.Event{Time: ev.Timestamp()}
	switch ev.Status() {
	case componentstatus.StatusStarting:
		out.Status = status.StatusStarting
	case componentstatus.StatusOK:
		out.Status = status.StatusOK
	case componentstatus.StatusRecoverableError:
		out.Status = status.StatusRecoverableError
	case componentstatus.StatusPermanentError:
		out.Status = status.StatusPermanentError
	case componentstatus.StatusFatalError:
		out.Status = status.StatusFatalError
	case componentstatus.StatusStopping:
		out.Status = status.StatusStopping
	case componentstatus.StatusStopped:
		out.Status = status.StatusStopped
	case componentstatus.StatusNone:
		out.Status = status.StatusNone
	}
	if err := ev.Err(); err != nil {
		out.Message = err.Error()
	}
	return out
}

// Ready is called once every pipeline has started.
func (e *healthzExtension) Ready() error {
	e.agg.SetReady()
	e.telemetry.Logger.Info("Pipelines ready: /readyz answers 200 unless a component fails permanently")
	return nil
}

// NotReady is called when shutdown begins, before the receivers stop.
// Readiness drops at once; the call then holds the shutdown for
// drain_delay so that probes and load balancers see the 503 and move
// traffic away while the receivers still accept it.
func (e *healthzExtension) NotReady() error {
	e.agg.SetShuttingDown()
	if e.cfg.DrainDelay <= 0 {
		e.telemetry.Logger.Info("Shutdown begun: /readyz answers 503")
		return nil
	}
	e.telemetry.Logger.Info("Shutdown begun: /readyz answers 503; holding receivers open for drain_delay",
		zap.Duration("drain_delay", e.cfg.DrainDelay))
	timer := time.NewTimer(e.cfg.DrainDelay)
	defer timer.Stop()
	select {
	case <-timer.C:
		e.telemetry.Logger.Info("Drain delay over: stopping receivers")
	case <-e.stop:
	}
	return nil
}

// RegisterSource implements snapshot.Registry.
func (e *healthzExtension) RegisterSource(name string, src snapshot.Source) (unregister func()) {
	return e.sources.Register(name, src)
}

// Addr is the address the server listens on ("" before Start); tests and
// tools use it when the endpoint's port is 0.
func (e *healthzExtension) Addr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addr
}

// endpointsHandler is the endpoints' handler without middleware (nil
// before Start), for benchmarks.
func (e *healthzExtension) endpointsHandler() *healthapi.Handler {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.handler
}

// serverHandler is the handler wrapped in the confighttp middleware, as
// served (nil before Start), for benchmarks.
func (e *healthzExtension) serverHandler() http.Handler {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.server == nil {
		return nil
	}
	return e.server.Handler
}
