// Package pathnorm turns request paths into low-cardinality route templates
// for metric dimensions: the query string and fragment are dropped, and
// segments that are identifiers (all digits, UUIDs, long hex strings) become
// "{id}". "/v1/memories/8812?token=x" becomes "/v1/memories/{id}".
package pathnorm // import "github.com/redline-otel/redline/processor/redmetricsprocessor/internal/pathnorm"

// Placeholder replaces identifier segments.
const Placeholder = "{id}"

// MinHexLen is the shortest all-hex segment taken as an identifier; shorter
// ones ("cafe", "add") are more likely words.
const MinHexLen = 16

// Append appends the normalised form of path to dst and returns the extended
// slice. It does not allocate when dst has room.
func Append(dst []byte, path string) []byte {
	// Cut the query string and fragment.
	for i := 0; i < len(path); i++ {
		if path[i] == '?' || path[i] == '#' {
			path = path[:i]
			break
		}
	}
	start := 0
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		seg := path[start:i]
		if isID(seg) {
			dst = append(dst, Placeholder...)
		} else {
			dst = append(dst, seg...)
		}
		if i < len(path) {
			dst = append(dst, '/')
		}
		start = i + 1
	}
	return dst
}

// Normalize returns the normalised form of path.
func Normalize(path string) string {
	return string(Append(make([]byte, 0, len(path)), path))
}

func isID(seg string) bool {
	if seg == "" {
		return false
	}
	return isDigits(seg) || isUUID(seg) || (len(seg) >= MinHexLen && isHex(seg))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !hexDigit(s[i]) {
			return false
		}
	}
	return true
}

func hexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// isUUID matches the 8-4-4-4-12 form in either case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !hexDigit(s[i]) {
				return false
			}
		}
	}
	return true
}
