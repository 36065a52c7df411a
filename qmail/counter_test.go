package qmail

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// TestCounter: the counter's counts and top lists equal a map's, across
// its growth, with keys of every length (empty, and longer than a key
// block), and after a round trip through a cursor's table, merged with
// more counts.
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

	// A state file's table: c's keys in order, then merged with more
	// counts (some of keys it has, some new) in a walk.
	tabs := tableFile(t, c)
	more := newCounter()
	for _, k := range []string{"hot1", "a new key", "", long, "zzz"} {
		more.add([]byte(k), 3)
		want[k] += 3
	}
	var prev []byte
	seen := map[string]int64{}
	w := newTableWalk(tabs.reader(0), more)
	for w.next() {
		if prev != nil && string(prev) >= string(w.key) {
			t.Fatalf("walk out of order: %q after %q", w.key, prev)
		}
		prev = append(prev[:0], w.key...)
		seen[string(w.key)] = w.count
	}
	if err := w.err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(want) {
		t.Fatalf("walk: %d keys, want %d", len(seen), len(want))
	}
	for k, n := range want {
		if seen[k] != n {
			t.Fatalf("walk: %q counted %d, want %d", k, seen[k], n)
		}
	}
	all := tabs.mustTop(t, more, 0)
	if got, _ := tabs.top(0, more, topN, nil); !slices.Equal(got, all[:topN]) {
		t.Errorf("merged top(%d) = %v, want %v", topN, got, all[:topN])
	}
	if len(want) < 50000 {
		t.Fatalf("only %d keys: the test does not grow the table much", len(want))
	}
}

// tableFile writes c as a state file's table section (the only one) and
// returns it, open.
func tableFile(t *testing.T, c *counter) *tables {
	t.Helper()
	path := filepath.Join(t.TempDir(), "table")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	tt := &totals{failures: c}
	if err := tt.writeSection(w, secTables); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	tabs := &tables{f: f}
	tabs.sec[0].n = fi.Size()
	t.Cleanup(func() { f.Close() })
	return tabs
}

func (b *tables) mustTop(t *testing.T, c *counter, n int) []Count {
	t.Helper()
	got, err := b.top(0, c, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
