package qmail

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestCounter: the counter's counts and top lists equal a map's, across
// its growth, with keys of every length (empty, and longer than a key
// block), and after a round trip through a cursor's encoding, which
// refuses damaged bytes.
func TestCounter(t *testing.T) {
	c, want := newCounter(), map[string]int64{}
	long := string(make([]byte, keyBlock+5))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		var k string
		switch x := r.IntN(100); {
		case x == 0:
			k = ""
		case x == 1:
			k = long
		case x < 50:
			k = "hot" + strconv.Itoa(r.IntN(20))
		default:
			k = "192.0.2." + strconv.Itoa(r.IntN(1<<20))
		}
		c.add([]byte(k), 1)
		want[k]++
	}
	if c.len() != len(want) {
		t.Fatalf("%d keys, want %d", c.len(), len(want))
	}
	check := func(name string, c *counter) {
		all := c.top(0)
		if len(all) != len(want) {
			t.Fatalf("%s: top(0) has %d keys, want %d", name, len(all), len(want))
		}
		for i, x := range all {
			if want[x.Key] != x.Count {
				t.Fatalf("%s: %q counted %d, want %d", name, x.Key, x.Count, want[x.Key])
			}
			if i > 0 && (all[i-1].Count < x.Count || all[i-1].Count == x.Count && all[i-1].Key >= x.Key) {
				t.Fatalf("%s: top(0) out of order at %d", name, i)
			}
		}
		if got := c.top(topN); !slices.Equal(got, all[:topN]) {
			t.Errorf("%s: top(%d) = %v, want %v", name, topN, got, all[:topN])
		}
	}
	check("counted", c)
	b := c.encode()
	r2 := &counter{}
	if err := r2.decode(b); err != nil {
		t.Fatal(err)
	}
	check("restored", r2)
	r2.add([]byte("hot1"), 1)
	r2.add([]byte("a new key"), 1)
	want["hot1"]++
	want["a new key"]++
	check("restored and counted", r2)
	for _, bad := range [][]byte{nil, {5}, b[:len(b)-1], append(b, 'x')} {
		if err := (&counter{}).decode(bad); err == nil {
			t.Errorf("decode of %d bytes: no error", len(bad))
		}
	}
	if len(want) < 50000 {
		t.Fatalf("only %d keys: the test does not grow the table much", len(want))
	}
}
