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
