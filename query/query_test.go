package query

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// pickTime chooses a range bound: on a stamp, next to one, or outside the
// data.
func pickTime(r *rand.Rand, stamps []tai64.Time) tai64.Time {
	if len(stamps) == 0 || r.IntN(10) == 0 {
		if r.IntN(2) == 0 {
			return tai64.FromUnix(1000, 0) // before all
		}
		return tai64.FromUnix(1767225600+10*86400, 0) // after all
	}
	t := stamps[r.IntN(len(stamps))]
	switch r.IntN(3) {
	case 0:
		if t.Nsec > 0 {
			t.Nsec--
		}
	case 1:
		t.Nsec++
	}
	return t
}

func runQuery(t *testing.T, cfg Config, dirs []string) string {
	t.Helper()
	var out bytes.Buffer
	if _, err := Run(context.Background(), cfg, dirs, &out); err != nil {
		t.Fatalf("Run(%v): %v", dirs, err)
	}
	return out.String()
}

// logdirShape is a shape of n logdirs for the tests that read them two
// ways and compare.
type logdirShape struct {
	name string
	o    genOpts
	n    int // logdirs
}

// logdirShapes are the shapes the comparing tests run over; inFile is the
// clock-steps-back shape's chance of a step back inside a file, where the
// comparison allows one.
func logdirShapes(inFile float64) []logdirShape {
	return []logdirShape{
		{"plain", genOpts{archives: 6, maxLines: 400}, 1},
		{"small files", genOpts{archives: 30, maxLines: 5}, 1},
		{"compressed", genOpts{archives: 6, maxLines: 300, compressed: true}, 1},
		{"unstamped lines", genOpts{archives: 5, maxLines: 300, unstamped: 0.1}, 1},
		{"mostly unstamped", genOpts{archives: 4, maxLines: 50, unstamped: 0.9}, 1},
		{"clock steps back", genOpts{archives: 12, maxLines: 200, stepBack: 0.3, inFile: inFile, compressed: true}, 1},
		{"partial last line", genOpts{archives: 3, maxLines: 300, partialLast: true}, 1},
		{"empty current", genOpts{archives: 3, maxLines: 300, emptyCurrent: true}, 1},
		{"previous", genOpts{archives: 3, maxLines: 300, previous: true}, 1},
		{"no archives", genOpts{maxLines: 2000}, 1},
		{"merged", genOpts{archives: 4, maxLines: 300, compressed: true, unstamped: 0.02}, 3},
	}
}

// overShapes runs check on logdirs of every shape (see logdirShapes),
// drawn from seeds random streams, with bisection down to small files.
func overShapes(t *testing.T, inFile float64, seeds, stream uint64, check func(t *testing.T, seed uint64, r *rand.Rand, s logdirShape, dirs []string, stamps []tai64.Time)) {
	defer func(n int64) { bisectMin = n }(bisectMin)
	bisectMin = 256 // bisect even small files
	for _, s := range logdirShapes(inFile) {
		t.Run(s.name, func(t *testing.T) {
			for seed := range seeds {
				r := rand.New(rand.NewPCG(seed, stream))
				var dirs []string
				var stamps []tai64.Time
				for range s.n {
					d, st := genLogdir(t, r, s.o)
					dirs = append(dirs, d)
					stamps = append(stamps, st...)
				}
				check(t, seed, r, s, dirs, stamps)
			}
		})
	}
}

// pickRange draws a range from stamps: each bound is set with chance k in
// n (else open), and since is before until.
func pickRange(r *rand.Rand, stamps []tai64.Time, k, n int) (since, until tai64.Time) {
	if r.IntN(n) < k {
		since = pickTime(r, stamps)
	}
	if r.IntN(n) < k {
		until = pickTime(r, stamps)
	}
	if !isZero(until) && !since.Before(until) {
		since, until = until, since
		if since == until {
			until = tai64.Time{}
		}
	}
	return since, until
}

func TestRunMatchesBruteForce(t *testing.T) {
	// The full search gives the brute force's lines only where each file
	// is in order: no clock step back inside a file.
	overShapes(t, 0, 5, 1, func(t *testing.T, seed uint64, r *rand.Rand, tc logdirShape, dirs []string, stamps []tai64.Time) {
		for range 30 {
			var cfg Config
			cfg.Since, cfg.Until = pickRange(r, stamps, 4, 5)
			cfg.Prefix = tc.n > 1
			per := make([][]bruteLine, len(dirs))
			for i, d := range dirs {
				per[i] = bruteForce(t, d, cfg.Since, cfg.Until)
			}
			want := bruteMerge(dirs, per, cfg.Prefix)
			if got := runQuery(t, cfg, dirs); got != want {
				t.Fatalf("seed %d, range [%v, %v): got %d lines, want %d\n%s", seed, cfg.Since, cfg.Until,
					strings.Count(got, "\n"), strings.Count(want, "\n"), firstDiff(got, want))
			}
			cfg.Scan = true
			if got := runQuery(t, cfg, dirs); got != want {
				t.Fatalf("scan: seed %d, range [%v, %v): got %d lines, want %d\n%s", seed, cfg.Since, cfg.Until,
					strings.Count(got, "\n"), strings.Count(want, "\n"), firstDiff(got, want))
			}
		}
	})
}

// firstDiff shows where two outputs part.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return "line " + itoa(i) + ":\n got: " + g[i] + "\nwant: " + w[i]
		}
	}
	return "one is a prefix of the other"
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestRunDisorderInFile: with the clock stepping back inside files, Scan
// gives exactly the full scan; the default search prints only lines of the
// range, each once, in an order that keeps each file's own order where it
// was found in order, and never more than the full scan.
func TestRunDisorderInFile(t *testing.T) {
	defer func(n int64) { bisectMin = n }(bisectMin)
	bisectMin = 256
	for seed := range uint64(12) {
		r := rand.New(rand.NewPCG(seed, 7))
		dir, stamps := genLogdir(t, r, genOpts{archives: 5, maxLines: 300, inFile: 0.01, compressed: seed%2 == 0, unstamped: 0.02})
		for range 40 {
			cfg := Config{Since: pickTime(r, stamps), Until: pickTime(r, stamps)}
			if !cfg.Since.Before(cfg.Until) {
				cfg.Since, cfg.Until = cfg.Until, cfg.Since
				if cfg.Since == cfg.Until {
					cfg.Until = tai64.Time{}
				}
			}
			want := bruteMerge([]string{dir}, [][]bruteLine{bruteForce(t, dir, cfg.Since, cfg.Until)}, false)
			got := runQuery(t, cfg, []string{dir})
			wantSet := map[string]int{}
			for _, l := range strings.SplitAfter(want, "\n") {
				wantSet[l]++
			}
			for _, l := range strings.SplitAfter(got, "\n") {
				if wantSet[l] == 0 {
					t.Fatalf("seed %d, [%v, %v): line %q printed but not in range, or twice", seed, cfg.Since, cfg.Until, l)
				}
				wantSet[l]--
			}
			cfg.Scan = true
			if got := runQuery(t, cfg, []string{dir}); got != want {
				t.Fatalf("scan: seed %d: got %d lines, want %d\n%s", seed, strings.Count(got, "\n"), strings.Count(want, "\n"), firstDiff(got, want))
			}
		}
	}
}

// TestStampOfAgreesWithParse: a line that starts with '@' is stamped
// exactly when tai64.Parse reads a label there.
func TestStampOfAgreesWithParse(t *testing.T) {
	for _, in := range []string{
		"@400000006956170f35c69fdc x", "@400000006956170F35C69FDC", "@400000006956170f35c69fd", "@40000000695617g035c69fdc",
		"400000006956170f35c69fdcx", "@ffffffffffffffffffffffff", "@000000000000000000000000", "",
	} {
		want, _, err := tai64.Parse([]byte(in))
		got, ok := stampOf([]byte(in))
		if ok != (err == nil) || ok && got != want {
			t.Errorf("stampOf(%q) = %v, %v; tai64.Parse gives %v, %v", in, got, ok, want, err)
		}
	}
}

func TestLinesMatchesRun(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	d1, s1 := genLogdir(t, r, genOpts{archives: 4, maxLines: 200, compressed: true, unstamped: 0.05})
	d2, s2 := genLogdir(t, r, genOpts{archives: 3, maxLines: 200})
	dirs := []string{d1, d2}
	stamps := append(s1, s2...)
	for range 20 {
		cfg := Config{Since: pickTime(r, stamps), Match: MatchFixed([]string{"1"}, false)}
		want := runQuery(t, cfg, dirs)
		var got strings.Builder
		for l, err := range Lines(context.Background(), cfg, dirs) {
			if err != nil {
				t.Fatal(err)
			}
			got.Write(l.Text)
			got.WriteByte('\n')
		}
		if got.String() != want {
			t.Fatalf("Lines and Run differ:\n%s", firstDiff(got.String(), want))
		}
	}
	n := 0
	for range Lines(context.Background(), Config{}, dirs) {
		if n++; n == 3 {
			break
		}
	}
	for l, err := range Lines(context.Background(), Config{}, []string{filepath.Join(d1, "nope")}) {
		if l != nil || err == nil {
			t.Fatalf("Lines on a missing logdir gave %v, %v; want an error", l, err)
		}
	}
}

// TestProgress: Config.Progress sees the bytes of the chosen files grow to
// their total, ending with done == total.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	base := tai64.FromUnix(1_700_000_000, 0)
	for i := 0; i < 3; i++ {
		var b strings.Builder
		for j := 0; j < 10; j++ {
			b.WriteString(tai64.FromUnix(1_700_000_000+int64(i*100+j), 500).String() + " line\n")
		}
		name := "current"
		if i < 2 {
			name = rotate.ArchiveName(tai64.FromUnix(base.Time().Unix()+int64(i*100+50), 0), 's')
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0644); err != nil {
			t.Fatal(err)
		}
	}
	var calls [][2]int64
	cfg := Config{Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }}
	if _, err := Run(context.Background(), cfg, []string{dir}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(calls) < 2 {
		t.Fatalf("Progress called %d times", len(calls))
	}
	last := calls[len(calls)-1]
	if last[0] != last[1] || last[1] == 0 {
		t.Errorf("last Progress(%d, %d), want done == total > 0", last[0], last[1])
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] || calls[i][1] != last[1] {
			t.Errorf("Progress calls %v: done must grow, total stay", calls)
			break
		}
	}
}

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
