package masker

// Default rule contents. The component's default configuration is built from
// these, so the tests of this package and of the adapter agree. The default
// secret and identifier names are the vocabulary (vocabulary.go), switched
// on by Settings.DefaultKeys.
var (
	DefaultHeaderMapKeys = []string{
		"header", "headers", "request_headers", "response_headers", "http.request.header", "http.response.header",
	}
	DefaultHeaderKeyPrefixes = []string{"http.request.header.", "http.response.header."}
	DefaultHeaderNames       = []string{"Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Proxy-Authorization"}
)

// Default identifier truncation: abc1234...5678, and "***" below 22
// characters, where the 11 kept characters would be half the value or more.
const (
	DefaultKeepPrefix = 7
	DefaultKeepSuffix = 4
	DefaultMinLength  = 22
	DefaultHashPrefix = "hmac:"
	DefaultHashLength = 16
)

// DefaultSettings returns the default rules with redaction (no hashing).
func DefaultSettings() Settings {
	return Settings{
		DefaultKeys: true,
		Secrets:     KeyRule{Enabled: true},
		Identifiers: IdentifierRule{
			Enabled:    true,
			KeepPrefix: DefaultKeepPrefix, KeepSuffix: DefaultKeepSuffix, MinLength: DefaultMinLength,
		},
		Headers: HeaderRule{
			Enabled: true, MapKeys: DefaultHeaderMapKeys, KeyPrefixes: DefaultHeaderKeyPrefixes,
			Names: DefaultHeaderNames, Anywhere: true,
		},
		Query: TextRule{Enabled: true},
		PII:   PIIRule{Enabled: true, Types: DefaultPIITypes, Labels: true},
		Hash:  HashSettings{Prefix: DefaultHashPrefix, Length: DefaultHashLength},
	}
}
