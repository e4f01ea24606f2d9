// Package payloadcapture is redline's payload capture exporter: log records
// that carry the bytes of an HTTP request and its response are kept on disk
// as <directory>/<YYYY-MM-DD>/<request-id>/{req.bin,resp.bin,meta.json} for
// diagnosis and replay, bounded by age, then by size. It is off unless
// `enabled` is set, because payloads can hold personal data.
//
// The disk work lives in internal/capture; this package maps records to
// captures and reports telemetry and component status.
//
//go:generate mdatagen metadata.yaml
package payloadcapture // import "github.com/redline-otel/redline/exporter/payloadcapture"
