//go:generate mdatagen metadata.yaml

// Package healthzextension serves liveness (/healthz), readiness (/readyz),
// per-component health (/health/components) and the live state of redline's
// components as JSON (/metrics) and Prometheus text (/metrics/prometheus).
//
// Readiness and liveness follow the collector's own signals: component status
// events (extensioncapabilities.ComponentStatusWatcher) and pipeline start and stop notifications
// (extensioncapabilities.PipelineWatcher). Other components register their
// live state through internal/snapshot, which finds this extension among the
// host's extensions.
package healthzextension // import "github.com/redline-otel/redline/extension/healthzextension"
