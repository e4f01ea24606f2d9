// Package masker holds the masking rules of the mask processor as pure
// string functions: key classification, identifier truncation, secret
// replacement and hashing, and a single-pass free-text scanner for URL query
// secrets and PII. It knows nothing of the collector or of pdata, so it can be
// tested, fuzzed and benchmarked on its own.
package masker // import "github.com/redline-otel/redline/processor/maskprocessor/internal/masker"

// Rule identifies the rule that masked a value. Built-in rules come first;
// custom patterns follow, numbered from RuleCustom0.
type Rule uint8

const (
	RuleSecret Rule = iota
	RuleIdentifier
	RuleHeader
	RuleQuery
	RuleEmail
	RulePhone
	RuleCard
	RuleJWT
	RuleBearer
	RuleAWSAccessKey
	RulePrivateKey
	RuleIPv4
	RuleIPv6
	// RuleCustom0 is the first custom pattern; custom pattern i is RuleCustom0+i.
	RuleCustom0
)

// MaxCustomPatterns bounds the custom patterns so that counters and PII type
// sets fit fixed-size arrays and a 64-bit mask, keeping the hot path free of
// allocations.
const MaxCustomPatterns = 64 - int(RuleCustom0)

// MaxRules is the size of per-rule arrays.
const MaxRules = int(RuleCustom0) + MaxCustomPatterns

var builtinNames = [RuleCustom0]string{
	RuleSecret:       "secret",
	RuleIdentifier:   "identifier",
	RuleHeader:       "header",
	RuleQuery:        "query",
	RuleEmail:        "email",
	RulePhone:        "phone",
	RuleCard:         "card",
	RuleJWT:          "jwt",
	RuleBearer:       "bearer",
	RuleAWSAccessKey: "aws_access_key",
	RulePrivateKey:   "private_key",
	RuleIPv4:         "ipv4",
	RuleIPv6:         "ipv6",
}

var builtinLabels = [RuleCustom0]string{
	RuleEmail:        "[EMAIL]",
	RulePhone:        "[PHONE]",
	RuleCard:         "[CARD]",
	RuleJWT:          "[JWT]",
	RuleBearer:       "[TOKEN]",
	RuleAWSAccessKey: "[AWS_KEY]",
	RulePrivateKey:   "[PRIVATE_KEY]",
	RuleIPv4:         "[IPV4]",
	RuleIPv6:         "[IPV6]",
}

// PIITypes lists the names accepted in Settings.PII.Types, in rule order.
var PIITypes = []string{"email", "phone", "card", "jwt", "bearer", "aws_access_key", "private_key", "ipv4", "ipv6"}

// DefaultPIITypes are the PII types scanned when none are configured: all but
// IP addresses, which are too often wanted in telemetry to hide by default.
var DefaultPIITypes = []string{"email", "phone", "card", "jwt", "bearer", "aws_access_key", "private_key"}

// PIIRuleByName maps a PII type name to its rule.
func PIIRuleByName(name string) (Rule, bool) {
	for r := RuleEmail; r <= RuleIPv6; r++ {
		if builtinNames[r] == name {
			return r, true
		}
	}
	return 0, false
}

// IsBuiltinRuleName reports whether name is the name of a built-in rule, which
// custom patterns may not reuse.
func IsBuiltinRuleName(name string) bool {
	for _, n := range builtinNames {
		if n == name {
			return true
		}
	}
	return false
}

// IsPII reports whether a match of r counts as detected PII for annotation:
// the free-text detectors and custom patterns, not key-based rules.
func (r Rule) IsPII() bool { return r >= RuleEmail }

// Stats accumulates what masking did. The zero value is ready to use; it is a
// plain value so callers keep it on the stack.
type Stats struct {
	// Masked counts masked values (or matches, for free text) per rule.
	Masked [MaxRules]uint32
	// PII has bit r set when rule r, a PII rule, matched.
	PII uint64
	// KeyPII is the personal data named by the keys (card_number, ssn)
	// whose values were masked by name.
	KeyPII KeyPII
	// Total is the sum of Masked.
	Total uint32
}

func (s *Stats) add(r Rule) {
	s.Masked[r]++
	s.Total++
	if r.IsPII() {
		s.PII |= 1 << r
	}
}

func (s *Stats) addN(r Rule, n uint32) {
	if n == 0 {
		return
	}
	s.Masked[r] += n
	s.Total += n
	if r.IsPII() {
		s.PII |= 1 << r
	}
}

// Add records one masked value for r. Adapters use it for the key-based rules
// they apply themselves.
func (s *Stats) Add(r Rule) { s.add(r) }

// AddKeyPII records personal data named by a key whose value was masked.
func (s *Stats) AddKeyPII(p KeyPII) { s.KeyPII |= p }

// HasPII reports whether PII was found, by a detector or by a key's name.
func (s *Stats) HasPII() bool { return s.PII != 0 || s.KeyPII != 0 }

// Merge adds o's counts to s.
func (s *Stats) Merge(o *Stats) {
	s.KeyPII |= o.KeyPII
	if o.Total == 0 {
		return
	}
	for i, n := range o.Masked {
		s.Masked[i] += n
	}
	s.Total += o.Total
	s.PII |= o.PII
}
