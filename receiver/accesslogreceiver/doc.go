//go:generate mdatagen metadata.yaml

// Package accesslogreceiver tails JSON-lines access logs (one JSON object per
// line, daily-rolling files included) and turns each line into an OTLP log
// record. The file following lives in internal/tail, the line mapping in
// internal/parser; this package wires them to the collector: delivery with
// retries, checkpoints in a storage extension, status, and telemetry.
package accesslogreceiver // import "github.com/redline-otel/redline/receiver/accesslogreceiver"
