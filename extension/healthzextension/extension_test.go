package healthzextension

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pipeline"

	"github.com/redline-otel/redline/extension/healthzextension/internal/metadata"
	"github.com/redline-otel/redline/internal/snapshot"
)

// testHost lends the extension other extensions.
type testHost struct {
	exts map[component.ID]component.Component
}

func (h *testHost) GetExtensions() map[component.ID]component.Component { return h.exts }

func newTestExtension(t testing.TB, mutate func(*Config)) *healthzExtension {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Server.NetAddr.Endpoint = "127.0.0.1:0"
	if mutate != nil {
		mutate(cfg)
	}
	ext, err := NewFactory().Create(t.Context(), extensiontest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	return ext.(*healthzExtension)
}

func startTestExtension(t *testing.T, mutate func(*Config), host component.Host) (*healthzExtension, string) {
	t.Helper()
	ext := newTestExtension(t, mutate)
	if host == nil {
		host = componenttest.NewNopHost()
	}
	require.NoError(t, ext.Start(t.Context(), host))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return ext, "http://" + ext.Addr()
}

func get(t *testing.T, url string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, http.NoBody)
	require.NoError(t, err)
	req.Header = header
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}

func jsonField(t *testing.T, body, field string) any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m[field]
}

var (
	logsPipeline = pipeline.NewID(pipeline.SignalLogs)
	otlpRecv     = componentstatus.NewInstanceID(component.MustNewID("otlp"), component.KindReceiver, logsPipeline)
	accessRecv   = componentstatus.NewInstanceID(component.MustNewIDWithName("accesslog", "nginx"), component.KindReceiver, logsPipeline)
	maskProc     = componentstatus.NewInstanceID(component.MustNewID("mask"), component.KindProcessor, logsPipeline)
	debugExp     = componentstatus.NewInstanceID(component.MustNewID("debug"), component.KindExporter, logsPipeline,
		pipeline.NewID(pipeline.SignalTraces))
	healthzExt = componentstatus.NewInstanceID(component.MustNewID("healthz"), component.KindExtension)
)

// TestLifecycleStates drives the extension through the collector's calls
// and checks every endpoint over real HTTP after each step.
func TestLifecycleStates(t *testing.T) {
	ext, base := startTestExtension(t, nil, nil)
	all := []*componentstatus.InstanceID{healthzExt, otlpRecv, accessRecv, maskProc, debugExp}

	type want struct {
		healthz, readyz, components int
		overall                     string
		reasonContains              string
	}
	for _, st := range []struct {
		name  string
		apply func()
		want  want
	}{
		{
			name: "starting",
			apply: func() {
				for _, id := range all {
					ext.Changed(id, componentstatus.NewEvent(componentstatus.StatusStarting))
				}
			},
			want: want{200, 503, 200, "starting", "collector is starting"},
		},
		{
			name: "components ok, pipelines not yet ready",
			apply: func() {
				for _, id := range all {
					ext.Changed(id, componentstatus.NewEvent(componentstatus.StatusOK))
				}
			},
			want: want{200, 503, 200, "starting", "collector is starting"},
		},
		{
			name:  "ready",
			apply: func() { require.NoError(t, ext.Ready()) },
			want:  want{200, 200, 200, "ok", ""},
		},
		{
			name: "recoverable error",
			apply: func() {
				ext.Changed(accessRecv, componentstatus.NewRecoverableErrorEvent(errors.New("open /var/log/nginx/access.log: permission denied")))
			},
			want: want{200, 200, 200, "degraded", ""},
		},
		{
			name:  "recovery",
			apply: func() { ext.Changed(accessRecv, componentstatus.NewEvent(componentstatus.StatusOK)) },
			want:  want{200, 200, 200, "ok", ""},
		},
		{
			name: "permanent error",
			apply: func() {
				ext.Changed(debugExp, componentstatus.NewPermanentErrorEvent(errors.New("401 from backend")))
			},
			want: want{200, 503, 503, "error", "permanent error in exporter/debug (pipelines: logs, traces): 401 from backend"},
		},
		{
			name: "fatal error",
			apply: func() {
				ext.Changed(otlpRecv, componentstatus.NewFatalErrorEvent(errors.New("bind: address already in use")))
			},
			want: want{503, 503, 503, "fatal", "fatal error in receiver/otlp (pipelines: logs): bind: address already in use"},
		},
	} {
		st.apply()
		code, body := get(t, base+"/healthz", nil)
		assert.Equal(t, st.want.healthz, code, "%s: /healthz %s", st.name, body)
		if code == 503 {
			assert.Contains(t, jsonField(t, body, "reason"), "fatal error in receiver/otlp", st.name)
		}
		code, body = get(t, base+"/readyz", nil)
		assert.Equal(t, st.want.readyz, code, "%s: /readyz %s", st.name, body)
		if code == 503 {
			assert.Equal(t, "not_ready", jsonField(t, body, "status"), st.name)
			assert.Contains(t, jsonField(t, body, "reason"), st.want.reasonContains, st.name)
		} else {
			assert.JSONEq(t, `{"status":"ready","pipelines":2,"components":5}`, body, st.name)
		}
		code, body = get(t, base+"/health/components", nil)
		assert.Equal(t, st.want.components, code, "%s: /health/components %s", st.name, body)
		assert.Equal(t, st.want.overall, jsonField(t, body, "status"), st.name)
	}
}

func TestShuttingDownKeepsLiveness(t *testing.T) {
	ext, base := startTestExtension(t, nil, nil)
	ext.Changed(otlpRecv, componentstatus.NewEvent(componentstatus.StatusStarting))
	ext.Changed(otlpRecv, componentstatus.NewEvent(componentstatus.StatusOK))
	require.NoError(t, ext.Ready())
	code, _ := get(t, base+"/readyz", nil)
	require.Equal(t, 200, code)

	require.NoError(t, ext.NotReady()) // drain_delay 0: returns at once
	code, body := get(t, base+"/readyz", nil)
	assert.Equal(t, 503, code)
	assert.JSONEq(t, `{"status":"not_ready","reason":"collector is shutting down"}`, body)
	code, _ = get(t, base+"/healthz", nil)
	assert.Equal(t, 200, code, "a clean shutdown is not a liveness failure")
	_, body = get(t, base+"/health/components", nil)
	assert.Equal(t, "stopping", jsonField(t, body, "status"))
}

func TestDrainDelay(t *testing.T) {
	const drain = 400 * time.Millisecond
	ext, base := startTestExtension(t, func(c *Config) { c.DrainDelay = drain }, nil)
	ext.Changed(otlpRecv, componentstatus.NewEvent(componentstatus.StatusStarting))
	ext.Changed(otlpRecv, componentstatus.NewEvent(componentstatus.StatusOK))
	require.NoError(t, ext.Ready())

	start := time.Now()
	returned := make(chan time.Duration, 1)
	go func() {
		assert.NoError(t, ext.NotReady())
		returned <- time.Since(start)
	}()

	// While NotReady holds the shutdown, readiness is withdrawn and
	// liveness kept.
	require.Eventually(t, func() bool {
		code, _ := get(t, base+"/readyz", nil)
		return code == 503
	}, 5*time.Second, 5*time.Millisecond)
	select {
	case <-returned:
		t.Fatal("NotReady returned before drain_delay elapsed")
	default:
	}
	code, _ := get(t, base+"/healthz", nil)
	assert.Equal(t, 200, code)

	select {
	case took := <-returned:
		assert.GreaterOrEqual(t, took, drain)
	case <-time.After(10 * time.Second):
		t.Fatal("NotReady did not return")
	}
}

func TestShutdownEndsDrain(t *testing.T) {
	ext := newTestExtension(t, func(c *Config) { c.DrainDelay = time.Hour })
	require.NoError(t, ext.Start(t.Context(), componenttest.NewNopHost()))
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		assert.NoError(t, ext.NotReady())
	}()
	require.NoError(t, ext.Shutdown(t.Context()))
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not end the drain")
	}
}

func TestBusyPortFailsStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	ext := newTestExtension(t, func(c *Config) { c.Server.NetAddr.Endpoint = ln.Addr().String() })
	err = ext.Start(t.Context(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "healthz: listen on")
	require.NoError(t, ext.Shutdown(t.Context()))
}

func TestShutdownWithoutStartAndTwice(t *testing.T) {
	ext := newTestExtension(t, nil)
	require.NoError(t, ext.Shutdown(t.Context()))
	require.NoError(t, ext.Shutdown(t.Context()))

	ext = newTestExtension(t, nil)
	require.NoError(t, ext.Start(t.Context(), componenttest.NewNopHost()))
	addr := ext.Addr()
	require.NoError(t, ext.Shutdown(t.Context()))
	require.NoError(t, ext.Shutdown(t.Context()))
	_, err := net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "listener closed")
}

func TestEventsBeforeStartAreKept(t *testing.T) {
	ext := newTestExtension(t, nil)
	ext.Changed(healthzExt, componentstatus.NewEvent(componentstatus.StatusStarting))
	ext.Changed(nil, componentstatus.NewEvent(componentstatus.StatusOK)) // ignored
	require.NoError(t, ext.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	_, body := get(t, "http://"+ext.Addr()+"/health/components", nil)
	assert.Contains(t, body, `"component":"extension/healthz","kind":"extension","pipelines":[],"status":"starting"`)
}

// TestSourcesThroughHost registers a source the way other components do:
// through snapshot.RegisterWithHost and the host's extensions.
func TestSourcesThroughHost(t *testing.T) {
	ext := newTestExtension(t, nil)
	host := &testHost{exts: map[component.ID]component.Component{component.MustNewID("healthz"): ext}}
	require.NoError(t, ext.Start(t.Context(), host))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	base := "http://" + ext.Addr()

	name := snapshot.Name(component.KindReceiver, component.MustNewIDWithName("accesslog", "nginx"))
	unregister := snapshot.RegisterWithHost(host, name, snapshot.SourceFunc(func() any {
		return map[string]any{"files": 1, "lag_bytes": 0}
	}))
	code, body := get(t, base+"/metrics", nil)
	require.Equal(t, 200, code)
	var doc struct {
		Sources map[string]map[string]float64 `json:"sources"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, map[string]map[string]float64{"receiver/accesslog/nginx": {"files": 1, "lag_bytes": 0}}, doc.Sources)

	unregister()
	_, body = get(t, base+"/metrics", nil)
	assert.Contains(t, body, `"sources":{}`)
}

// authExtension is a server authenticator extension accepting one header.
type authExtension struct {
	component.StartFunc
	component.ShutdownFunc
	extensionauth.ServerAuthenticateFunc
}

func TestMetricsAuthenticatorExtension(t *testing.T) {
	authID := component.MustNewIDWithName("basicauth", "metrics")
	auth := authExtension{ServerAuthenticateFunc: func(ctx context.Context, headers map[string][]string) (context.Context, error) {
		if v := headers["Authorization"]; len(v) == 1 && v[0] == "Basic b3BzOnB3" {
			return ctx, nil
		}
		return ctx, errors.New("bad credentials")
	}}
	host := &testHost{exts: map[component.ID]component.Component{authID: auth}}
	ext, base := startTestExtension(t, func(c *Config) {
		c.MetricsAuth = configoptional.Some(MetricsAuthConfig{Authenticator: authID})
	}, host)
	assert.Equal(t, []component.ID{authID}, ext.Dependencies(), "the authenticator starts first")

	code, _ := get(t, base+"/healthz", nil)
	assert.Equal(t, 200, code, "probes stay open")
	code, body := get(t, base+"/metrics/prometheus", nil)
	assert.Equal(t, 401, code)
	assert.JSONEq(t, `{"status":"unauthorized","reason":"bad credentials"}`, body)
	code, _ = get(t, base+"/metrics/prometheus", http.Header{"Authorization": {"Basic b3BzOnB3"}})
	assert.Equal(t, 200, code)
}

func TestMetricsAuthenticatorMissing(t *testing.T) {
	ext := newTestExtension(t, func(c *Config) {
		c.MetricsAuth = configoptional.Some(MetricsAuthConfig{Authenticator: component.MustNewID("nope")})
	})
	err := ext.Start(t.Context(), &testHost{})
	require.ErrorContains(t, err, "'metrics_auth::authenticator'")
	require.NoError(t, ext.Shutdown(t.Context()))
}

func TestBearerTokenFromConfig(t *testing.T) {
	ext, base := startTestExtension(t, func(c *Config) {
		c.MetricsAuth = configoptional.Some(MetricsAuthConfig{BearerToken: "t0ken"})
	}, nil)
	assert.Empty(t, ext.Dependencies())
	code, _ := get(t, base+"/metrics", nil)
	assert.Equal(t, 401, code)
	code, _ = get(t, base+"/metrics", http.Header{"Authorization": {"Bearer t0ken"}})
	assert.Equal(t, 200, code)
}
