package limiter

import (
	"bytes"
	"context"
	"testing"
)

// FuzzBatch feeds arbitrary keys (attribute values come from senders) into a
// batch and checks that slots are exactly the distinct (bucket, key) pairs
// and that the local backend decides every unit.
func FuzzBatch(f *testing.F) {
	f.Add([]byte("a\x00b\x00a\x00\x00c"), uint8(2))
	f.Add([]byte{}, uint8(1))
	f.Add(bytes.Repeat([]byte("k\x00"), 200), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, nb uint8) {
		nBuckets := int(nb%4) + 1
		buckets := make([]Bucket, nBuckets)
		for i := range buckets {
			buckets[i] = Bucket{Name: string(rune('a' + i)), Rate: 1, Burst: 3, Keyed: i > 0, MaxKeys: 8}
		}
		l, err := NewLocal(buckets, t0)
		if err != nil {
			t.Fatal(err)
		}
		keys := bytes.Split(data, []byte{0})
		var b Batch
		b.Reset(nBuckets)
		distinct := map[string]bool{}
		for _, key := range keys {
			b.AddUnit(1)
			for bk := range nBuckets {
				if bk == 0 {
					b.AddKey(0, nil)
					distinct["\x00"] = true
					continue
				}
				b.AddKey(bk, key)
				distinct[string(rune(bk))+string(key)] = true
			}
		}
		if b.NumSlots() != len(distinct) {
			t.Fatalf("%d slots for %d distinct keys", b.NumSlots(), len(distinct))
		}
		l.Decide(context.Background(), &b, PerUnit, t0)
		if len(b.Results) != len(keys) {
			t.Fatalf("%d results for %d units", len(b.Results), len(keys))
		}
		admitted := 0
		for _, r := range b.Results {
			if r.Allowed {
				admitted++
			}
		}
		if admitted > 3 {
			t.Fatalf("global burst 3 admitted %d", admitted)
		}
	})
}
