//go:generate mdatagen metadata.yaml

// Package ratelimitprocessor limits the rate of logs, spans and metric data
// points with named token buckets (global, per service, per method, per peer
// or any attribute), kept in process or shared between replicas through
// Redis. Over-limit records are dropped, or whole requests are refused with
// RESOURCE_EXHAUSTED and a retry hint (HTTP 429 with Retry-After through the
// OTLP receiver).
package ratelimitprocessor // import "github.com/redline-otel/redline/processor/ratelimitprocessor"
