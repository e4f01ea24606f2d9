package masker

// The default vocabulary: the names by which a key's value is known to be a
// secret, a payment card or a social security number, whatever the
// spelling. Names are compared as words (keymatch.AppendCanonical), so each
// phrase below stands for every spelling of it: api_key, apiKey, API-KEY,
// ApiKey and api.key are one name. This file is the one place these words are
// listed; the README's vocabulary table is checked against it.
//
// How a key matches (digit-only words, such as the 2 of cvv2, are ignored):
//
//  1. Its words end with a phrase of SecretVocabulary: x_auth_token,
//     userPassword, aws_secret_access_key. A phrase marked Plural also
//     matches with an "s" (credentials, api_keys; not tokens).
//  2. Or they end with such a phrase followed by up to two SecretSuffixes,
//     words that keep it a secret: password_hash, private_key_pem,
//     secret_key_base, password_confirmation.
//  3. A phrase followed by IdentifierSuffixes is an identifier, truncated
//     rather than starred: api_key_id, token_id, private_key_id.
//  4. Not when any word before the phrase is one of FlagWords, which name a
//     switch or a count (has_password, isSecret, withCredentials,
//     access_control_allow_credentials), nor, for the bare word token, when
//     the word right before it is one of NotCredentialTokens (next_token,
//     page_token, eos_token, input_token).
//
// So token_count, max_tokens, tokenizer, author, keyboard, secretary and
// password_last_changed_at match nothing: their last word is no phrase.

// VocabularyEntry is one secret phrase.
type VocabularyEntry struct {
	// Phrase is the canonical words, joined by '_'.
	Phrase string
	// Plural: the phrase with an "s" on its last word matches too.
	Plural bool
	// PII is the personal-data type a match reveals, for annotation
	// ("card", "ssn"); empty for credentials.
	PII string
}

// Personal-data types of vocabulary entries, as annotation lists them.
const (
	vocabPIICard = "card"
	vocabPIISSN  = "ssn"
)

// SecretVocabulary lists the secret phrases.
var SecretVocabulary = []VocabularyEntry{
	// Secrets and passwords: client_secret, webhook_secret, signingSecret,
	// consumer_secret, JWT_SECRET, totp_secret...
	{Phrase: "secret", Plural: true},
	{Phrase: "password", Plural: true},
	{Phrase: "passwd", Plural: true},
	{Phrase: "pwd"},
	{Phrase: "passphrase", Plural: true},
	{Phrase: "passcode", Plural: true},
	{Phrase: "otp"},
	// Tokens: token alone (github_token, x-auth-token), and the credential
	// kinds also in the plural.
	{Phrase: "token"},
	{Phrase: "access_token", Plural: true},
	{Phrase: "refresh_token", Plural: true},
	{Phrase: "id_token", Plural: true},
	{Phrase: "auth_token", Plural: true},
	{Phrase: "session_token", Plural: true},
	{Phrase: "bearer_token", Plural: true},
	{Phrase: "api_token", Plural: true},
	{Phrase: "csrf_token", Plural: true},
	{Phrase: "xsrf_token", Plural: true},
	{Phrase: "jwt"},
	// Keys: only named kinds; key alone (cache_key, partition_key,
	// public_key) is no secret.
	{Phrase: "api_key", Plural: true},
	{Phrase: "secret_key", Plural: true},
	{Phrase: "private_key", Plural: true},
	{Phrase: "signing_key", Plural: true},
	{Phrase: "encryption_key", Plural: true},
	{Phrase: "master_key", Plural: true},
	{Phrase: "session_key", Plural: true},
	{Phrase: "account_key", Plural: true},
	{Phrase: "hmac_key", Plural: true},
	{Phrase: "license_key", Plural: true},
	{Phrase: "secret_access_key", Plural: true},
	// The same written as one word (APIKEY, x-apikey, authtoken).
	{Phrase: "apikey", Plural: true},
	{Phrase: "authtoken"},
	{Phrase: "accesstoken"},
	{Phrase: "privatekey"},
	{Phrase: "sessionid"},
	{Phrase: "jsessionid"},
	{Phrase: "phpsessid"},
	// Credentials and signatures.
	{Phrase: "credential", Plural: true},
	{Phrase: "creds"},
	{Phrase: "signature", Plural: true},
	// Sessions: a session id is a bearer credential.
	{Phrase: "session_id", Plural: true},
	// Connection strings hold passwords in many formats.
	{Phrase: "connection_string", Plural: true},
	{Phrase: "dsn", Plural: true},
	// Payment cards and social security numbers.
	{Phrase: "card_number", Plural: true, PII: vocabPIICard},
	{Phrase: "credit_card", Plural: true, PII: vocabPIICard},
	{Phrase: "pan", PII: vocabPIICard},
	{Phrase: "cvv", PII: vocabPIICard},
	{Phrase: "cvc", PII: vocabPIICard},
	{Phrase: "ssn", Plural: true, PII: vocabPIISSN},
	{Phrase: "social_security_number", Plural: true, PII: vocabPIISSN},
}

// SecretSuffixes may follow a secret phrase (at most two of them) and keep it
// a secret: the value is still the secret, or derived from it.
var SecretSuffixes = []string{
	"value", "hash", "hashed", "salt", "json", "pem", "base", "hex", "raw", "plain", "plaintext",
	"encoded", "encrypted", "confirm", "confirmation", "old", "new", "current", "previous", "prev",
}

// IdentifierSuffixes after a secret phrase make the key an identifier of the
// secret rather than the secret.
var IdentifierSuffixes = []string{"id", "ids"}

// FlagWords before a phrase make the key a switch or a count about the
// secret, not the secret.
var FlagWords = []string{
	"has", "is", "with", "without", "allow", "allows", "allowed", "use", "uses", "require", "requires",
	"required", "enable", "enabled", "disable", "disabled", "need", "needs", "accept", "accepts",
	"show", "hide", "no", "num", "max", "min", "total", "count", "missing",
}

// NotCredentialTokens before the bare word token name a token that is no
// credential: a pagination cursor or a language model's token.
var NotCredentialTokens = []string{
	"next", "page", "continuation", "pagination", "cursor", "sync", "resume",
	"start", "end", "stop", "first", "last", "eos", "bos", "pad", "unk", "sep", "cls", "mask", "special",
	"input", "output", "prompt", "completion", "cached", "reasoning", "generated", "per",
}

// DefaultIdentifierKeys are the seed's identifier names (Aster's logging
// guide), matched as whole names in any spelling.
var DefaultIdentifierKeys = []string{"root_pubkey", "endpoint_id", "node_id", "contract_id", "nonce", "peer"}

// SeedSecretKeys are the secret names of the seed (Aster's logging guide)
// and of redline's first release, which the vocabulary covers; tests check
// that it does.
var SeedSecretKeys = []string{
	"secret_key", "private_key", "signing_key", "signature", "credential_json", "password",
	"passwd", "token", "access_token", "refresh_token", "api_key", "client_secret",
}
