package limiter

import (
	"cmp"
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// numShards splits each key table so that lookups of different keys rarely
// meet on one lock. A power of two, so a hash picks a shard with a mask.
const numShards = 64

// Local keeps every bucket in process memory. It is safe for concurrent use.
type Local struct {
	buckets []*localBucket
	epoch   time.Time
	nextID  atomic.Uint64
}

type localBucket struct {
	cfg      Bucket
	perNano  float64 // refill in tokens per nanosecond
	burst    float64
	global   *entry // unkeyed buckets
	overflow *entry // OverflowShare: all keys past MaxKeys
	seed     maphash.Seed
	count    atomic.Int64 // keys in shards
	shards   [numShards]shard
}

type shard struct {
	mu sync.RWMutex
	m  map[string]*entry
	_  [32]byte // keep neighbouring shard locks off one cache line
}

// entry is one token bucket. tokens and last change only under mu.
type entry struct {
	mu     sync.Mutex
	tokens float64
	last   int64 // ns since Local.epoch of the last refill
	id     uint64
}

// NewLocal builds in-memory buckets. now anchors the internal clock; the
// times later passed to Decide and Sweep must come from the same clock.
func NewLocal(buckets []Bucket, now time.Time) (*Local, error) {
	l := &Local{epoch: now}
	for _, cfg := range buckets {
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		b := &localBucket{
			cfg:     cfg,
			perNano: cfg.Rate / float64(time.Second),
			burst:   float64(cfg.Burst),
			seed:    maphash.MakeSeed(),
		}
		if cfg.Keyed {
			for i := range b.shards {
				b.shards[i].m = make(map[string]*entry)
			}
			b.overflow = l.newEntry(b, 0)
		} else {
			b.global = l.newEntry(b, 0)
		}
		l.buckets = append(l.buckets, b)
	}
	return l, nil
}

func (l *Local) newEntry(b *localBucket, now int64) *entry {
	return &entry{tokens: b.burst, last: now, id: l.nextID.Add(1)}
}

func (l *Local) clock(now time.Time) int64 { return max(0, int64(now.Sub(l.epoch))) }

// Keys returns the number of keys bucket i tracks (0 for a global bucket).
func (l *Local) Keys(i int) int { return int(l.buckets[i].count.Load()) }

// resolve finds or creates the entry for key. A nil result means the table is
// full and the bucket denies new keys.
func (l *Local) resolve(b *localBucket, key []byte, now int64) *entry {
	if !b.cfg.Keyed {
		return b.global
	}
	sh := &b.shards[maphash.Bytes(b.seed, key)&(numShards-1)]
	sh.mu.RLock()
	e := sh.m[string(key)]
	sh.mu.RUnlock()
	if e != nil {
		return e
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e = sh.m[string(key)]; e != nil {
		return e
	}
	for { // reserve a place without a table-wide lock; the bound is exact
		n := b.count.Load()
		if n >= int64(b.cfg.MaxKeys) {
			if b.cfg.Overflow == OverflowDeny {
				return nil
			}
			return b.overflow
		}
		if b.count.CompareAndSwap(n, n+1) {
			break
		}
	}
	e = l.newEntry(b, now)
	sh.m[string(key)] = e
	return e
}

// refill brings e up to now. Callers hold e.mu.
func (b *localBucket) refill(e *entry, now int64) {
	if now > e.last {
		e.tokens = min(b.burst, e.tokens+float64(now-e.last)*b.perNano)
		e.last = now
	}
}

// need is the number of tokens a cost requires: the cost itself, or a full
// bucket for a cost above the burst (the bucket then goes into debt).
func (b *localBucket) need(cost float64) float64 { return min(cost, b.burst) }

// Decide implements Decider. Local never fails.
func (l *Local) Decide(_ context.Context, b *Batch, mode Mode, now time.Time) Outcome {
	t := l.clock(now)
	for i := range b.slots {
		s := &b.slots[i]
		s.ent = l.resolve(l.buckets[s.bucket], b.slotKey(s), t)
	}
	if mode == AllOrNothing {
		b.All = l.decideAll(b, t)
		return Outcome{}
	}
	b.prepareResults()
	for i := range b.units {
		b.Results[i] = l.decideUnit(b, &b.units[i], t)
	}
	return Outcome{}
}

// decideUnit takes u.cost from every bucket of u or from none (see need for
// a cost above a burst). The unit's
// slots belong to distinct buckets in increasing order, so locking them in
// slice order is one global order and concurrent units cannot deadlock.
func (l *Local) decideUnit(b *Batch, u *unit, now int64) Result {
	refs := b.unitRefs(u)
	for _, r := range refs {
		if b.slots[r].ent == nil {
			return Result{DeniedBy: int(b.slots[r].bucket), RetryAfter: tableFullRetry}
		}
	}
	cost := float64(u.cost)
	for _, r := range refs {
		b.slots[r].ent.mu.Lock()
	}
	res := Result{Allowed: true}
	for _, r := range refs {
		s := &b.slots[r]
		lb := l.buckets[s.bucket]
		lb.refill(s.ent, now)
		if need := lb.need(cost); s.ent.tokens < need {
			res = Result{DeniedBy: int(s.bucket), RetryAfter: retryAfter(need-s.ent.tokens, lb.cfg.Rate)}
			break
		}
	}
	if res.Allowed {
		for _, r := range refs {
			b.slots[r].ent.tokens -= cost
		}
	}
	for _, r := range refs {
		b.slots[r].ent.mu.Unlock()
	}
	return res
}

// demand is one distinct entry of an AllOrNothing batch.
type demand struct {
	ent    *entry
	bucket int32
	tokens int64
}

// decideAll takes every slot's summed demand or nothing. Several slots can
// share an entry (the overflow bucket), so demands are merged per entry and
// locked in (bucket, entry id) order.
func (l *Local) decideAll(b *Batch, now int64) Result {
	b.lockOrder = b.lockOrder[:0]
	for i := range b.slots {
		s := &b.slots[i]
		if s.demand == 0 {
			continue
		}
		if s.ent == nil {
			return Result{DeniedBy: int(s.bucket), RetryAfter: tableFullRetry}
		}
		b.lockOrder = append(b.lockOrder, demand{ent: s.ent, bucket: s.bucket, tokens: s.demand})
	}
	slices.SortFunc(b.lockOrder, func(x, y demand) int {
		return cmp.Or(cmp.Compare(x.bucket, y.bucket), cmp.Compare(x.ent.id, y.ent.id))
	})
	merged := b.lockOrder[:0]
	for _, d := range b.lockOrder {
		if n := len(merged); n > 0 && merged[n-1].ent == d.ent {
			merged[n-1].tokens += d.tokens
			continue
		}
		merged = append(merged, d)
	}
	b.lockOrder = merged
	for _, d := range merged {
		d.ent.mu.Lock()
	}
	res := Result{Allowed: true}
	for _, d := range merged {
		lb := l.buckets[d.bucket]
		lb.refill(d.ent, now)
		if need := lb.need(float64(d.tokens)); d.ent.tokens < need {
			w := retryAfter(need-d.ent.tokens, lb.cfg.Rate)
			// Report the bucket that keeps the batch out longest.
			if res.Allowed || w > res.RetryAfter {
				res = Result{DeniedBy: int(d.bucket), RetryAfter: w}
			}
		}
	}
	if res.Allowed {
		for _, d := range merged {
			d.ent.tokens -= float64(d.tokens)
		}
	}
	for _, d := range merged {
		d.ent.mu.Unlock()
	}
	return res
}

// Sweep drops keys that have been idle for their bucket's IdleTimeout and
// are full again (dropping a bucket that still owes tokens would hand its key
// a fresh burst). It returns the number of keys dropped.
func (l *Local) Sweep(now time.Time) int {
	t := l.clock(now)
	dropped := 0
	for _, b := range l.buckets {
		if !b.cfg.Keyed {
			continue
		}
		idle := int64(b.cfg.IdleTimeout)
		for i := range b.shards {
			sh := &b.shards[i]
			sh.mu.Lock()
			for k, e := range sh.m {
				// e.last moves only when a batch uses the key, so it is
				// also the time of last use.
				e.mu.Lock()
				expired := t-e.last >= idle && e.tokens+float64(t-e.last)*b.perNano >= b.burst
				e.mu.Unlock()
				if expired {
					delete(sh.m, k)
					b.count.Add(-1)
					dropped++
				}
			}
			sh.mu.Unlock()
		}
	}
	return dropped
}
