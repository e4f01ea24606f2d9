package pathnorm

import "strings"

// Target returns the path and query of a request target: s itself when it
// starts with "/" (an origin-form target such as "/a?b"), the part after the
// host when s is an absolute URL ("https://h:8080/a?b" gives "/a?b", and "/"
// when there is no path), and s unchanged otherwise. It returns a substring
// and does not allocate.
func Target(s string) string {
	if s == "" || s[0] == '/' {
		return s
	}
	i := strings.Index(s, "://")
	if i <= 0 || !isScheme(s[:i]) {
		return s
	}
	rest := s[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		if rest[j] == '/' {
			return rest[j:]
		}
		return "/"
	}
	return "/"
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, "+", "-" or ".".
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// SplitRequestLine splits an HTTP request line, "GET /a?b HTTP/1.1", into
// its method and target (substrings of line). The protocol is optional
// ("GET /a", as HTTP/0.9 wrote it); ok is false when line has no method and
// target.
func SplitRequestLine(line string) (method, target string, ok bool) {
	sp := strings.IndexByte(line, ' ')
	if sp <= 0 {
		return "", "", false
	}
	method, rest := line[:sp], line[sp+1:]
	if end := strings.IndexByte(rest, ' '); end >= 0 {
		rest = rest[:end]
	}
	if rest == "" {
		return "", "", false
	}
	return method, rest, true
}
