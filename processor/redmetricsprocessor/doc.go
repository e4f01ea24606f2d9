// Package redmetricsprocessor derives RED metrics (rate, errors, duration)
// from request records (access-log lines and server spans), read by the
// conventions of internal/convention, and the usage and cost of model calls.
// It has two faces over one aggregation core (internal/aggregate):
//
//   - the processor "redmetrics" (logs, traces) passes data through, stamps
//     each request record with its status_class attribute and keeps
//     in-process aggregates that the healthz extension serves as JSON and
//     Prometheus text;
//   - the connector "redmetrics" (logs → metrics, traces → metrics), built by
//     NewConnectorFactory and published for ocb by the redmetricsconnector
//     sub-package, emits red.requests and red.duration on a flush interval.
//
// mdatagen generates one component status per metadata.yaml, and generates it
// into <dir>/internal/metadata, so the processor's metadata.yaml lives here
// and the connector's in redmetricsconnector/. The connector's type and
// stability constants used here (connector.go) are checked against the
// generated ones by a test in redmetricsconnector.
package redmetricsprocessor // import "github.com/redline-otel/redline/processor/redmetricsprocessor"

//go:generate mdatagen metadata.yaml
