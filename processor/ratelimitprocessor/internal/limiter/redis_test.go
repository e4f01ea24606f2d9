package limiter

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/redistest"
)

func newRedis(t testing.TB, srv *redistest.Server, buckets ...Bucket) *Redis {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	r, err := NewRedis(client, "test:", buckets)
	require.NoError(t, err)
	return r
}

func TestRedisMatchesLocalSemantics(t *testing.T) {
	srv := redistest.Start(t)
	// Slow refill, so that the time a test takes does not add tokens.
	global := Bucket{Name: "global", Rate: 0.001, Burst: 3}
	perPeer := Bucket{Name: "peer", Rate: 0.001, Burst: 2, Keyed: true, MaxKeys: 10}
	ctx := context.Background()

	t.Run("per unit, denial takes nothing from the other bucket", func(t *testing.T) {
		r := newRedis(t, srv, Bucket{Name: "g1", Rate: 0.001, Burst: 3}, Bucket{Name: "p1", Rate: 0.001, Burst: 2, Keyed: true, MaxKeys: 10})
		var b Batch
		fill(&b, 2,
			unitSpec{1, []*string{k(""), k("a")}},
			unitSpec{1, []*string{k(""), k("a")}},
			unitSpec{1, []*string{k(""), k("a")}},
			unitSpec{1, []*string{k(""), k("b")}},
			unitSpec{1, []*string{k(""), k("b")}},
		)
		out := r.Decide(ctx, &b, PerUnit, time.Now())
		require.NoError(t, out.BackendErr)
		assert.Equal(t, []bool{true, true, false, true, false}, allowed(&b))
		assert.Equal(t, 1, b.Results[2].DeniedBy)
		assert.Equal(t, 0, b.Results[4].DeniedBy)
		// One token at 0.001/s is 1,000 s away.
		assert.InDelta(t, 1000*time.Second, b.Results[2].RetryAfter, float64(time.Second))
	})

	t.Run("all or nothing", func(t *testing.T) {
		r := newRedis(t, srv, global, perPeer)
		var b Batch
		fill(&b, 2, unitSpec{1, []*string{k(""), k("a")}}, unitSpec{1, []*string{k(""), k("b")}})
		require.NoError(t, r.Decide(ctx, &b, AllOrNothing, time.Now()).BackendErr)
		require.True(t, b.All.Allowed)
		// Global has 1 left: two more for a are refused, taking nothing.
		fill(&b, 2, unitSpec{1, []*string{k(""), k("a")}}, unitSpec{1, []*string{k(""), k("a")}})
		require.NoError(t, r.Decide(ctx, &b, AllOrNothing, time.Now()).BackendErr)
		assert.False(t, b.All.Allowed)
		fill(&b, 2, unitSpec{1, []*string{k(""), k("a")}})
		require.NoError(t, r.Decide(ctx, &b, AllOrNothing, time.Now()).BackendErr)
		assert.True(t, b.All.Allowed)
	})

	t.Run("above the burst: a full bucket goes into debt", func(t *testing.T) {
		// One token per second: the time the test takes (on Redis's clock)
		// shifts the waits a little, hence the deltas.
		r := newRedis(t, srv, Bucket{Name: "g3", Rate: 1, Burst: 3}, Bucket{Name: "p3", Rate: 1, Burst: 2, Keyed: true, MaxKeys: 10})
		var b Batch
		five := func(peer string) {
			units := make([]unitSpec, 5)
			for i := range units {
				units[i] = unitSpec{1, []*string{k(""), k(peer)}}
			}
			fill(&b, 2, units...)
		}
		// Both full: 5 passes, above both bursts, leaving g3 at -2 and a at -3.
		five("a")
		require.NoError(t, r.Decide(ctx, &b, AllOrNothing, time.Now()).BackendErr)
		require.True(t, b.All.Allowed)
		// Peer b is full but g3 is in debt: refused until g3 is full again,
		// 5 tokens at 1/s; nothing is taken from b.
		five("b")
		require.NoError(t, r.Decide(ctx, &b, AllOrNothing, time.Now()).BackendErr)
		assert.False(t, b.All.Allowed)
		assert.Equal(t, 0, b.All.DeniedBy)
		assert.InDelta(t, 5*time.Second, b.All.RetryAfter, float64(500*time.Millisecond))
		// Per unit: a record costing 5 on b alone (b still full) passes.
		fill(&b, 2, unitSpec{5, []*string{nil, k("b")}}, unitSpec{1, []*string{nil, k("b")}})
		require.NoError(t, r.Decide(ctx, &b, PerUnit, time.Now()).BackendErr)
		assert.Equal(t, []bool{true, false}, allowed(&b))
		// b owes 3: one token is 4 tokens away at 1/s.
		assert.InDelta(t, 4*time.Second, b.Results[1].RetryAfter, float64(500*time.Millisecond))
		// The key lives until the bucket is full again, debt included.
		ttl, err := r.client.PTTL(ctx, r.KeyFor(1, "b")).Result()
		require.NoError(t, err)
		assert.Greater(t, ttl, 3*time.Second)
		assert.LessOrEqual(t, ttl, 5*time.Second)
	})

	t.Run("keys expire when full again", func(t *testing.T) {
		r := newRedis(t, srv, Bucket{Name: "fast", Rate: 1000, Burst: 10})
		var b Batch
		fill(&b, 1, unitSpec{5, []*string{k("")}})
		require.NoError(t, r.Decide(ctx, &b, PerUnit, time.Now()).BackendErr)
		ttl, err := r.client.PTTL(ctx, r.KeyFor(0, "")).Result()
		require.NoError(t, err)
		// 5 tokens at 1,000/s refill in 5 ms.
		assert.LessOrEqual(t, ttl, 6*time.Millisecond)
	})

	t.Run("empty batch needs no round trip", func(t *testing.T) {
		r := newRedis(t, srv, global)
		var b Batch
		fill(&b, 1, unitSpec{1, []*string{nil}})
		require.NoError(t, r.Decide(ctx, &b, PerUnit, time.Now()).BackendErr)
		assert.True(t, b.Results[0].Allowed)
	})
}

func TestRedisUnreachable(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	r, err := NewRedis(client, "x:", []Bucket{{Name: "g", Rate: 1, Burst: 1}})
	require.NoError(t, err)
	var b Batch
	fill(&b, 1, unitSpec{1, []*string{k("")}})
	assert.Error(t, r.Decide(context.Background(), &b, PerUnit, time.Now()).BackendErr)
}
