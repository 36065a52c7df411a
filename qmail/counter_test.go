package qmail

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
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
	if err := mergeTable(nil, nil, tabs.reader(0), more, more.sorted(), &all, nil); err != nil {
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
	// The edits a merge finds make the section what the merge writes.
	checkEdits(t, tabs, func(w *bufio.Writer, ed *edits) error {
		return mergeTable(w, ed, tabs.reader(0), more, more.sorted(), nil, nil)
	})
	// The top n from the keys counted and the old top n only.
	old := c.top(topN)
	if top, err := tabs.top(0, more, topN, old); err != nil || !slices.Equal(top, got[:topN]) {
		t.Errorf("merged top(%d) = %v, %v; want %v", topN, top, err, got[:topN])
	}
	// Written and read again: the same.
	tabs2 := tableFile(t, more, tabs)
	var again topList
	if err := mergeTable(nil, nil, tabs2.reader(0), newCounter(), nil, &again, nil); err != nil {
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

// checkEdits checks that the edits merge records for the section of tabs
// make it byte for byte what merge writes.
func checkEdits(t *testing.T, tabs *tables, merge func(*bufio.Writer, *edits) error) {
	t.Helper()
	var viaEdits, merged bytes.Buffer
	ed := &edits{}
	if err := merge(nil, ed); err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(&viaEdits)
	if err := ed.apply(w, tabs.f, tabs.sec[0].off, tabs.sec[0].n); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	w = bufio.NewWriter(&merged)
	if err := merge(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if !bytes.Equal(viaEdits.Bytes(), merged.Bytes()) {
		t.Fatalf("the section edited (%d bytes, %d edits) differs from the merged one (%d bytes)", viaEdits.Len(), len(ed.at), merged.Len())
	}
}

// TestSampleMerge: samples merged from a section and more, sorted, are
// every sample in order, with Summarize's distribution; the section
// edited as the merge finds is what the merge writes.
func TestSampleMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, size := range [][2]int{{0, 5}, {5, 0}, {1, 1}, {1000, 3}, {3, 1000}, {200000, 700}} {
		var base, delta []time.Duration
		for range size[0] {
			base = append(base, time.Duration(r.IntN(1<<r.IntN(40))))
		}
		for range size[1] {
			delta = append(delta, time.Duration(r.IntN(1<<r.IntN(40))))
		}
		if size[1] > 0 {
			delta = append(delta, 0, base0(base)) // ties with the base's
		}
		slices.Sort(base)
		slices.Sort(delta)
		path := filepath.Join(t.TempDir(), "samples")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		if err := (&sampleMerge{}).run(w, nil, nil, base); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		fi, _ := f.Stat()
		tabs := &tables{f: f}
		tabs.sec[0].n = fi.Size()
		m := sampleMerge{keep: true}
		if err := m.run(nil, nil, tabs.reader(0), delta); err != nil {
			t.Fatal(err)
		}
		want := slices.Sorted(slices.Values(append(slices.Clone(base), delta...)))
		if !slices.Equal(m.all, want) {
			t.Fatalf("%v: merged samples differ", size)
		}
		if got, w := m.dist(), Summarize(want); got != w {
			t.Fatalf("%v: dist %+v, want %+v", size, got, w)
		}
		checkEdits(t, tabs, func(w *bufio.Writer, ed *edits) error {
			return (&sampleMerge{}).run(w, ed, tabs.reader(0), delta)
		})
		f.Close()
	}
}

func base0(b []time.Duration) time.Duration {
	if len(b) == 0 {
		return 7
	}
	return b[len(b)/2]
}
