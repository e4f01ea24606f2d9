// Package limiter decides whether units of telemetry (records, requests or
// bytes) may pass a set of named token buckets. It knows nothing of the
// collector: callers describe each unit's cost and the bucket keys it falls
// under in a Batch, and a backend (Local, Redis, or Failover around Redis)
// fills in one Result per unit.
//
// A unit passes only when every bucket it falls under holds enough tokens; it
// then takes its cost from all of them at once. A denial by one bucket takes
// nothing from any other, so a noisy peer cannot drain the per-service bucket
// with records the peer bucket refuses.
//
// A cost above a bucket's burst could never be covered, so such a unit (or
// AllOrNothing batch) needs that bucket full instead, and then takes its whole
// cost: the bucket goes into debt (negative tokens) and refills at its rate
// as usual, so the long-run rate still holds while a batch larger than the
// burst is not refused forever.
package limiter // import "github.com/redline-otel/redline/processor/ratelimitprocessor/internal/limiter"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Overflow is what happens to a new key once a bucket tracks MaxKeys keys.
type Overflow int

const (
	// OverflowShare puts every key past MaxKeys into one shared bucket.
	OverflowShare Overflow = iota
	// OverflowDeny denies units whose key does not fit in the table.
	OverflowDeny
)

// Mode says how the units of a batch are decided.
type Mode int

const (
	// PerUnit decides every unit on its own: the batch is partly admitted.
	PerUnit Mode = iota
	// AllOrNothing decides the whole batch as one: every slot must hold the
	// summed cost of the units that reference it, and either all of it is
	// taken or nothing is.
	AllOrNothing
)

// DeniedByBackend is the DeniedBy of units denied because the shared backend
// failed and the fallback policy is to deny.
const DeniedByBackend = -1

// tableFullRetry is the hint given when a unit is denied because its key did
// not fit in a full table (OverflowDeny): keys expire on an idle timer, so no
// exact time can be promised.
const tableFullRetry = time.Second

// Bucket describes one family of token buckets.
type Bucket struct {
	// Name identifies the bucket in results, metrics and Redis keys.
	Name string
	// Rate is the refill rate in tokens per second.
	Rate float64
	// Burst is the bucket's capacity in tokens.
	Burst int64
	// Keyed buckets hold one bucket per key; an unkeyed bucket is global.
	Keyed bool
	// MaxKeys bounds the number of keys a keyed bucket tracks.
	MaxKeys int
	// Overflow is the policy for keys past MaxKeys.
	Overflow Overflow
	// IdleTimeout is how long a full, unused key is kept.
	IdleTimeout time.Duration
}

// Validate reports a bucket that cannot work.
func (b Bucket) Validate() error {
	switch {
	case b.Name == "":
		return errors.New("bucket name must not be empty")
	case !(b.Rate > 0) || math.IsInf(b.Rate, 0):
		return fmt.Errorf("bucket %q: rate must be a positive number", b.Name)
	case b.Burst < 1:
		return fmt.Errorf("bucket %q: burst must be at least 1", b.Name)
	case b.Keyed && b.MaxKeys < 1:
		return fmt.Errorf("bucket %q: max keys must be at least 1", b.Name)
	}
	return nil
}

// Result is the decision for one unit (or for a whole AllOrNothing batch).
type Result struct {
	// Allowed is true when the unit's tokens were taken.
	Allowed bool
	// DeniedBy is the index of the denying bucket when !Allowed.
	DeniedBy int
	// RetryAfter is the time until the denying buckets hold enough tokens
	// (are full, for a cost above the burst).
	RetryAfter time.Duration
}

// Outcome reports how a Decider reached its results.
type Outcome struct {
	// BackendErr is the error of a shared backend that could not be asked;
	// the results then come from the fallback policy.
	BackendErr error
	// Fallback is true when the results come from the fallback policy.
	Fallback bool
}

// Decider fills b.Results (PerUnit) or b.All (AllOrNothing).
type Decider interface {
	Decide(ctx context.Context, b *Batch, mode Mode, now time.Time) Outcome
}

// retryAfter converts a missing number of tokens at rate tokens/s to a wait.
func retryAfter(missing, rate float64) time.Duration {
	if missing <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(missing / rate * float64(time.Second)))
}
