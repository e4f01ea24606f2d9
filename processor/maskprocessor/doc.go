//go:generate mdatagen metadata.yaml

// Package maskprocessor masks secrets, identifiers, sensitive HTTP headers,
// query-string secrets and PII in logs, traces and metrics. The rules live in
// internal/masker; this package walks pdata and records telemetry.
package maskprocessor // import "github.com/redline-otel/redline/processor/maskprocessor"
