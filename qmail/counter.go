package qmail

import (
	"hash/maphash"
	"slices"
	"strings"
)

// counter counts byte-string keys: the top lists' tables. It is an
// open-addressing hash table with no pointers in it: a Go map of strings
// to counters cost most of a run's time in hashing, growing and, above
// all, the garbage collector's scans of a key and a counter per SMTP
// client. A key is copied into one arena when it is first counted, and a
// lookup does no allocation.
type counter struct {
	slots []uint32 // 0: empty; else 1 + an index into ents
	ents  []centry
	keys  []byte // the keys, one after another
	seed  maphash.Seed
}

type centry struct {
	hash  uint64
	off   int // the key is keys[off : off+n]
	n     int
	count int64
}

func newCounter() *counter { return &counter{seed: maphash.MakeSeed()} }

func (c *counter) key(e *centry) []byte { return c.keys[e.off : e.off+e.n] }

// add counts key n times.
func (c *counter) add(key []byte, n int64) {
	h := maphash.Bytes(c.seed, key)
	if 2*len(c.ents) >= len(c.slots) {
		c.grow()
	}
	mask := uint64(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := c.slots[i]
		if s == 0 {
			c.ents = append(c.ents, centry{hash: h, off: len(c.keys), n: len(key), count: n})
			c.keys = append(c.keys, key...)
			c.slots[i] = uint32(len(c.ents))
			return
		}
		if e := &c.ents[s-1]; e.hash == h && string(c.key(e)) == string(key) {
			e.count += n
			return
		}
	}
}

// grow doubles the slots (at least 64) and places the entries again.
func (c *counter) grow() {
	c.slots = make([]uint32, max(64, 2*len(c.slots)))
	mask := uint64(len(c.slots) - 1)
	for k := range c.ents {
		i := c.ents[k].hash & mask
		for c.slots[i] != 0 {
			i = (i + 1) & mask
		}
		c.slots[i] = uint32(k + 1)
	}
}

// len returns how many keys were counted.
func (c *counter) len() int { return len(c.ents) }

// top returns the n largest counts (all if n is 0), most first, ties by
// key. It keeps the best n as it goes: a table of a million client
// addresses costs a pass, and a string only for a key that enters the
// list.
func (c *counter) top(n int) []Count {
	less := func(a, b Count) int { // a before b
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	}
	if n == 0 {
		out := make([]Count, 0, len(c.ents))
		for k := range c.ents {
			out = append(out, Count{string(c.key(&c.ents[k])), c.ents[k].count})
		}
		slices.SortFunc(out, less)
		return out
	}
	out := make([]Count, 0, min(len(c.ents), n))
	for k := range c.ents {
		e := &c.ents[k]
		if len(out) == n {
			last := out[n-1]
			if e.count < last.Count || e.count == last.Count && string(c.key(e)) >= last.Key {
				continue
			}
			out = out[:n-1]
		}
		x := Count{string(c.key(e)), e.count}
		i, _ := slices.BinarySearchFunc(out, x, less)
		out = slices.Insert(out, i, x)
	}
	return out
}

// plain returns c's keys and counts, for a cursor.
func (c *counter) plain() keyCounts {
	k := keyCounts{Keys: make([]string, 0, len(c.ents)), Counts: make([]int64, 0, len(c.ents))}
	for i := range c.ents {
		k.Keys = append(k.Keys, string(c.key(&c.ents[i])))
		k.Counts = append(k.Counts, c.ents[i].count)
	}
	return k
}

// counterOf makes the counter back from a cursor's keys and counts.
func counterOf(k keyCounts) *counter {
	c := newCounter()
	for i, key := range k.Keys {
		c.add([]byte(key), k.Counts[i])
	}
	return c
}
