// Package healthapi serves the healthz extension's HTTP endpoints from a
// status.Aggregator and a sources.Registry. It is plain net/http: the
// extension wraps it in the collector's confighttp server.
package healthapi // import "github.com/redline-otel/redline/extension/healthzextension/internal/healthapi"

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/redline-otel/redline/extension/healthzextension/internal/sources"
	"github.com/redline-otel/redline/extension/healthzextension/internal/status"
)

// Endpoint paths.
const (
	PathHealthz           = "/healthz"
	PathReadyz            = "/readyz"
	PathHealthComponents  = "/health/components"
	PathMetrics           = "/metrics"
	PathMetricsPrometheus = "/metrics/prometheus"
)

// ScrapeTimeout bounds a /metrics/prometheus request; past it the answer is
// 503 with a message.
const ScrapeTimeout = 10 * time.Second

// Paths lists every endpoint, probes first.
var Paths = []string{PathHealthz, PathReadyz, PathHealthComponents, PathMetrics, PathMetricsPrometheus}

// MetricsAuth guards /metrics and /metrics/prometheus. The probes stay open
// because kubelets and load balancers do not send credentials.
type MetricsAuth struct {
	// Check returns nil when the request may read metrics.
	Check func(r *http.Request) error
	// Challenge is the WWW-Authenticate value sent with 401, if any.
	Challenge string
}

// BearerToken accepts requests carrying "Authorization: Bearer <token>".
func BearerToken(token string) MetricsAuth {
	want := []byte(token)
	return MetricsAuth{
		Challenge: `Bearer realm="redline"`,
		Check: func(r *http.Request) error {
			scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				return errors.New("missing bearer token")
			}
			if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
				return errors.New("invalid bearer token")
			}
			return nil
		},
	}
}

// Settings configure a Handler.
type Settings struct {
	Aggregator *status.Aggregator
	Sources    *sources.Registry
	// MetricsAuth, when Check is set, guards the metrics endpoints.
	MetricsAuth MetricsAuth
	// Logf receives problems found while exposing sources' metrics, such as
	// two sources declaring one metric with different help texts. Repeats of
	// the same problem are logged once.
	Logf func(format string, args ...any)
}

// Handler serves every endpoint.
type Handler struct {
	agg        *status.Aggregator
	sources    *sources.Registry
	auth       MetricsAuth
	own        prometheus.Collector
	prometheus http.Handler
	routes     map[string]route
}

type route struct {
	serve     func(w http.ResponseWriter, r *http.Request)
	protected bool
}

// New returns a Handler.
func New(s Settings) *Handler {
	if s.Logf == nil {
		s.Logf = func(string, ...any) {}
	}
	h := &Handler{
		agg:     s.Aggregator,
		sources: s.Sources,
		auth:    s.MetricsAuth,
	}
	h.own = newStatusCollector(s.Aggregator, s.Sources)
	h.prometheus = promhttp.HandlerFor(prometheus.GathererFunc(h.gather), promhttp.HandlerOpts{
		// One broken source must not take the others off the scrape.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      &dedupLog{logf: s.Logf},
		// A source whose Collect hangs must not hang the scrape; Prometheus
		// gives up after 10 s by default too.
		Timeout: ScrapeTimeout,
	})
	h.routes = map[string]route{
		PathHealthz:           {serve: h.serveHealthz},
		PathReadyz:            {serve: h.serveReadyz},
		PathHealthComponents:  {serve: h.serveComponents},
		PathMetrics:           {serve: h.serveMetricsJSON, protected: true},
		PathMetricsPrometheus: {serve: h.prometheus.ServeHTTP, protected: true},
	}
	return h
}

var (
	jsonContentType = []string{"application/json"}
	noStore         = []string{"no-store"}
	allowGetHead    = []string{"GET, HEAD"}
)

// ServeHTTP routes by exact path: anything else is a JSON 404, any method
// but GET and HEAD a JSON 405.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := h.routes[r.URL.Path]
	if !ok {
		writeJSON(w, http.StatusNotFound, problem{
			Status: "not_found",
			Reason: "unknown path; endpoints are " + strings.Join(Paths, ", "),
		})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header()["Allow"] = allowGetHead
		writeJSON(w, http.StatusMethodNotAllowed, problem{
			Status: "method_not_allowed",
			Reason: "only GET and HEAD are allowed",
		})
		return
	}
	if rt.protected && h.auth.Check != nil {
		if err := h.auth.Check(r); err != nil {
			if h.auth.Challenge != "" {
				w.Header().Set("WWW-Authenticate", h.auth.Challenge)
			}
			writeJSON(w, http.StatusUnauthorized, problem{Status: "unauthorized", Reason: err.Error()})
			return
		}
	}
	rt.serve(w, r)
}

type problem struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// Liveness is the /healthz body.
type Liveness struct {
	Status  string  `json:"status"` // "ok" or "fatal"
	Reason  string  `json:"reason,omitempty"`
	UptimeS float64 `json:"uptime_s"`
}

// Ready is the /readyz body while ready.
type Ready struct {
	Status     string `json:"status"` // "ready"
	Pipelines  int    `json:"pipelines"`
	Components int    `json:"components"`
}

// NotReady is the /readyz body while not ready.
type NotReady struct {
	Status string `json:"status"` // "not_ready"
	Reason string `json:"reason"`
}

// Components is the /health/components body.
type Components struct {
	Status     status.Overall     `json:"status"`
	Message    string             `json:"message"`
	Ready      bool               `json:"ready"`
	UptimeS    float64            `json:"uptime_s"`
	Components []status.Component `json:"components"`
}

// ComponentsSummary is the "components" section of /metrics.
type ComponentsSummary struct {
	Status   status.Overall `json:"status"`
	Message  string         `json:"message"`
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
}

// Metrics is the /metrics body.
type Metrics struct {
	Health     Liveness                   `json:"health"`
	Ready      any                        `json:"ready"` // Ready or NotReady
	Components ComponentsSummary          `json:"components"`
	Sources    map[string]json.RawMessage `json:"sources"`
}

func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1000) / 1000
}

func liveness(l status.Liveness) Liveness {
	if l.Alive {
		return Liveness{Status: "ok", UptimeS: seconds(l.Uptime)}
	}
	return Liveness{Status: "fatal", Reason: l.Reason, UptimeS: seconds(l.Uptime)}
}

func readiness(r status.Readiness) (any, int) {
	if r.Ready {
		return Ready{Status: "ready", Pipelines: r.Pipelines, Components: r.Components}, http.StatusOK
	}
	return NotReady{Status: "not_ready", Reason: r.Reason}, http.StatusServiceUnavailable
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64); return &b }}

var (
	healthzOKPrefix = []byte(`{"status":"ok","uptime_s":`)
	healthzOKSuffix = []byte("}\n")
)

// serveHealthz is the hot path (probes every few seconds from every
// kubelet and load balancer), so the common answer is written without
// encoding/json or per-request allocations.
func (h *Handler) serveHealthz(w http.ResponseWriter, _ *http.Request) {
	l := h.agg.Liveness()
	if !l.Alive {
		writeJSON(w, http.StatusServiceUnavailable, liveness(l))
		return
	}
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], healthzOKPrefix...)
	b = strconv.AppendFloat(b, seconds(l.Uptime), 'f', -1, 64)
	b = append(b, healthzOKSuffix...)
	hdr := w.Header()
	hdr["Content-Type"] = jsonContentType
	hdr["Cache-Control"] = noStore
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	*bp = b
	bufPool.Put(bp)
}

func (h *Handler) serveReadyz(w http.ResponseWriter, _ *http.Request) {
	body, code := readiness(h.agg.Readiness())
	writeJSON(w, code, body)
}

func (h *Handler) serveComponents(w http.ResponseWriter, _ *http.Request) {
	rep := h.agg.Report()
	code := http.StatusOK
	if !rep.Overall.Healthy() {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, Components{
		Status:     rep.Overall,
		Message:    rep.Message,
		Ready:      rep.Ready,
		UptimeS:    seconds(rep.Uptime),
		Components: rep.Components,
	})
}

// MetricsDocument builds the /metrics body.
func (h *Handler) MetricsDocument() Metrics {
	rep := h.agg.Report()
	byStatus := map[string]int{}
	for _, c := range rep.Components {
		byStatus[c.Status.String()]++
	}
	ready, _ := readiness(h.agg.Readiness())
	return Metrics{
		Health: liveness(h.agg.Liveness()),
		Ready:  ready,
		Components: ComponentsSummary{
			Status:   rep.Overall,
			Message:  rep.Message,
			Total:    len(rep.Components),
			ByStatus: byStatus,
		},
		Sources: h.sources.Snapshots(),
	}
}

// serveMetricsJSON always answers 200: the verdicts are in the body, and a
// dashboard polling it should not treat an unready collector as a failed
// request.
func (h *Handler) serveMetricsJSON(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.MetricsDocument())
}

// gather builds a registry per scrape. A long-lived registry cannot
// unregister collectors that describe no metrics up front, and it keeps the
// label sets of removed metrics forever; sources come and go with partial
// reloads, so a fresh registry is the simpler correct choice at scrape rates.
func (h *Handler) gather() ([]*dto.MetricFamily, error) {
	reg := prometheus.NewRegistry()
	var errs []error
	if err := reg.Register(h.own); err != nil {
		errs = append(errs, fmt.Errorf("healthz status metrics: %w", err))
	}
	for _, n := range h.sources.Collectors() {
		if err := reg.Register(n.Collector); err != nil {
			errs = append(errs, fmt.Errorf("metrics of source %q: %w", n.Name, err))
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		errs = append(errs, err)
	}
	return mfs, errors.Join(errs...)
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		// Every body here is built from strings, numbers and RawMessages
		// that were already validated, so this is a programming error.
		code = http.StatusInternalServerError
		b, _ = json.Marshal(problem{Status: "error", Reason: "cannot encode response: " + err.Error()})
	}
	hdr := w.Header()
	hdr["Content-Type"] = jsonContentType
	hdr["Cache-Control"] = noStore
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// dedupLog passes promhttp's error messages to logf, dropping a message
// that repeats the previous one so a persistent problem logs once rather
// than once per scrape.
type dedupLog struct {
	mu   sync.Mutex
	last string
	logf func(format string, args ...any)
}

func (d *dedupLog) Println(v ...any) {
	msg := strings.TrimSpace(fmt.Sprintln(v...))
	d.mu.Lock()
	repeat := msg == d.last
	d.last = msg
	d.mu.Unlock()
	if !repeat {
		d.logf("%s", msg)
	}
}
