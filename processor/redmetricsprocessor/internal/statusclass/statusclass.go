// Package statusclass sorts a request's status into one of five classes:
// 2xx, 4xx, 5xx, 503-busy and client-disconnect. Busy (load shedding) and
// client disconnects are classes of their own so that a healthy service under
// load, or impatient callers, do not look like failures: the error rate is
// (4xx + 5xx) / total.
package statusclass // import "github.com/redline-otel/redline/processor/redmetricsprocessor/internal/statusclass"

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Class is a status class. The zero value is Unknown: not a recognised status.
type Class uint8

const (
	Unknown Class = iota
	Success
	ClientError
	ServerError
	Busy
	Disconnect
)

// Count is the number of real classes; arrays indexed by Class have Count+1
// entries so that Unknown can be index 0.
const Count = 5

// All lists the real classes in display order.
var All = [Count]Class{Success, ClientError, ServerError, Busy, Disconnect}

var names = [...]string{
	Unknown:     "",
	Success:     "2xx",
	ClientError: "4xx",
	ServerError: "5xx",
	Busy:        "503-busy",
	Disconnect:  "client-disconnect",
}

// String is the class's wire name, such as "503-busy".
func (c Class) String() string {
	if int(c) < len(names) {
		return names[c]
	}
	return ""
}

// IsError reports whether the class counts as an error: 4xx and 5xx only.
func (c Class) IsError() bool { return c == ClientError || c == ServerError }

// Parse returns the class named s ("2xx", "503-busy", ...), matched
// case-insensitively.
func Parse(s string) (Class, bool) {
	// Exact names first: the processor reads back the class it stamped on
	// every record it sees again.
	for c := Success; c <= Disconnect; c++ {
		if s == names[c] {
			return c, true
		}
	}
	for c := Success; c <= Disconnect; c++ {
		if strings.EqualFold(s, names[c]) {
			return c, true
		}
	}
	return Unknown, false
}

// Kind tells which protocol a status value came from; the operation
// dimension depends on it (RPC method versus HTTP method and route).
type Kind uint8

const (
	KindNone    Kind = iota
	KindHTTP         // a numeric HTTP status
	KindRPC          // a gRPC/Aster status name or number
	KindLiteral      // a class name given literally ("503-busy", "client-disconnect", "5xx")
)

// rpcCodes are the gRPC status codes by number; Aster uses the same names,
// and Connect the same names in lower case (but see rpcAliases).
var rpcCodes = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
}

// rpcAliases are other spellings of RPC status names: Connect writes
// "canceled" where gRPC writes CANCELLED. An alias always has its name's
// class, overrides included.
var rpcAliases = map[string]string{"CANCELED": "CANCELLED"}

// DefaultRPCClasses is the default mapping of RPC status names to classes.
func DefaultRPCClasses() map[string]Class {
	return map[string]Class{
		"OK":                  Success,
		"CANCELLED":           Disconnect,
		"RESOURCE_EXHAUSTED":  Busy,
		"INVALID_ARGUMENT":    ClientError,
		"NOT_FOUND":           ClientError,
		"ALREADY_EXISTS":      ClientError,
		"PERMISSION_DENIED":   ClientError,
		"UNAUTHENTICATED":     ClientError,
		"FAILED_PRECONDITION": ClientError,
		"OUT_OF_RANGE":        ClientError,
		"ABORTED":             ClientError,
		"UNKNOWN":             ServerError,
		"DEADLINE_EXCEEDED":   ServerError,
		"UNIMPLEMENTED":       ServerError,
		"INTERNAL":            ServerError,
		"UNAVAILABLE":         ServerError,
		"DATA_LOSS":           ServerError,
	}
}

// RPCCodeNames lists the known RPC status names, for validation messages.
func RPCCodeNames() []string {
	out := append([]string(nil), rpcCodes[:]...)
	sort.Strings(out)
	return out
}

// Config customises a Classifier.
type Config struct {
	// BusyStatusCodes are HTTP codes classed 503-busy (default 503).
	BusyStatusCodes []int
	// DisconnectStatusCodes are HTTP codes classed client-disconnect (default 499).
	DisconnectStatusCodes []int
	// RPCClasses overrides the class of RPC status names (any case), such
	// as {"UNAVAILABLE": "503-busy"}.
	RPCClasses map[string]string
}

// Classifier maps status values to classes. It is immutable and safe for
// concurrent use; no method allocates.
type Classifier struct {
	http [600]Class
	// rpcByNum is indexed by gRPC code number.
	rpcByNum [len(rpcCodes)]Class
	// rpcByName is keyed by the upper-case name.
	rpcByName map[string]Class
	maxName   int
}

// New builds a Classifier. nil slices in cfg mean the defaults; empty,
// non-nil slices mean none.
func New(cfg Config) (*Classifier, error) {
	c := &Classifier{rpcByName: DefaultRPCClasses()}
	for code := 100; code < 600; code++ {
		switch {
		case code < 400:
			c.http[code] = Success // 1xx and 3xx are not failures
		case code < 500:
			c.http[code] = ClientError
		default:
			c.http[code] = ServerError
		}
	}
	busy := cfg.BusyStatusCodes
	if busy == nil {
		busy = []int{503}
	}
	disc := cfg.DisconnectStatusCodes
	if disc == nil {
		disc = []int{499}
	}
	for _, code := range busy {
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("busy status code %d is not an HTTP status (100-599)", code)
		}
		c.http[code] = Busy
	}
	for _, code := range disc {
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("disconnect status code %d is not an HTTP status (100-599)", code)
		}
		c.http[code] = Disconnect
	}
	for name, className := range cfg.RPCClasses {
		up := strings.ToUpper(strings.TrimSpace(name))
		if canonical, ok := rpcAliases[up]; ok {
			up = canonical
		}
		if _, ok := c.rpcByName[up]; !ok {
			return nil, fmt.Errorf("unknown RPC status %q (known: %s)", name, strings.Join(RPCCodeNames(), ", "))
		}
		cl, ok := Parse(className)
		if !ok {
			return nil, fmt.Errorf("RPC status %q: unknown class %q (use 2xx, 4xx, 5xx, 503-busy or client-disconnect)", name, className)
		}
		c.rpcByName[up] = cl
	}
	for num, name := range rpcCodes {
		c.rpcByNum[num] = c.rpcByName[name]
	}
	for alias, name := range rpcAliases {
		c.rpcByName[alias] = c.rpcByName[name]
	}
	for name := range c.rpcByName {
		c.maxName = max(c.maxName, len(name))
	}
	return c, nil
}

// HTTPCode classifies a numeric HTTP status. Values outside 100-599 are not
// statuses.
func (c *Classifier) HTTPCode(code int64) Class {
	if code < 100 || code >= 600 {
		return Unknown
	}
	return c.http[code]
}

// RPCCode classifies a numeric gRPC status code (0-16).
func (c *Classifier) RPCCode(code int64) Class {
	if code < 0 || code >= int64(len(c.rpcByNum)) {
		return Unknown
	}
	return c.rpcByNum[code]
}

// String classifies a status written as text: a class name ("503-busy",
// "client-disconnect", "5xx"), an RPC status name in any case ("NOT_FOUND",
// "not_found"), or a number. numbersAreRPC says whether a number is a gRPC
// code (as in rpc.grpc.status_code) or an HTTP status.
func (c *Classifier) String(s string, numbersAreRPC bool) (Class, Kind) {
	if s == "" {
		return Unknown, KindNone
	}
	if n := len(s); n == 3 || n == 8 || n == 17 { // "5xx", "503-busy", "client-disconnect"
		if cl, ok := Parse(s); ok {
			return cl, KindLiteral
		}
	}
	if s[0] >= '0' && s[0] <= '9' {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Unknown, KindNone
		}
		if numbersAreRPC {
			if cl := c.RPCCode(n); cl != Unknown {
				return cl, KindRPC
			}
			return Unknown, KindNone
		}
		if cl := c.HTTPCode(n); cl != Unknown {
			return cl, KindHTTP
		}
		return Unknown, KindNone
	}
	if len(s) > c.maxName {
		return Unknown, KindNone
	}
	// Upper-case on the stack: map lookups with string(buf) do not allocate.
	var buf [32]byte
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 'a' && b <= 'z' {
			b -= 'a' - 'A'
		}
		buf[i] = b
	}
	if cl, ok := c.rpcByName[string(buf[:len(s)])]; ok {
		return cl, KindRPC
	}
	return Unknown, KindNone
}
