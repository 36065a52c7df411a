package qmail

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
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
	// slots: 0 is empty; else the entry's number (1 + its index) in the
	// low 32 bits and its hash's high 32 bits above, so that a probe
	// past another key rarely reads its entry.
	// A table of 2^32 slots or more would need more of the hash.
	slots []uint64
	// ents and keys grow in blocks, never copied: appending to one slice
	// of millions of entries cost more in copying than the counting.
	ents [][]centry
	keys [][]byte // key bytes, one block after another
	n    int      // entries
	seed maphash.Seed
	id   uint8 // its number among a Collector's counters, for background
}

const (
	entBlock = 4096
	keyBlock = 64 << 10
)

type centry struct {
	hash  uint64
	blk   uint32 // the key is keys[blk][off : off+n]
	off   uint32
	n     uint32
	count int64
}

func newCounter() *counter { return &counter{seed: maphash.MakeSeed()} }

func (c *counter) ent(i int) *centry { return &c.ents[i/entBlock][i%entBlock] }

func (c *counter) key(e *centry) []byte { return c.keys[e.blk][e.off : e.off+e.n] }

// store copies key into the arena and returns where it is.
func (c *counter) store(key []byte) (blk, off uint32) {
	k := len(c.keys) - 1
	if k < 0 || len(c.keys[k])+len(key) > cap(c.keys[k]) {
		c.keys = append(c.keys, make([]byte, 0, max(keyBlock, len(key))))
		k++
	}
	off = uint32(len(c.keys[k]))
	c.keys[k] = append(c.keys[k], key...)
	return uint32(k), off
}

// add counts key n times.
func (c *counter) add(key []byte, n int64) {
	h := maphash.Bytes(c.seed, key)
	if 2*c.n >= len(c.slots) {
		c.grow()
	}
	// A key's slot is chosen by the high half of its hash, kept in the
	// slot: grow can then place the entries again without reading them.
	tag := h >> 32
	mask := uint64(len(c.slots) - 1)
	for i := tag & mask; ; i = (i + 1) & mask {
		s := c.slots[i]
		if s == 0 {
			blk, off := c.store(key)
			c.push(centry{hash: h, blk: blk, off: off, n: uint32(len(key)), count: n})
			c.slots[i] = tag<<32 | uint64(c.n)
			return
		}
		if s>>32 != tag {
			continue
		}
		if e := c.ent(int(uint32(s)) - 1); e.hash == h && string(c.key(e)) == string(key) {
			e.count += n
			return
		}
	}
}

// has reports whether key was counted.
func (c *counter) has(key []byte) bool {
	if c.n == 0 {
		return false
	}
	h := maphash.Bytes(c.seed, key)
	tag := h >> 32
	mask := uint64(len(c.slots) - 1)
	for i := tag & mask; ; i = (i + 1) & mask {
		s := c.slots[i]
		if s == 0 {
			return false
		}
		if s>>32 == tag {
			if e := c.ent(int(uint32(s)) - 1); e.hash == h && string(c.key(e)) == string(key) {
				return true
			}
		}
	}
}

// push appends entry number c.n+1 (its slot is the caller's to set).
func (c *counter) push(e centry) {
	if c.n%entBlock == 0 {
		c.ents = append(c.ents, make([]centry, 0, entBlock))
	}
	b := &c.ents[len(c.ents)-1]
	*b = append(*b, e)
	c.n++
}

// grow doubles the slots (at least 64) and places the entries again.
func (c *counter) grow() { c.place(max(64, 2*len(c.slots))) }

// place makes size slots (a power of 2) and places the entries in them.
// They are placed in the order of their slots (a counting sort on the
// slot's top bits first): written at random, a table of millions of keys
// cost a cache miss per key.
func (c *counter) place(size int) {
	c.slots = make([]uint64, size)
	mask := uint64(size - 1)
	shift := max(0, bits.Len(uint(size-1))-16)
	start := make([]int, (size-1)>>shift+2)
	for k := 0; k < c.n; k++ {
		start[(c.ent(k).hash>>32&mask)>>shift+1]++
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	order := make([]uint64, c.n)
	for k := 0; k < c.n; k++ {
		h := c.ent(k).hash
		b := (h >> 32 & mask) >> shift
		order[start[b]] = h>>32<<32 | uint64(k+1)
		start[b]++
	}
	for _, s := range order {
		i := s >> 32 & mask
		for c.slots[i] != 0 {
			i = (i + 1) & mask
		}
		c.slots[i] = s
	}
}

// len returns how many keys were counted.
func (c *counter) len() int { return c.n }

// top returns the n largest counts (all if n is 0), most first, ties by
// key. It keeps the best n as it goes: a table of a million client
// addresses costs a pass, and a string only for a key that enters the
// list.
func (c *counter) top(n int) []Count {
	t := topList{n: n}
	for k := 0; k < c.n; k++ {
		e := c.ent(k)
		t.offer(c.key(e), e.count)
	}
	return t.list()
}

// topList keeps the n largest counts offered (all if n is 0).
type topList struct {
	n   int
	out []Count
}

// countBefore orders counts most first, ties by key.
func countBefore(a, b Count) int {
	if a.Count != b.Count {
		if a.Count > b.Count {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Key, b.Key)
}

func (t *topList) offer(key []byte, count int64) {
	if t.n == 0 {
		t.out = append(t.out, Count{string(key), count})
		return
	}
	if len(t.out) == t.n {
		last := t.out[t.n-1]
		if count < last.Count || count == last.Count && string(key) >= last.Key {
			return
		}
		t.out = t.out[:t.n-1]
	}
	x := Count{string(key), count}
	i, _ := slices.BinarySearchFunc(t.out, x, countBefore)
	t.out = slices.Insert(t.out, i, x)
}

func (t *topList) list() []Count {
	if t.n == 0 {
		slices.SortFunc(t.out, countBefore)
	}
	if t.out == nil {
		return []Count{}
	}
	return t.out
}

// sorted returns c's entries' numbers in the order of their keys' bytes,
// the order a state file keeps them in. The sort compares the keys'
// first 8 bytes, kept beside the numbers, and reads the arena only on a
// tie: a comparison that read two keys at random cost two cache misses.
func (c *counter) sorted() []uint32 {
	type ord struct {
		pre uint64
		k   uint32
	}
	o := make([]ord, c.n)
	for k := range o {
		var p [8]byte
		copy(p[:], c.key(c.ent(k)))
		o[k] = ord{binary.BigEndian.Uint64(p[:]), uint32(k)}
	}
	slices.SortFunc(o, func(a, b ord) int {
		if a.pre != b.pre {
			if a.pre < b.pre {
				return -1
			}
			return 1
		}
		return bytes.Compare(c.key(c.ent(int(a.k))), c.key(c.ent(int(b.k))))
	})
	out := make([]uint32, c.n)
	for i, x := range o {
		out[i] = x.k
	}
	return out
}

// varints reads what binary.AppendUvarint and AppendVarint wrote. A
// malformed or missing number reads as 0 and sets bad.
type varints struct {
	b   []byte
	bad bool
}

func (v *varints) uint() uint64 {
	x, k := binary.Uvarint(v.b)
	if k <= 0 {
		v.bad = true
		return 0
	}
	v.b = v.b[k:]
	return x
}

// int reads a varint: a uvarint of the number zig-zagged, as
// binary.Varint reads it.
func (v *varints) int() int64 {
	u := v.uint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// count reads a number of things or bytes still to read: at most the
// bytes left, so that a damaged one cannot make a huge allocation.
func (v *varints) count() int {
	x := v.uint()
	if x > uint64(len(v.b)) {
		v.bad = true
		return 0
	}
	return int(x)
}
