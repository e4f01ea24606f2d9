package limiter

import (
	"context"
	"sync/atomic"
	"time"
)

// FallbackPolicy is what a Failover does while its shared backend fails.
type FallbackPolicy int

const (
	// FallbackLocal decides with local buckets (usually at the shared rate
	// divided by the number of replicas).
	FallbackLocal FallbackPolicy = iota
	// FallbackAllow admits everything.
	FallbackAllow
	// FallbackDeny denies everything.
	FallbackDeny
)

// Failover asks a shared backend and, when it fails, applies a fallback
// policy until a probe finds the backend healthy again. While the backend is
// down, at most one batch per ProbeInterval tries it, so an outage costs one
// error per interval instead of one per batch and adds no latency to the
// others.
type Failover struct {
	primary       Decider
	local         Decider // FallbackLocal only
	policy        FallbackPolicy
	probeInterval time.Duration
	// onChange is called once per transition: active=true with the error
	// that started the fallback, active=false on recovery.
	onChange func(active bool, err error)

	active    atomic.Bool
	nextProbe atomic.Int64 // unix ns
}

// NewFailover wraps primary. local is used only with FallbackLocal.
func NewFailover(primary, local Decider, policy FallbackPolicy, probeInterval time.Duration, onChange func(active bool, err error)) *Failover {
	if onChange == nil {
		onChange = func(bool, error) {}
	}
	return &Failover{primary: primary, local: local, policy: policy, probeInterval: probeInterval, onChange: onChange}
}

// Active reports whether the fallback is in use.
func (f *Failover) Active() bool { return f.active.Load() }

// Decide implements Decider.
func (f *Failover) Decide(ctx context.Context, b *Batch, mode Mode, now time.Time) Outcome {
	if f.active.Load() {
		next := f.nextProbe.Load()
		// One caller per interval wins the probe; the rest use the fallback.
		if now.UnixNano() < next || !f.nextProbe.CompareAndSwap(next, now.Add(f.probeInterval).UnixNano()) {
			return f.fallback(ctx, b, mode, now, nil)
		}
		out := f.primary.Decide(ctx, b, mode, now)
		if out.BackendErr != nil {
			return f.fallback(ctx, b, mode, now, out.BackendErr)
		}
		if f.active.CompareAndSwap(true, false) {
			f.onChange(false, nil)
		}
		return out
	}
	out := f.primary.Decide(ctx, b, mode, now)
	if out.BackendErr == nil {
		return out
	}
	if f.active.CompareAndSwap(false, true) {
		f.nextProbe.Store(now.Add(f.probeInterval).UnixNano())
		f.onChange(true, out.BackendErr)
	}
	return f.fallback(ctx, b, mode, now, out.BackendErr)
}

func (f *Failover) fallback(ctx context.Context, b *Batch, mode Mode, now time.Time, err error) Outcome {
	switch f.policy {
	case FallbackLocal:
		f.local.Decide(ctx, b, mode, now)
	case FallbackAllow, FallbackDeny:
		res := Result{Allowed: true}
		if f.policy == FallbackDeny {
			res = Result{DeniedBy: DeniedByBackend, RetryAfter: f.probeInterval}
		}
		if mode == AllOrNothing {
			b.All = res
		} else {
			b.prepareResults()
			for i := range b.Results {
				b.Results[i] = res
			}
		}
	}
	return Outcome{BackendErr: err, Fallback: true}
}
