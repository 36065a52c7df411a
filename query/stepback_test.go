package query

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/multilog"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/rotate/compress"
	"github.com/mlog/mlog/tai64"
)

// These tests drive our multilog in-process with a clock that steps back
// (1 s to 1 day, at random points: inside a file, between a file and the
// next, across a restart and a crash), then check what the reader relies
// on: every file's stamps in order, every archive's name at or after its
// stamps, names in written order; and that every range query prints
// exactly what a brute-force read of every line prints.

// stepOpts shapes a logdir written by multilog under a stepping clock.
type stepOpts struct {
	lines     int     // lines of input in all
	size      int     // multilog's s
	back      float64 // chance per chunk that the clock steps back
	compress  bool    // zgzip: some archives are compressed
	selecting bool    // a script with - and +: the per-line path
	processor bool    // !cat: archives made through previous and processed
	iso       bool    // i instead of t
	sessions  int     // runs of multilog over the logdir, some ending in a crash
}

// stepClock is the fake clock multilog reads.
type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }

// stepBackBy returns a step back of 1 s to 1 day, log-uniform, with a
// random sub-second part.
func stepBackBy(r *rand.Rand) time.Duration {
	s := math.Exp(r.Float64() * math.Log(86400))
	return time.Duration(s*float64(time.Second)) + time.Duration(r.IntN(1e9))
}

// chunkReader returns its input a random piece at a time, moving the
// clock before each piece: forward a little, or back by 1 s to 1 day.
type chunkReader struct {
	r     *rand.Rand
	clock *stepClock
	in    []byte
	back  float64
	backs int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	if c.r.Float64() < c.back {
		c.clock.now = c.clock.now.Add(-stepBackBy(c.r))
		c.backs++
	} else {
		c.clock.now = c.clock.now.Add(time.Duration(c.r.IntN(3e9)))
	}
	n := min(len(p), len(c.in), 1+c.r.IntN(1500))
	copy(p, c.in[:n])
	c.in = c.in[n:]
	return n, nil
}

// genStepLogdir runs multilog over a logdir with a clock that steps back
// and returns the logdir, the number of steps back and of crashes.
func genStepLogdir(t *testing.T, r *rand.Rand, o stepOpts) (dir string, backs, crashes int) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "log")
	script := []string{"t"}
	if o.iso {
		script[0] = "i"
	}
	script = append(script, "s"+strconv.Itoa(o.size), "n10000")
	if o.compress {
		script = append(script, "zgzip")
	}
	if o.processor {
		script = append(script, "!cat")
	}
	if o.selecting {
		script = append(script, "-*7", "+*77")
	}
	script = append(script, dir)
	clock := &stepClock{now: time.Unix(1767225600, 0)}
	var lc rotate.Config
	lc.Now = clock.Now
	lc.Warn = func(err error) { t.Errorf("multilog warning: %v", err) }
	// The compressor reads the archive on stdin and writes the compressed
	// temporary on stdout (multilog opens both); the method is appended.
	lc.CompressCommand = []string{"/bin/sh", "-c", "exec gzip -c", "sh"}
	seq := 0
	for s := range o.sessions {
		var in bytes.Buffer
		for range o.lines / o.sessions {
			seq++
			fmt.Fprintf(&in, "line %s %06d\n", strings.Repeat("x", r.IntN(100)), seq)
		}
		cr := &chunkReader{r: r, clock: clock, in: in.Bytes(), back: o.back}
		l, err := multilog.Open(multilog.Config{Script: mustScript(t, script), Stdin: cr, Now: clock.Now, Logdir: lc})
		if err != nil {
			t.Fatal(err)
		}
		l.Run()
		backs += cr.backs
		if s < o.sessions-1 && r.IntN(2) == 0 {
			// A crash: current not marked finished, so the next Open
			// archives it as .u.
			crashes++
			if err := os.Chmod(filepath.Join(dir, "current"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if r.IntN(2) == 0 {
			clock.now = clock.now.Add(-stepBackBy(r)) // across the restart
			backs++
		}
	}
	return dir, backs, crashes
}

// stepFile is one file of a logdir in written (name) order, decoded.
type stepFile struct {
	name  string
	stamp tai64.Time // archives: the name's
	lines []string
}

// stepFiles reads every file of a logdir that holds lines, archives in
// name order (the plain one where a compressed copy exists too), then
// current.
func stepFiles(t *testing.T, dir string) []stepFile {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var archives []rotate.Archive
	for _, e := range ents {
		if a, ok := rotate.ParseArchiveName(e.Name()); ok {
			archives = append(archives, a)
		}
	}
	slices.SortFunc(archives, func(a, b rotate.Archive) int { return strings.Compare(a.Name, b.Name) })
	var out []stepFile
	for i, a := range archives {
		if i > 0 && a.Stamp == archives[i-1].Stamp && a.Code == archives[i-1].Code {
			continue
		}
		out = append(out, stepFile{name: a.Name, stamp: a.Stamp, lines: readLines(t, filepath.Join(dir, a.Name), a.Compression)})
	}
	return append(out, stepFile{name: "current", lines: readLines(t, filepath.Join(dir, "current"), rotate.None)})
}

func readLines(t *testing.T, path string, c rotate.Compression) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rc, err := compress.NewReader(c, f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// testStamp reads the stamp multilog's t or i put at the start of line.
func testStamp(t *testing.T, line string, iso bool) tai64.Time {
	t.Helper()
	if !iso {
		st, _, err := tai64.Parse([]byte(line))
		if err != nil {
			t.Fatalf("line without a label: %q", line)
		}
		return st
	}
	tm, err := time.Parse("2006-01-02T15:04:05.000000Z", line[:min(len(line), 27)])
	if err != nil {
		t.Fatalf("line without an ISO stamp: %q", line)
	}
	return tai64.Stamp(tm)
}

// TestStepBackFilesInOrder: after steps back of 1 s to 1 day anywhere,
// every file's stamps are in order, every archive's name is at or after
// every stamp in it, and the files in name order hold every line once, in
// the order written.
func TestStepBackFilesInOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     stepOpts
		seeds uint64
	}{
		{"t", stepOpts{lines: 3000, size: 4096, back: 0.05, sessions: 3}, 3},
		{"i", stepOpts{lines: 3000, size: 4096, back: 0.05, sessions: 3, iso: true}, 2},
		{"compressed", stepOpts{lines: 2000, size: 6000, back: 0.05, sessions: 3, compress: true}, 2},
		{"selecting", stepOpts{lines: 3000, size: 4096, back: 0.05, sessions: 3, selecting: true}, 3},
		{"processor", stepOpts{lines: 1000, size: 4096, back: 0.05, sessions: 2, processor: true}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range tc.seeds {
				r := rand.New(rand.NewPCG(seed, 14))
				dir, backs, crashes := genStepLogdir(t, r, tc.o)
				if backs == 0 {
					t.Fatalf("seed %d: the clock never stepped back", seed)
				}
				files := stepFiles(t, dir)
				if len(files) < 10 {
					t.Fatalf("seed %d: %d files, want many", seed, len(files))
				}
				unfinished, compressed := 0, 0
				for _, f := range files {
					if strings.HasSuffix(f.name, ".u") {
						unfinished++
					}
					if strings.HasSuffix(f.name, ".gz") {
						compressed++
					}
				}
				if crashes > 0 && unfinished == 0 || tc.o.compress && compressed == 0 {
					t.Fatalf("seed %d: %d .u after %d crashes, %d compressed archives", seed, unfinished, crashes, compressed)
				}
				lastSeq := 0
				for fi, f := range files {
					var prev tai64.Time
					for _, line := range f.lines {
						st := testStamp(t, line, tc.o.iso)
						if st.Before(prev) {
							t.Fatalf("seed %d: %s: stamp %v after %v: a file's stamps go backwards", seed, f.name, st, prev)
						}
						prev = st
						if f.name != "current" && f.stamp.Before(st) {
							t.Fatalf("seed %d: archive %s holds a later stamp %v", seed, f.name, st)
						}
						n, _ := strconv.Atoi(line[len(line)-6:])
						if n <= lastSeq {
							t.Fatalf("seed %d: %s (file %d of %d): line %d after line %d: names not in written order", seed, f.name, fi, len(files), n, lastSeq)
						}
						if tc.o.selecting {
							for lastSeq++; lastSeq < n; lastSeq++ {
								if !strings.HasSuffix(strconv.Itoa(lastSeq), "7") || strings.HasSuffix(strconv.Itoa(lastSeq), "77") {
									t.Fatalf("seed %d: line %d missing", seed, lastSeq)
								}
							}
						} else if n != lastSeq+1 {
							t.Fatalf("seed %d: line %d missing", seed, lastSeq+1)
						}
						lastSeq = n
					}
				}
				if lastSeq != tc.o.lines/tc.o.sessions*tc.o.sessions {
					t.Fatalf("seed %d: last line %d, want %d", seed, lastSeq, tc.o.lines)
				}
			}
		})
	}
}

// TestStepBackQueryMatchesBruteForce: on logdirs our multilog wrote while
// the clock stepped back by 1 s to 1 day at random points, every range
// query prints exactly the lines a brute-force read of every line of every
// file finds in the range, in written order (files in name order, lines in
// file order), with bisection on (small bisectMin) and as shipped.
func TestStepBackQueryMatchesBruteForce(t *testing.T) {
	defer func(n int64) { bisectMin = n }(bisectMin)
	for _, tc := range []struct {
		name  string
		o     stepOpts
		seeds uint64
	}{
		{"small files", stepOpts{lines: 4000, size: 4096, back: 0.05, sessions: 3}, 3},
		{"compressed", stepOpts{lines: 3000, size: 6000, back: 0.05, sessions: 3, compress: true}, 2},
		{"large files", stepOpts{lines: 8000, size: 60000, back: 0.03, sessions: 2}, 3},
		{"selecting", stepOpts{lines: 4000, size: 8192, back: 0.05, sessions: 2, selecting: true}, 2},
		// i's stamps: the reader must read them as the writer compares
		// them (the label of the same microsecond).
		{"iso", stepOpts{lines: 3000, size: 6000, back: 0.05, sessions: 2, iso: true}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range tc.seeds {
				r := rand.New(rand.NewPCG(seed, 41))
				dir, _, _ := genStepLogdir(t, r, tc.o)
				all := bruteForce(t, dir, tai64.Time{}, tai64.Time{}) // every line, with its time
				var stamps []tai64.Time
				for _, l := range all {
					stamps = append(stamps, l.t)
				}
				for q := range 60 {
					bisectMin = 16 << 10
					if q%2 == 0 {
						bisectMin = 256
					}
					cfg := Config{Since: pickTime(r, stamps), Until: pickTime(r, stamps)}
					if r.IntN(8) == 0 {
						// A wide range: a day's step back from a random stamp.
						cfg.Until = tai64.FromTime(cfg.Since.Time().Add(24 * time.Hour))
					}
					if !cfg.Since.Before(cfg.Until) {
						cfg.Since, cfg.Until = cfg.Until, cfg.Since
						if cfg.Since == cfg.Until {
							cfg.Until = tai64.Time{}
						}
					}
					rng := timeRange{since: cfg.Since, until: cfg.Until}
					var in []bruteLine
					for _, l := range all {
						if rng.contains(l.t) {
							in = append(in, l)
						}
					}
					want := bruteMerge([]string{dir}, [][]bruteLine{in}, false)
					if got := runQuery(t, cfg, []string{dir}); got != want {
						t.Fatalf("seed %d, range [%v, %v), bisectMin %d: got %d lines, want %d\n%s", seed, cfg.Since, cfg.Until, bisectMin,
							strings.Count(got, "\n"), strings.Count(want, "\n"), firstDiff(got, want))
					}
				}
			}
		})
	}
}

// mustScript parses a multilog script the test knows to be good.
func mustScript(t *testing.T, args []string) *multilog.Script {
	t.Helper()
	s, err := multilog.ParseScript(args)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
