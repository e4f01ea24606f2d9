package keymatch

// Word splitting: one name however it is spelled. snake_case, kebab-case,
// camelCase, PascalCase, UPPER_CASE, dotted paths and words separated by
// spaces all give the same words, so clientSecret, client-secret,
// CLIENT_SECRET and client.secret are the one name client_secret.
//
// The rules, applied byte by byte with no allocation:
//
//   - Any ASCII byte other than a letter or a digit separates words.
//   - A lower-case letter followed by an upper-case one ends a word
//     (clientSecret: client, secret).
//   - In a run of capitals, the last one starts a new word when a lower-case
//     letter follows it (APIKey: api, key; HTTPAuthToken: http, auth, token),
//     except a lone plural "s" (IDs, APIs, userIDs: user, ids).
//   - A run of digits is a word of its own (oauth2Token: oauth, 2, token;
//     cvv2: cvv, 2).
//   - Bytes from 0x80 up (UTF-8 beyond ASCII) count as lower-case letters:
//     they are never split or folded, so a multi-byte character stays whole.
//
// The canonical form is the words, ASCII letters lower-cased, joined by '_'.

// Byte classes.
const (
	clsSep uint8 = iota
	clsDigit
	clsUpper
	clsLower
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 0x80:
			t[c] = clsLower
		case c >= 'A' && c <= 'Z':
			t[c] = clsUpper
		case c >= '0' && c <= '9':
			t[c] = clsDigit
		}
	}
	return t
}()

// startsWord reports whether key[i], a letter or digit, starts a new word
// (given that it is not the first one).
func startsWord(key string, i int) bool {
	if i == 0 {
		return true
	}
	prev, cur := byteClass[key[i-1]], byteClass[key[i]]
	switch {
	case prev == clsSep:
		return true
	case prev == clsDigit || cur == clsDigit:
		return prev != cur
	case cur != clsUpper:
		return false
	case prev == clsLower:
		return true
	}
	// Two capitals: the second starts a word when a lower-case letter
	// follows it (the "K" of "APIKey"), unless that letter is a plural "s"
	// ending the word (the "Ds" of "IDs").
	if i+1 >= len(key) || byteClass[key[i+1]] != clsLower {
		return false
	}
	return key[i+1] != 's' || i+2 < len(key) && byteClass[key[i+2]] == clsLower
}

// AppendCanonical appends the canonical form of key to dst: its words, ASCII
// letters lower-cased, joined by '_'. A key with no letters or digits adds
// nothing.
func AppendCanonical(dst []byte, key string) []byte {
	start := len(dst)
	for i := 0; i < len(key); i++ {
		c := key[i]
		cl := byteClass[c]
		if cl == clsSep {
			continue
		}
		if len(dst) > start && startsWord(key, i) {
			dst = append(dst, '_')
		}
		if cl == clsUpper {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// Canonical returns the canonical form of key (see AppendCanonical).
func Canonical(key string) string {
	var buf [stackLimit]byte
	return string(AppendCanonical(buf[:0], key))
}

// CanonicalLen bounds the length of key's canonical form: every byte, and a
// separator before each but the first.
func CanonicalLen(key string) int { return 2 * len(key) }

// LastWord returns the bounds of the last word of key made of letters (runs
// of digits are skipped), as AppendCanonical splits it: key[start:end].
// It returns 0, 0 when key has no letter. It reads only the bytes of that word
// and what follows it, so it is a cheap first test of a key.
func LastWord(key string) (start, end int) {
	end = len(key)
	for end > 0 && byteClass[key[end-1]] < clsUpper {
		end--
	}
	if end == 0 {
		return 0, 0
	}
	start = end - 1
	// No word starts inside a run of lower-case letters: the common case,
	// walked with one table load per byte.
	if byteClass[key[start]] == clsLower {
		for start > 0 && byteClass[key[start-1]] == clsLower {
			start--
		}
	}
	for start > 0 && byteClass[key[start-1]] >= clsUpper && !startsWord(key, start) {
		start--
	}
	return start, end
}

// FoldByte lower-cases an ASCII letter, as the canonical form does.
func FoldByte(c byte) byte {
	if byteClass[c] == clsUpper {
		return c + ('a' - 'A')
	}
	return c
}
