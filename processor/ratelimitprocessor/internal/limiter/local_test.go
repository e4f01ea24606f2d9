package limiter

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newLocal(t testing.TB, buckets ...Bucket) *Local {
	t.Helper()
	l, err := NewLocal(buckets, t0)
	require.NoError(t, err)
	return l
}

// unitSpec is one unit of a test batch: its cost and, per bucket, its key
// (nil: the bucket does not apply).
type unitSpec struct {
	cost int64
	keys []*string
}

func k(s string) *string { return &s }

func fill(b *Batch, nBuckets int, units ...unitSpec) {
	b.Reset(nBuckets)
	for _, u := range units {
		b.AddUnit(u.cost)
		for i, key := range u.keys {
			if key != nil {
				b.AddKey(i, []byte(*key))
			}
		}
	}
}

func allowed(b *Batch) []bool {
	out := make([]bool, len(b.Results))
	for i, r := range b.Results {
		out[i] = r.Allowed
	}
	return out
}

func TestBucketValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       Bucket
		wantErr string
	}{
		{name: "ok", b: Bucket{Name: "g", Rate: 1, Burst: 1}},
		{name: "no name", b: Bucket{Rate: 1, Burst: 1}, wantErr: "name"},
		{name: "zero rate", b: Bucket{Name: "g", Burst: 1}, wantErr: "rate"},
		{name: "zero burst", b: Bucket{Name: "g", Rate: 1}, wantErr: "burst"},
		{name: "keyed without max", b: Bucket{Name: "g", Rate: 1, Burst: 1, Keyed: true}, wantErr: "max keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.Validate()
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestLocalPerUnit(t *testing.T) {
	global := Bucket{Name: "global", Rate: 10, Burst: 3}
	perPeer := Bucket{Name: "peer", Rate: 1, Burst: 2, Keyed: true, MaxKeys: 10, IdleTimeout: time.Minute}

	t.Run("burst then deny with retry-after", func(t *testing.T) {
		l := newLocal(t, global)
		var b Batch
		fill(&b, 1, unitSpec{1, []*string{k("")}}, unitSpec{1, []*string{k("")}}, unitSpec{1, []*string{k("")}}, unitSpec{1, []*string{k("")}})
		l.Decide(context.Background(), &b, PerUnit, t0)
		assert.Equal(t, []bool{true, true, true, false}, allowed(&b))
		assert.Equal(t, 0, b.Results[3].DeniedBy)
		assert.Equal(t, 100*time.Millisecond, b.Results[3].RetryAfter)
	})

	t.Run("refill", func(t *testing.T) {
		l := newLocal(t, global)
		var b Batch
		fill(&b, 1, unitSpec{3, []*string{k("")}})
		l.Decide(context.Background(), &b, PerUnit, t0)
		require.True(t, b.Results[0].Allowed)
		fill(&b, 1, unitSpec{1, []*string{k("")}})
		l.Decide(context.Background(), &b, PerUnit, t0.Add(50*time.Millisecond))
		assert.False(t, b.Results[0].Allowed)
		assert.Equal(t, 50*time.Millisecond, b.Results[0].RetryAfter)
		l.Decide(context.Background(), &b, PerUnit, t0.Add(100*time.Millisecond))
		assert.True(t, b.Results[0].Allowed)
	})

	t.Run("cost above burst passes a full bucket and leaves it in debt", func(t *testing.T) {
		l := newLocal(t, global)
		var b Batch
		// Full (3 tokens): a unit of 5 passes and leaves -2. The next unit of
		// 5 needs the bucket full again: 5 tokens at 10/s.
		fill(&b, 1, unitSpec{5, []*string{k("")}}, unitSpec{5, []*string{k("")}}, unitSpec{1, []*string{k("")}})
		l.Decide(context.Background(), &b, PerUnit, t0)
		assert.Equal(t, []bool{true, false, false}, allowed(&b))
		assert.Equal(t, 500*time.Millisecond, b.Results[1].RetryAfter)
		// A unit within the burst waits for its own cost: 3 tokens.
		assert.Equal(t, 300*time.Millisecond, b.Results[2].RetryAfter)

		// Refill continues at the rate: not full after 400 ms, full at 500 ms.
		fill(&b, 1, unitSpec{5, []*string{k("")}})
		l.Decide(context.Background(), &b, PerUnit, t0.Add(400*time.Millisecond))
		assert.False(t, b.Results[0].Allowed)
		assert.Equal(t, 100*time.Millisecond, b.Results[0].RetryAfter)
		l.Decide(context.Background(), &b, PerUnit, t0.Add(500*time.Millisecond))
		assert.True(t, b.Results[0].Allowed)
	})

	t.Run("cost above burst in one bucket, within it in another", func(t *testing.T) {
		l := newLocal(t, global, perPeer)
		var b Batch
		// 3 is above peer's burst of 2 but within global's 3: both full, it
		// passes; the peer owes 1 and global is empty.
		fill(&b, 2, unitSpec{3, []*string{k(""), k("a")}})
		l.Decide(context.Background(), &b, PerUnit, t0)
		require.True(t, b.Results[0].Allowed)
		// Peer b is full, but global is empty: denied by global, and peer b
		// keeps its tokens.
		fill(&b, 2, unitSpec{3, []*string{k(""), k("b")}}, unitSpec{2, []*string{nil, k("b")}})
		l.Decide(context.Background(), &b, PerUnit, t0)
		assert.Equal(t, []bool{false, true}, allowed(&b))
		assert.Equal(t, 0, b.Results[0].DeniedBy)
		assert.Equal(t, 300*time.Millisecond, b.Results[0].RetryAfter)
	})

	t.Run("denial by one bucket takes nothing from the other", func(t *testing.T) {
		l := newLocal(t, global, perPeer)
		var b Batch
		// Peer a takes its burst of 2; its third record is denied by the peer
		// bucket and must leave the global bucket's last token for peer b.
		fill(&b, 2,
			unitSpec{1, []*string{k(""), k("a")}},
			unitSpec{1, []*string{k(""), k("a")}},
			unitSpec{1, []*string{k(""), k("a")}},
			unitSpec{1, []*string{k(""), k("b")}},
			unitSpec{1, []*string{k(""), k("b")}},
		)
		l.Decide(context.Background(), &b, PerUnit, t0)
		assert.Equal(t, []bool{true, true, false, true, false}, allowed(&b))
		assert.Equal(t, 1, b.Results[2].DeniedBy)
		assert.Equal(t, time.Second, b.Results[2].RetryAfter)
		assert.Equal(t, 0, b.Results[4].DeniedBy)
	})

	t.Run("bucket that does not apply is not asked", func(t *testing.T) {
		l := newLocal(t, global, perPeer)
		var b Batch
		fill(&b, 2, unitSpec{1, []*string{k(""), nil}}, unitSpec{1, []*string{k(""), nil}}, unitSpec{1, []*string{k(""), nil}})
		l.Decide(context.Background(), &b, PerUnit, t0)
		assert.Equal(t, []bool{true, true, true}, allowed(&b))
		assert.Equal(t, 0, l.Keys(1))
	})

	t.Run("unit under no bucket passes", func(t *testing.T) {
		l := newLocal(t, global)
		var b Batch
		fill(&b, 1, unitSpec{100, []*string{nil}})
		l.Decide(context.Background(), &b, PerUnit, t0)
		assert.True(t, b.Results[0].Allowed)
	})
}

func TestLocalAllOrNothing(t *testing.T) {
	perPeer := Bucket{Name: "peer", Rate: 1, Burst: 3, Keyed: true, MaxKeys: 10, IdleTimeout: time.Minute}
	global := Bucket{Name: "global", Rate: 1, Burst: 5}
	l := newLocal(t, global, perPeer)
	var b Batch
	// 2 for a, 2 for b: fits.
	fill(&b, 2, unitSpec{1, []*string{k(""), k("a")}}, unitSpec{1, []*string{k(""), k("a")}},
		unitSpec{1, []*string{k(""), k("b")}}, unitSpec{1, []*string{k(""), k("b")}})
	l.Decide(context.Background(), &b, AllOrNothing, t0)
	require.True(t, b.All.Allowed)

	// Global has 1 left, a has 1: a request of 2 for a is refused and takes
	// nothing, so a later request of 1 still passes.
	fill(&b, 2, unitSpec{1, []*string{k(""), k("a")}}, unitSpec{1, []*string{k(""), k("a")}})
	l.Decide(context.Background(), &b, AllOrNothing, t0)
	assert.False(t, b.All.Allowed)
	assert.Equal(t, time.Second, b.All.RetryAfter)

	fill(&b, 2, unitSpec{1, []*string{k(""), k("a")}})
	l.Decide(context.Background(), &b, AllOrNothing, t0)
	assert.True(t, b.All.Allowed)

	// Summed demand above a burst needs every bucket it exceeds full: peer c
	// is new (full), so 4 > 3 passes; global (1 left) needs its 1 token.
	fill(&b, 2, unitSpec{4, []*string{nil, k("c")}})
	l.Decide(context.Background(), &b, AllOrNothing, t0)
	assert.True(t, b.All.Allowed)
	// c owes 1: a request above the burst waits until it is full again,
	// 4 tokens at 1/s less the 0.1 refilled.
	fill(&b, 2, unitSpec{2, []*string{nil, k("c")}}, unitSpec{2, []*string{nil, k("c")}})
	l.Decide(context.Background(), &b, AllOrNothing, t0.Add(100*time.Millisecond))
	assert.False(t, b.All.Allowed)
	assert.Equal(t, 1, b.All.DeniedBy)
	assert.Equal(t, 3900*time.Millisecond, b.All.RetryAfter)
}

func TestLocalAllOrNothingAboveBurstNeedsEveryBucketFull(t *testing.T) {
	global := Bucket{Name: "global", Rate: 10, Burst: 2}
	perPeer := Bucket{Name: "peer", Rate: 1, Burst: 2, Keyed: true, MaxKeys: 10, IdleTimeout: time.Minute}
	l := newLocal(t, global, perPeer)
	var b Batch
	// Peer a spends one token: not full.
	fill(&b, 2, unitSpec{1, []*string{nil, k("a")}})
	l.Decide(context.Background(), &b, AllOrNothing, t0)
	require.True(t, b.All.Allowed)

	// 5 records of a: above both bursts. Global is full, peer a is not, so
	// the batch is refused whole, with the wait until peer a is full (1 s).
	batch := func() {
		units := make([]unitSpec, 5)
		for i := range units {
			units[i] = unitSpec{1, []*string{k(""), k("a")}}
		}
		fill(&b, 2, units...)
	}
	batch()
	l.Decide(context.Background(), &b, AllOrNothing, t0)
	assert.False(t, b.All.Allowed)
	assert.Equal(t, 1, b.All.DeniedBy)
	assert.Equal(t, time.Second, b.All.RetryAfter)

	// Global kept its tokens: a request of 2 from b still passes.
	fill(&b, 2, unitSpec{1, []*string{k(""), k("b")}}, unitSpec{1, []*string{k(""), k("b")}})
	l.Decide(context.Background(), &b, AllOrNothing, t0)
	require.True(t, b.All.Allowed)

	// One second later both are full: the 5 records pass, leaving both in
	// debt of 3; global is full again after 5/10 s, peer a after 5 s, so the
	// same request is next admitted 5 s later: the long-run rate holds.
	batch()
	l.Decide(context.Background(), &b, AllOrNothing, t0.Add(time.Second))
	require.True(t, b.All.Allowed)
	batch()
	l.Decide(context.Background(), &b, AllOrNothing, t0.Add(2*time.Second))
	assert.False(t, b.All.Allowed)
	assert.Equal(t, 1, b.All.DeniedBy)
	assert.Equal(t, 4*time.Second, b.All.RetryAfter)
	l.Decide(context.Background(), &b, AllOrNothing, t0.Add(6*time.Second))
	assert.True(t, b.All.Allowed)
}

func TestLocalMaxKeysAndSweep(t *testing.T) {
	for _, tc := range []struct {
		name     string
		overflow Overflow
		want     []bool
	}{
		// Keys c and d share the overflow bucket of burst 1.
		{name: "share", overflow: OverflowShare, want: []bool{true, true, true, false}},
		{name: "deny", overflow: OverflowDeny, want: []bool{true, true, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLocal(t, Bucket{Name: "peer", Rate: 1, Burst: 1, Keyed: true, MaxKeys: 2, Overflow: tc.overflow, IdleTimeout: 10 * time.Second})
			var b Batch
			fill(&b, 1, unitSpec{1, []*string{k("a")}}, unitSpec{1, []*string{k("b")}}, unitSpec{1, []*string{k("c")}}, unitSpec{1, []*string{k("d")}})
			l.Decide(context.Background(), &b, PerUnit, t0)
			assert.Equal(t, tc.want, allowed(&b))
			assert.Equal(t, 2, l.Keys(0))

			// Not idle long enough: kept.
			assert.Equal(t, 0, l.Sweep(t0.Add(5*time.Second)))
			// Idle and full again: dropped, and new keys get their own bucket.
			assert.Equal(t, 2, l.Sweep(t0.Add(11*time.Second)))
			assert.Equal(t, 0, l.Keys(0))
			fill(&b, 1, unitSpec{1, []*string{k("c")}}, unitSpec{1, []*string{k("d")}})
			l.Decide(context.Background(), &b, PerUnit, t0.Add(11*time.Second))
			assert.Equal(t, []bool{true, true}, allowed(&b))
		})
	}
}

func TestLocalSweepKeepsOwingKeys(t *testing.T) {
	// A key that is still refilling must not be forgotten: forgetting it
	// would hand it a fresh burst.
	l := newLocal(t, Bucket{Name: "peer", Rate: 0.01, Burst: 10, Keyed: true, MaxKeys: 5, IdleTimeout: time.Second})
	var b Batch
	fill(&b, 1, unitSpec{10, []*string{k("a")}})
	l.Decide(context.Background(), &b, PerUnit, t0)
	require.True(t, b.Results[0].Allowed)
	assert.Equal(t, 0, l.Sweep(t0.Add(time.Minute)))
	assert.Equal(t, 1, l.Keys(0))
}

func TestLocalMillionPeersStaysBounded(t *testing.T) {
	const maxKeys = 5000
	l := newLocal(t, Bucket{Name: "peer", Rate: 100, Burst: 100, Keyed: true, MaxKeys: maxKeys, IdleTimeout: time.Minute})
	var b Batch
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	buf := make([]byte, 0, 32)
	const peers, batch = 1_000_000, 100
	for i := 0; i < peers; i += batch {
		b.Reset(1)
		for j := range batch {
			b.AddUnit(1)
			buf = append(buf[:0], "10."...)
			buf = strconv.AppendInt(buf, int64(i+j), 10)
			b.AddKey(0, buf)
		}
		l.Decide(context.Background(), &b, PerUnit, t0)
		require.Equal(t, batch, len(b.Results))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	assert.Equal(t, maxKeys, l.Keys(0))
	keys := 0
	for i := range l.buckets[0].shards {
		keys += len(l.buckets[0].shards[i].m)
	}
	assert.Equal(t, maxKeys, keys)
	// 5,000 small entries need well under a megabyte; a table that grew
	// with the peers would need more than a hundred.
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	assert.Less(t, growth, int64(16<<20), "heap grew by %d bytes", growth)
}

func TestLocalConcurrentNeverOverAdmits(t *testing.T) {
	// Many goroutines on overlapping keys, with a frozen clock: exactly the
	// burst of each bucket may pass, and the locking must not deadlock.
	l := newLocal(t,
		Bucket{Name: "global", Rate: 1, Burst: 1000},
		Bucket{Name: "svc", Rate: 1, Burst: 300, Keyed: true, MaxKeys: 10, IdleTimeout: time.Minute},
		Bucket{Name: "peer", Rate: 1, Burst: 50, Keyed: true, MaxKeys: 100, IdleTimeout: time.Minute},
	)
	var mu sync.Mutex
	admitted := map[string]int{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			var b Batch
			for i := range 200 {
				svc := fmt.Sprintf("s%d", (g+i)%3)
				peer := fmt.Sprintf("p%d", (g*7+i)%20)
				mode := PerUnit
				if i%5 == 0 {
					mode = AllOrNothing
				}
				fill(&b, 3, unitSpec{1, []*string{k(""), k(svc), k(peer)}}, unitSpec{1, []*string{k(""), k(svc), k("p0")}})
				l.Decide(context.Background(), &b, mode, t0)
				mu.Lock()
				if mode == AllOrNothing {
					if b.All.Allowed {
						admitted["global"] += 2
						admitted[svc] += 2
						admitted[peer]++
						admitted["p0"]++
					}
				} else {
					for u, r := range b.Results {
						if r.Allowed {
							admitted["global"]++
							admitted[svc]++
							if u == 0 {
								admitted[peer]++
							} else {
								admitted["p0"]++
							}
						}
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, admitted["global"], 1000)
	for key, n := range admitted {
		switch key[0] {
		case 's':
			assert.LessOrEqual(t, n, 300, key)
		case 'p':
			assert.LessOrEqual(t, n, 50, key)
		}
	}
	// 3,200 units asked; the global bucket is the binding limit.
	assert.Positive(t, admitted["global"])
}

func TestBatchSlotIndexing(t *testing.T) {
	// Enough distinct keys to grow the slot table several times; keys must
	// still be found again, and demand counted per slot.
	const many = 300
	var b Batch
	b.Reset(2)
	for round := range 2 {
		for i := range many {
			b.AddUnit(1)
			b.AddKey(0, []byte(strconv.Itoa(i)))
			b.AddKey(1, []byte(strconv.Itoa(i%5)))
		}
		assert.Equal(t, many+5, b.NumSlots(), "round %d", round)
	}
	var perService int64
	for i := range b.slots {
		if b.slots[i].bucket == 0 {
			assert.Equal(t, int64(2), b.slots[i].demand, "each peer key once per round")
		} else {
			perService += b.slots[i].demand
		}
	}
	assert.Equal(t, int64(2*many), perService)

	// A reset batch starts empty and finds nothing of the previous request.
	b.Reset(2)
	b.AddUnit(1)
	b.AddKey(0, []byte("1"))
	assert.Equal(t, 1, b.NumSlots())
	assert.Equal(t, int64(1), b.slots[0].demand)
}

// BenchmarkLocalDecide is the core's share of the hot path: 100 units under
// four buckets (global, service, method, peer) with keys already known.
func BenchmarkLocalDecide(b *testing.B) {
	l := newLocal(b,
		Bucket{Name: "global", Rate: 1e12, Burst: 1e12},
		Bucket{Name: "svc", Rate: 1e12, Burst: 1e12, Keyed: true, MaxKeys: 5000, IdleTimeout: time.Minute},
		Bucket{Name: "method", Rate: 1e12, Burst: 1e12, Keyed: true, MaxKeys: 5000, IdleTimeout: time.Minute},
		Bucket{Name: "peer", Rate: 1e12, Burst: 1e12, Keyed: true, MaxKeys: 5000, IdleTimeout: time.Minute},
	)
	svcs := [][]byte{[]byte("checkout"), []byte("cart"), []byte("search"), []byte("auth")}
	methods := [][]byte{[]byte("Get"), []byte("Put"), []byte("List"), []byte("Delete"), []byte("Watch")}
	peer := []byte("10.1.2.3")
	var batch Batch
	fillBatch := func() {
		batch.Reset(4)
		for i := range 100 {
			batch.AddUnit(1)
			batch.AddKey(0, nil)
			batch.AddKey(1, svcs[i%4])
			batch.AddKey(2, methods[i%5])
			batch.AddKey(3, peer)
		}
	}
	now := t0
	fillBatch()
	l.Decide(context.Background(), &batch, PerUnit, now)
	b.ReportAllocs()
	for b.Loop() {
		fillBatch()
		l.Decide(context.Background(), &batch, PerUnit, now)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/unit")
}
