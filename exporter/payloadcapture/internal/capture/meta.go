package capture // import "github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"

import (
	"time"

	"github.com/redline-otel/redline/internal/keymatch"
)

// Redacted replaces the values of scrubbed headers and attributes.
const Redacted = "***"

// DefaultScrubbedHeaders are always scrubbed, whatever the configuration adds:
// the seed's list plus Set-Cookie, which carries session tokens back.
var DefaultScrubbedHeaders = []string{"Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Proxy-Authorization"}

// Meta is the content of meta.json. Field names are the file's JSON keys.
type Meta struct {
	RequestID string `json:"request_id"`
	// RequestIDGenerated is set when the record had no valid id.
	RequestIDGenerated bool `json:"request_id_generated,omitempty"`
	// OriginalRequestID is the rejected id, escaped (see EscapeASCII); a
	// pointer so that a present but empty id shows as "".
	OriginalRequestID          *string   `json:"original_request_id,omitempty"`
	OriginalRequestIDTruncated bool      `json:"original_request_id_truncated,omitempty"`
	Time                       time.Time `json:"time"`
	Service                    string    `json:"service,omitempty"`
	Method                     string    `json:"method,omitempty"`
	Path                       string    `json:"path,omitempty"`
	Category                   string    `json:"category,omitempty"`
	// Status is a number for HTTP and may be a string for RPC codes.
	Status            any                 `json:"status,omitempty"`
	DurationMS        *float64            `json:"duration_ms,omitempty"`
	TraceID           string              `json:"trace_id,omitempty"`
	SpanID            string              `json:"span_id,omitempty"`
	RequestHeaders    map[string][]string `json:"request_headers,omitempty"`
	ResponseHeaders   map[string][]string `json:"response_headers,omitempty"`
	RequestBodyBytes  int                 `json:"request_body_bytes"`
	ResponseBodyBytes int                 `json:"response_body_bytes"`
	// Attributes are the record's other attributes (bodies and headers left out).
	Attributes map[string]any `json:"attributes,omitempty"`
	// Notes explain anything odd about the capture, such as a body that was
	// meant to be base64 but was not.
	Notes []string `json:"notes,omitempty"`
}

// SetRequestID copies a resolved id into the meta.
func (m *Meta) SetRequestID(r RequestID) {
	m.RequestID = r.ID
	m.RequestIDGenerated = r.Generated
	if r.Rejected {
		orig := r.Original
		m.OriginalRequestID = &orig
	}
	m.OriginalRequestIDTruncated = r.OriginalTruncated
}

// Scrubber decides which header (and attribute) names hold secrets.
type Scrubber struct {
	names keymatch.Set
}

// NewScrubber scrubs DefaultScrubbedHeaders plus extra. Names match in any
// case and with '-', '_' and '.' alike.
func NewScrubber(extra ...string) Scrubber {
	all := make([]string, 0, len(DefaultScrubbedHeaders)+len(extra))
	all = append(all, DefaultScrubbedHeaders...)
	all = append(all, extra...)
	return Scrubber{names: keymatch.NewSet(all...)}
}

// Sensitive reports whether name is scrubbed.
func (s Scrubber) Sensitive(name string) bool { return s.names.Contains(name) }

// ScrubHeaders replaces the values of sensitive headers in h with one Redacted
// value each, in place.
func (s Scrubber) ScrubHeaders(h map[string][]string) {
	for name := range h {
		if s.Sensitive(name) {
			h[name] = []string{Redacted}
		}
	}
}
