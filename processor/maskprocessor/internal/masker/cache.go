package masker

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// Key classification is cached per distinct key: the same attribute names
// come back in every record, and a lookup that hits costs a hash and one
// string comparison, without allocating.
//
// The cache is a fixed table of cacheSlots entries in buckets of two, each
// entry an immutable (key, class) pair behind an atomic pointer: readers
// never lock, a miss computes the class and stores a new entry, and when
// both entries of a bucket are taken one of them is replaced. Memory is
// bounded whatever the keys (at most cacheSlots entries of at most
// maxCachedKey bytes), so unique keys from hostile input cost a computation
// each, never unbounded growth. Keys longer than maxCachedKey are classified
// every time.
const (
	cacheSlots   = 4096
	maxCachedKey = 128
)

type cacheEntry struct {
	key   string
	class keyClass
}

type classCache struct {
	seed  maphash.Seed
	slots [cacheSlots]atomic.Pointer[cacheEntry]
}

func (c *classCache) init() { c.seed = maphash.MakeSeed() }

// bucket returns the first slot of key's bucket and the hash bit that picks
// the entry to replace.
func (c *classCache) bucket(key string) (int, int) {
	h := maphash.String(c.seed, key)
	return int(h & (cacheSlots - 2)), int(h >> 63)
}

// get returns key's cached class.
func (c *classCache) get(key string) (keyClass, bool) {
	i, _ := c.bucket(key)
	if e := c.slots[i].Load(); e != nil && e.key == key {
		return e.class, true
	}
	if e := c.slots[i+1].Load(); e != nil && e.key == key {
		return e.class, true
	}
	return 0, false
}

// put stores key's class, in a free entry of its bucket or over one of the
// two. Concurrent puts may overwrite each other; either entry is correct.
func (c *classCache) put(key string, class keyClass) {
	if len(key) > maxCachedKey {
		return
	}
	i, pick := c.bucket(key)
	// Clone: the key may be a slice of a whole log line, which the cache
	// must not keep alive.
	e := &cacheEntry{key: strings.Clone(key), class: class}
	switch {
	case c.slots[i].Load() == nil:
		c.slots[i].Store(e)
	case c.slots[i+1].Load() == nil:
		c.slots[i+1].Store(e)
	default:
		c.slots[i+pick].Store(e)
	}
}

// len counts the cached entries (for tests).
func (c *classCache) len() int {
	n := 0
	for i := range c.slots {
		if c.slots[i].Load() != nil {
			n++
		}
	}
	return n
}
