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
// slice. It does not allocate when dst has room. It runs once per request
// record, so it is one pass over the bytes with a class table: each segment's
// classes are ANDed as it is read, only segments that could be identifiers
// are examined further, and the text between identifiers is copied in one
// append.
func Append(dst []byte, path string) []byte {
	copied, start := 0, 0
	seg := uint8(classAll) // AND of the classes of the current segment's bytes
	for i := 0; i < len(path); i++ {
		c := charClass[path[i]]
		if c&classEnd == 0 {
			seg &= c
			continue
		}
		if seg != 0 && i > start && isIDClass(path[start:i], seg) {
			dst = append(dst, path[copied:start]...)
			dst = append(dst, Placeholder...)
			copied = i
		}
		if c&classSlash == 0 { // query or fragment: the path ends here
			return append(dst, path[copied:i]...)
		}
		start, seg = i+1, uint8(classAll)
	}
	if seg != 0 && len(path) > start && isIDClass(path[start:], seg) {
		dst = append(dst, path[copied:start]...)
		return append(dst, Placeholder...)
	}
	return append(dst, path[copied:]...)
}

// Byte classes; a segment's class is the AND over its bytes.
const (
	classDigit uint8 = 1 << iota // 0-9
	classHex                     // 0-9 a-f A-F
	classUUID                    // hex or '-'
	classEnd                     // '/', '?', '#': ends a segment
	classSlash                   // '/'
	classAll   = classDigit | classHex | classUUID
)

var charClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = classDigit | classHex | classUUID
	}
	for _, c := range "abcdefABCDEF" {
		t[c] = classHex | classUUID
	}
	t['-'] = classUUID
	t['/'] = classEnd | classSlash
	t['?'] = classEnd
	t['#'] = classEnd
	return t
}()

// isIDClass is isID for a non-empty segment whose class is known.
func isIDClass(seg string, class uint8) bool {
	switch {
	case class&classDigit != 0:
		return true
	case class&classHex != 0:
		return len(seg) >= MinHexLen
	default:
		return isUUID(seg)
	}
}

// Normalize returns the normalised form of path.
func Normalize(path string) string {
	return string(Append(make([]byte, 0, len(path)), path))
}

func isID(seg string) bool {
	// Every identifier form starts with a hex digit: most words fail here.
	if seg == "" || !hexDigit(seg[0]) {
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

func hexDigit(c byte) bool { return hexDigits[c] }

var hexDigits = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEF" {
		t[c] = true
	}
	return t
}()

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
