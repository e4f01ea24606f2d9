package limiter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcraScript decides a whole batch in one round trip with the generic cell
// rate algorithm (the algorithm of github.com/go-redis/redis_rate, whose
// AllowN asks one key per round trip and cannot make several buckets
// all-or-nothing). Each key holds its bucket's theoretical arrival time (TAT)
// in microseconds of the Redis server clock, so replicas with skewed clocks
// still share one timeline.
//
// KEYS: the distinct bucket keys of the batch.
// ARGV: nbuckets, then per bucket: emission interval (us per token) and burst
// offset (us); then per key: its bucket (1-based); then ngroups, then per
// group: n, then n pairs of key index (1-based) and cost in tokens.
// A group is allowed only if every key of it can take its cost; then all of
// them take it. A cost above a key's burst can take it only while the bucket
// is full (TAT <= now) and leaves it in debt (TAT = max(TAT, now) + cost *
// emission, more than the burst offset ahead), as Local does. Reply: per
// group, the denying key index (0 when allowed) and the retry-after in us.
const gcraScript = `
-- Redis before 5 replicates scripts verbatim and refuses writes after TIME
-- unless effects replication is asked for; later versions always do it.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local a = 1
local nb = tonumber(ARGV[a]); a = a + 1
local emission, offset = {}, {}
for b = 1, nb do
  emission[b] = tonumber(ARGV[a]); offset[b] = tonumber(ARGV[a + 1]); a = a + 2
end
local kb, tat, dirty = {}, {}, {}
for k = 1, #KEYS do
  kb[k] = tonumber(ARGV[a]); a = a + 1
end
local ng = tonumber(ARGV[a]); a = a + 1
local out = {}
local newtat = {}
for g = 1, ng do
  local n = tonumber(ARGV[a]); a = a + 1
  local deny, wait = 0, 0
  for i = 0, n - 1 do
    local k = tonumber(ARGV[a + 2 * i]); local cost = tonumber(ARGV[a + 2 * i + 1])
    if tat[k] == nil then
      local v = redis.call("GET", KEYS[k])
      if v then tat[k] = tonumber(v) else tat[k] = now end
    end
    local b = kb[k]
    local inc = emission[b] * cost
    local cur = math.max(tat[k], now)
    local nt = cur + inc
    newtat[i] = nt
    -- A cost above the burst needs a full bucket (tat <= now) rather than
    -- room it can never have (nt - offset would lie past cur for ever).
    local allow_at = cur
    if inc <= offset[b] then allow_at = nt - offset[b] end
    -- Report the key that keeps the group out longest.
    if allow_at > now and (deny == 0 or allow_at - now > wait) then
      deny = k; wait = allow_at - now
    end
  end
  if deny == 0 then
    for i = 0, n - 1 do
      local k = tonumber(ARGV[a + 2 * i])
      tat[k] = newtat[i]; dirty[k] = true
    end
  end
  a = a + 2 * n
  out[#out + 1] = deny
  out[#out + 1] = math.ceil(wait)
end
for k, _ in pairs(dirty) do
  local ttl = math.ceil((tat[k] - now) / 1000)
  if ttl < 1 then ttl = 1 end
  redis.call("SET", KEYS[k], string.format("%.0f", tat[k]), "PX", ttl)
end
return out
`

var errBadReply = errors.New("unexpected reply from the rate-limit script")

// Redis keeps the buckets in Redis so that several collectors share one
// limit. It is safe for concurrent use.
type Redis struct {
	client     redis.UniversalClient
	script     *redis.Script
	prefix     string
	buckets    []Bucket
	bucketArgs []any
}

// NewRedis builds buckets stored under prefix in the Redis behind client.
// MaxKeys and IdleTimeout do not apply: Redis expires a key as soon as its
// bucket is full again.
func NewRedis(client redis.UniversalClient, prefix string, buckets []Bucket) (*Redis, error) {
	r := &Redis{client: client, script: redis.NewScript(gcraScript), prefix: prefix, buckets: buckets}
	r.bucketArgs = append(r.bucketArgs, len(buckets))
	for _, b := range buckets {
		if err := b.Validate(); err != nil {
			return nil, err
		}
		emission := float64(time.Second/time.Microsecond) / b.Rate
		r.bucketArgs = append(r.bucketArgs, emission, emission*float64(b.Burst))
	}
	return r, nil
}

// Decide asks Redis for the batch in one round trip. On error, b's results
// are left undefined and the error is returned in the Outcome.
func (r *Redis) Decide(ctx context.Context, b *Batch, mode Mode, _ time.Time) Outcome {
	if mode == PerUnit {
		b.prepareResults()
	}
	if len(b.slots) == 0 { // nothing applies: everything passes
		for i := range b.Results {
			b.Results[i] = Result{Allowed: true}
		}
		b.All = Result{Allowed: true}
		return Outcome{}
	}
	keys := make([]string, len(b.slots))
	args := make([]any, 0, len(r.bucketArgs)+len(b.slots)+2+len(b.units)*3)
	args = append(args, r.bucketArgs...)
	for i := range b.slots {
		s := &b.slots[i]
		keys[i] = r.prefix + r.buckets[s.bucket].Name + ":" + string(b.slotKey(s))
		args = append(args, s.bucket+1)
	}
	if mode == AllOrNothing {
		args = append(args, 1, len(b.slots))
		for i := range b.slots {
			args = append(args, i+1, b.slots[i].demand)
		}
	} else {
		args = append(args, len(b.units))
		for i := range b.units {
			u := &b.units[i]
			args = append(args, u.nref)
			for _, ref := range b.unitRefs(u) {
				args = append(args, ref+1, u.cost)
			}
		}
	}
	reply, err := r.script.Run(ctx, r.client, keys, args...).Int64Slice()
	if err != nil {
		return Outcome{BackendErr: fmt.Errorf("redis rate-limit script: %w", err)}
	}
	groups := 1
	if mode == PerUnit {
		groups = len(b.units)
	}
	if len(reply) != 2*groups {
		return Outcome{BackendErr: fmt.Errorf("%w: %d values for %d groups", errBadReply, len(reply), groups)}
	}
	for g := range groups {
		res := Result{Allowed: true}
		if k := reply[2*g]; k != 0 {
			if k < 1 || int(k) > len(b.slots) {
				return Outcome{BackendErr: fmt.Errorf("%w: key index %d", errBadReply, k)}
			}
			w := reply[2*g+1]
			if w < 0 {
				return Outcome{BackendErr: fmt.Errorf("%w: retry-after %d", errBadReply, w)}
			}
			res = Result{DeniedBy: int(b.slots[k-1].bucket), RetryAfter: time.Duration(w) * time.Microsecond}
		}
		if mode == AllOrNothing {
			b.All = res
		} else {
			b.Results[g] = res
		}
	}
	return Outcome{}
}

// KeyFor is the Redis key of bucket i and key, exposed for tests and docs.
func (r *Redis) KeyFor(i int, key string) string {
	return r.prefix + r.buckets[i].Name + ":" + key
}
