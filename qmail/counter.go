package qmail

import (
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
		out := make([]Count, 0, c.n)
		for k := 0; k < c.n; k++ {
			e := c.ent(k)
			out = append(out, Count{string(c.key(e)), e.count})
		}
		slices.SortFunc(out, less)
		return out
	}
	out := make([]Count, 0, min(c.n, n))
	for k := 0; k < c.n; k++ {
		e := c.ent(k)
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

// encode writes c compactly for a cursor: the number of keys, each
// key's length and count, then the keys' bytes one after another. A gob
// of strings and counts took seconds to write and read back for a table
// of a few million SMTP clients.
func (c *counter) encode() []byte {
	size := binary.MaxVarintLen64 + 3*c.n
	for _, blk := range c.keys {
		size += len(blk)
	}
	b := binary.AppendUvarint(make([]byte, 0, size), uint64(c.n))
	for k := 0; k < c.n; k++ {
		e := c.ent(k)
		b = binary.AppendUvarint(b, uint64(e.n))
		b = binary.AppendVarint(b, e.count)
	}
	for k := 0; k < c.n; k++ {
		b = append(b, c.key(c.ent(k))...)
	}
	return b
}

// decode reads what encode wrote. The keys' bytes become the
// counter's first key block as they are.
func (c *counter) decode(b []byte) error {
	*c = counter{seed: maphash.MakeSeed()}
	v := varints{b: b}
	n := v.count()
	lens, counts := make([]int, n), make([]int64, n)
	total := 0
	for i := range lens {
		lens[i], counts[i] = v.count(), v.int()
		total += lens[i]
	}
	b = v.b
	if v.bad || total != len(b) || total > 1<<32-1 {
		return ErrState
	}
	c.keys = [][]byte{b[:len(b):len(b)]}
	off := 0
	for i := range lens {
		h := maphash.Bytes(c.seed, b[off:off+lens[i]])
		c.push(centry{hash: h, off: uint32(off), n: uint32(lens[i]), count: counts[i]})
		off += lens[i]
	}
	c.place(max(64, 1<<bits.Len(uint(2*n))))
	return nil
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
