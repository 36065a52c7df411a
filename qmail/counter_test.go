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
	var all topList
	if err := mergeTable(nil, tabs.reader(0), more, more.sorted(), &all, nil); err != nil {
		t.Fatal(err)
	}
	got := all.list()
	if len(got) != len(want) {
		t.Fatalf("merged: %d keys, want %d", len(got), len(want))
	}
	for _, x := range got {
		if want[x.Key] != x.Count {
			t.Fatalf("merged: %q counted %d, want %d", x.Key, x.Count, want[x.Key])
		}
	}
	// The top n from the keys counted and the old top n only.
	old := c.top(topN)
	if top, err := tabs.top(0, more, topN, old); err != nil || !slices.Equal(top, got[:topN]) {
		t.Errorf("merged top(%d) = %v, %v; want %v", topN, top, err, got[:topN])
	}
	// Written and read again: the same.
	tabs2 := tableFile(t, more, tabs)
	var again topList
	if err := mergeTable(nil, tabs2.reader(0), newCounter(), nil, &again, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.list(), got) {
		t.Errorf("the merged table written and read again differs")
	}
	if len(want) < 50000 {
		t.Fatalf("only %d keys: the test does not grow the table much", len(want))
	}
}

// tableFile writes c, merged with base's table if any, as a state file's
// table section (the only one) and returns it, open.
func tableFile(t *testing.T, c *counter, base ...*tables) *tables {
	t.Helper()
	path := filepath.Join(t.TempDir(), "table")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	tt := &totals{failures: c}
	if len(base) > 0 {
		tt.base = &tables{f: base[0].f}
		tt.base.sec[secTables] = base[0].sec[0]
	}
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
