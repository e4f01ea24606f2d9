// Package redmetricsconnector publishes the redmetrics connector under the
// NewFactory name that ocb's generated components.go calls. The connector
// itself (config, aggregation, flushing) lives in the parent package
// redmetricsprocessor, which shares its aggregation core with the redmetrics
// processor; this package owns the connector's metadata.yaml, because
// mdatagen generates one component status per directory.
package redmetricsconnector // import "github.com/redline-otel/redline/processor/redmetricsprocessor/redmetricsconnector"

//go:generate mdatagen metadata.yaml
