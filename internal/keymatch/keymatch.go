// Package keymatch matches attribute and header names the way people write
// them: case-insensitively, with '-', '_' and '.' treated as the same
// separator, so "X-Api-Key", "x_api_key" and "x.api.key" are one name.
// Lookups do not allocate for names up to 128 bytes.
package keymatch // import "github.com/redline-otel/redline/internal/keymatch"

// stackLimit is the longest name normalised on the stack; longer names take
// one allocation, which is fine for such rare keys.
const stackLimit = 128

// Set is an immutable set of normalised names. The zero value is empty.
type Set struct {
	names map[string]struct{}
	// maxLen is the longest normalised name, so longer keys are rejected
	// without normalising them.
	maxLen int
}

// NewSet builds a Set from names written in any form.
func NewSet(names ...string) Set {
	s := Set{names: make(map[string]struct{}, len(names))}
	for _, n := range names {
		norm := Normalize(n)
		s.names[norm] = struct{}{}
		if len(norm) > s.maxLen {
			s.maxLen = len(norm)
		}
	}
	return s
}

// Len is the number of distinct normalised names.
func (s Set) Len() int { return len(s.names) }

// Contains reports whether key, normalised, is in the set.
func (s Set) Contains(key string) bool {
	if len(key) > s.maxLen || len(s.names) == 0 {
		return false
	}
	if len(key) <= stackLimit {
		var buf [stackLimit]byte
		n := normalizeInto(buf[:], key)
		_, ok := s.names[string(buf[:n])] // no allocation: the compiler converts in place for lookups
		return ok
	}
	_, ok := s.names[Normalize(key)]
	return ok
}

// Normalize returns the canonical form of a name: ASCII letters lower-cased
// and '-', '.' turned into '_'. Other bytes are kept as they are.
func Normalize(key string) string {
	if isNormal(key) {
		return key
	}
	b := make([]byte, len(key))
	normalizeInto(b, key)
	return string(b)
}

// Equal reports whether two names are the same after normalisation.
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if normByte(a[i]) != normByte(b[i]) {
			return false
		}
	}
	return true
}

// HasPrefix reports whether key, normalised, starts with prefix, normalised.
func HasPrefix(key, prefix string) bool {
	return len(key) >= len(prefix) && Equal(key[:len(prefix)], prefix)
}

func normalizeInto(dst []byte, key string) int {
	for i := 0; i < len(key); i++ {
		dst[i] = normByte(key[i])
	}
	return len(key)
}

func isNormal(key string) bool {
	for i := 0; i < len(key); i++ {
		if normByte(key[i]) != key[i] {
			return false
		}
	}
	return true
}

func normByte(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + ('a' - 'A')
	case c == '-' || c == '.':
		return '_'
	default:
		return c
	}
}
