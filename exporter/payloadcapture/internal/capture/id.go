package capture // import "github.com/redline-otel/redline/exporter/payloadcapture/internal/capture"

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
)

// MaxRequestIDLen is the longest request id used as a folder name, as in the
// seed's X-Request-ID rules.
const MaxRequestIDLen = 128

// maxOriginalIDLen bounds how much of a rejected id is kept in meta.json, so
// a hostile multi-megabyte header cannot bloat every capture.
const maxOriginalIDLen = 512

// ValidRequestID reports whether id can name a capture folder: 1 to 128
// characters of ASCII letters, digits and "-_:.", and not "." or "..", which
// name directories rather than entries. No such id can contain a path
// separator, so a valid id always names one entry inside its date folder.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen || id == "." || id == ".." {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return false
		}
	}
	return true
}

func idByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == '-' || c == '_' || c == ':' || c == '.':
		return true
	default:
		return false
	}
}

// NewRequestID returns a fresh 16-hex-digit id, the shape aistack assigns.
func NewRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// RequestID is the outcome of resolving a record's request id.
type RequestID struct {
	// ID is always valid (ValidRequestID).
	ID string
	// Generated is true when ID was made up because the record had no id or
	// an invalid one.
	Generated bool
	// Rejected is true when the record had an id and it was invalid.
	Rejected bool
	// Original is the rejected id, escaped to printable ASCII with Go/JSON-like
	// escapes (\x00, \u00e9, \\) and cut to 512 bytes of input; empty when the
	// record had no id or a valid one.
	Original string
	// OriginalTruncated tells that Original covers only the first 512 bytes.
	OriginalTruncated bool
}

// ResolveRequestID keeps raw when it is a valid id and replaces it with a
// fresh one otherwise. present distinguishes a missing id from an empty one,
// which is kept (as "") in Original so the record's oddity is visible.
func ResolveRequestID(raw string, present bool) RequestID {
	if present && ValidRequestID(raw) {
		return RequestID{ID: raw}
	}
	r := RequestID{ID: NewRequestID(), Generated: true}
	if present {
		r.Rejected = true
		if len(raw) > maxOriginalIDLen {
			raw = raw[:maxOriginalIDLen]
			r.OriginalTruncated = true
		}
		r.Original = EscapeASCII(raw)
	}
	return r
}

// EscapeASCII renders s as printable ASCII without losing information:
// strconv.QuoteToASCII without the surrounding quotes, so NUL becomes \x00,
// invalid UTF-8 bytes \xff and non-ASCII runes \u00e9.
func EscapeASCII(s string) string {
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}
