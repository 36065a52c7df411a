package query

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/tai64"
)

// lastLines returns the last n lines of out.
func lastLines(out string, n int) string {
	lines := strings.SplitAfter(out, "\n")
	lines = lines[:len(lines)-1] // after the last newline
	return strings.Join(lines[max(0, len(lines)-n):], "")
}

// TestLastMatchesTail: Config.Last prints the last lines of what the same
// query prints without it, as tail -n does, on logdirs of every shape:
// compressed archives, unstamped lines, a partial last line, a clock that
// steps back (then the logdir is read forwards), several logdirs merged,
// with patterns and ranges.
func TestLastMatchesTail(t *testing.T) {
	overShapes(t, 0.01, 4, 7, func(t *testing.T, seed uint64, r *rand.Rand, tc logdirShape, dirs []string, stamps []tai64.Time) {
		for range 30 {
			var cfg Config
			cfg.Since, cfg.Until = pickRange(r, stamps, 1, 3)
			switch r.IntN(3) {
			case 0:
				cfg.Match = MatchFixed([]string{"line 1"}, false)
			case 1:
				cfg.Match = MatchFixed([]string{"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, false)
			}
			cfg.Prefix = tc.n > 1
			all := runQuery(t, cfg, dirs)
			cfg.HasLast = true
			cfg.Last = []int{0, 1, 2, 10, 37, 500}[r.IntN(6)]
			want := lastLines(all, cfg.Last)
			if got := runQuery(t, cfg, dirs); got != want {
				t.Fatalf("seed %d, last %d of [%v, %v): got %d lines, want %d\n%s", seed, cfg.Last, cfg.Since, cfg.Until,
					strings.Count(got, "\n"), strings.Count(want, "\n"), firstDiff(got, want))
			}
		}
	})
}

// TestLastReadsBackwards: the last lines come from the end of a logdir
// without reading its history: an old archive that cannot be read is
// never opened for them (no warning), where a read of the whole range
// reports it.
func TestLastReadsBackwards(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "main")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(dir, 0o755))
	// A damaged zstd archive from 2026-01-02 10:00, then a plain one, then
	// current.
	must(os.WriteFile(filepath.Join(dir, tai64.FromUnix(1767340000, 0).String()+".s.zst"), []byte("\x28\xb5\x2f\xfd damaged\n"), 0o644))
	var plain, cur strings.Builder
	for i := range 100 {
		plain.WriteString(tai64.FromUnix(1767348000+int64(i), 0).String() + " old " + itoa(i) + "\n")
		cur.WriteString(tai64.FromUnix(1767349000+int64(i), 0).String() + " new " + itoa(i) + "\n")
	}
	must(os.WriteFile(filepath.Join(dir, tai64.FromUnix(1767348100, 0).String()+".s"), []byte(plain.String()), 0o644))
	must(os.WriteFile(filepath.Join(dir, "current"), []byte(cur.String()), 0o644))
	var warned []string
	cfg := Config{HasLast: true, Last: 3, Warn: func(err error) { warned = append(warned, err.Error()) }}
	got := runQuery(t, cfg, []string{dir})
	want := lastLines(cur.String(), 3)
	if got != want || len(warned) > 0 {
		t.Errorf("last 3: got %q and warnings %q, want %q and none", got, warned, want)
	}
	// 150 lines reach into the plain archive, not into the damaged one.
	cfg.Last = 150
	got = runQuery(t, cfg, []string{dir})
	want = lastLines(plain.String()+cur.String(), 150)
	if got != want || len(warned) > 0 {
		t.Errorf("last 150: got %d lines and warnings %q, want %d and none", strings.Count(got, "\n"), warned, 150)
	}
	cfg.HasLast = false
	runQuery(t, cfg, []string{dir})
	if len(warned) != 1 {
		t.Errorf("the whole range: warnings %q, want the damaged archive's", warned)
	}
}

// TestFollowLast: a follow with Last starts with the last lines, as tail
// -F does, then prints every line that comes, across a rotation; the
// history before them is not printed.
func TestFollowLast(t *testing.T) {
	dir := t.TempDir()
	m := newFakeMultilog(t, dir, 2)
	for range 50 {
		m.line()
	}
	m.rotate()
	for range 50 {
		m.line()
	}
	m.write(m.stamp().String() + " partial") // the writer is in the middle of a line
	w := &lineWriter{}
	f := startFollow(Config{Follow: true, HasLast: true, Last: 10, Poll: 5 * time.Millisecond}, dir, w)
	w.waitLines(t, 10, f.done)
	m.write(" end\n")
	m.rotate()
	for range 5 {
		m.line()
	}
	w.waitLines(t, 16, f.done)
	f.stop(t)
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	for i, l := range lines {
		want := " line " + itoa(91+i)
		switch {
		case i == 10:
			want = " partial end"
		case i > 10:
			want = " line " + itoa(90+i)
		}
		if !strings.HasSuffix(l, want) {
			t.Fatalf("line %d: %q, want it to end %q; all:\n%s", i, l, want, w.String())
		}
	}
	if len(lines) != 16 {
		t.Fatalf("%d lines, want 16:\n%s", len(lines), w.String())
	}
}

// TestProgressInsideFile: a query that spends its time in one long file
// moves its progress as it reads it, not only at the file's end.
func TestProgressInsideFile(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 100000 {
		b.WriteString(tai64.FromUnix(1_700_000_000+int64(i), 500).String() + " line\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "current"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var calls [][2]int64
	cfg := Config{Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }}
	runQuery(t, cfg, []string{dir})
	inside := 0
	for i, c := range calls {
		if c[0] > 0 && c[0] < c[1] {
			inside++
		}
		if i > 0 && c[0] < calls[i-1][0] {
			t.Fatalf("progress went back: %v", calls)
		}
	}
	if inside < 3 {
		t.Errorf("progress inside the file: %d calls (%v), want a few", inside, calls)
	}
}

// TestFollowSaysNothing: a follow from the end (-f -n 0) prints nothing
// until a line comes, and then that line alone.
func TestFollowSaysNothing(t *testing.T) {
	dir := t.TempDir()
	m := newFakeMultilog(t, dir, 3)
	for range 20 {
		m.line()
	}
	w := &lineWriter{}
	f := startFollow(Config{Follow: true, HasLast: true, Poll: 5 * time.Millisecond}, dir, w)
	// Lines come until the follower prints one: those written before it
	// read the logdir are history, and must not be printed.
	deadline := time.Now().Add(2 * time.Minute) // a hang detector
	for w.String() == "" && time.Now().Before(deadline) {
		m.line()
		time.Sleep(10 * time.Millisecond)
	}
	w.waitLines(t, 1, f.done)
	f.stop(t)
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	first, _ := strconv.Atoi(lines[0][strings.LastIndexByte(lines[0], ' ')+1:])
	if first <= 20 {
		t.Fatalf("history printed: %q", w.String())
	}
	for i, l := range lines {
		if !strings.HasSuffix(l, " line "+itoa(first+i)) {
			t.Fatalf("output %q, want consecutive lines from %d", w.String(), first)
		}
	}
}
