package query

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// stepCase is a logdir our multilog writes under a stepping clock, drawn
// from seeds random streams.
type stepCase struct {
	name  string
	o     stepOpts
	seeds uint64
}

// overStepLogdirs runs check, in a subtest per case, on each logdir of
// cases, drawn from stream: backs and crashes say how often the clock
// stepped back and multilog was killed while writing it.
func overStepLogdirs(t *testing.T, cases []stepCase, stream uint64, check func(t *testing.T, seed uint64, r *rand.Rand, tc stepCase, dir string, backs, crashes int)) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range tc.seeds {
				r := rand.New(rand.NewPCG(seed, stream))
				dir, backs, crashes := genStepLogdir(t, r, tc.o)
				check(t, seed, r, tc, dir, backs, crashes)
			}
		})
	}
}

// TestStepBackFilesInOrder: after steps back of 1 s to 1 day anywhere,
// every file's stamps are in order, every archive's name is at or after
// every stamp in it, and the files in name order hold every line once, in
// the order written.
func TestStepBackFilesInOrder(t *testing.T) {
	cases := []stepCase{
		{"t", stepOpts{lines: 3000, size: 4096, back: 0.05, sessions: 3}, 3},
		{"i", stepOpts{lines: 3000, size: 4096, back: 0.05, sessions: 3, iso: true}, 2},
		{"compressed", stepOpts{lines: 2000, size: 6000, back: 0.05, sessions: 3, compress: true}, 2},
		{"selecting", stepOpts{lines: 3000, size: 4096, back: 0.05, sessions: 3, selecting: true}, 3},
		{"processor", stepOpts{lines: 1000, size: 4096, back: 0.05, sessions: 2, processor: true}, 2},
	}
	overStepLogdirs(t, cases, 14, func(t *testing.T, seed uint64, r *rand.Rand, tc stepCase, dir string, backs, crashes int) {
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
	})
}

// TestStepBackQueryMatchesBruteForce: on logdirs our multilog wrote while
// the clock stepped back by 1 s to 1 day at random points, every range
// query prints exactly the lines a brute-force read of every line of every
// file finds in the range, in written order (files in name order, lines in
// file order), with bisection on (small bisectMin) and as shipped.
func TestStepBackQueryMatchesBruteForce(t *testing.T) {
	defer func(n int64) { bisectMin = n }(bisectMin)
	cases := []stepCase{
		{"small files", stepOpts{lines: 4000, size: 4096, back: 0.05, sessions: 3}, 3},
		{"compressed", stepOpts{lines: 3000, size: 6000, back: 0.05, sessions: 3, compress: true}, 2},
		{"large files", stepOpts{lines: 8000, size: 60000, back: 0.03, sessions: 2}, 3},
		{"selecting", stepOpts{lines: 4000, size: 8192, back: 0.05, sessions: 2, selecting: true}, 2},
		// i's stamps: the reader must read them as the writer compares
		// them (the label of the same microsecond).
		{"iso", stepOpts{lines: 3000, size: 6000, back: 0.05, sessions: 2, iso: true}, 2},
	}
	overStepLogdirs(t, cases, 41, func(t *testing.T, seed uint64, r *rand.Rand, tc stepCase, dir string, backs, crashes int) {
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
	})
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

// These tests drive our multilog in-process with a clock that steps back,
// compressing its archives, while a follow or a run of cursor queries
// reads the logdir, and arrange that the file the reader was in is
// compressed (a new inode) before the reader gets back to it. After a step
// back, the files after it hold lines stamped earlier than the reader's
// last one: a reader that resumed by time would skip them.

// stepInput is multilog's stdin: its input a random piece at a time, the
// clock moved before each piece (forward a little, or back by 1 s to 1
// day), and hook called before each piece with the number of complete
// lines handed out so far. multilog writes everything it read before it
// reads again, so the hook sees all of them in the logdir.
type stepInput struct {
	r     *rand.Rand
	clock *stepClock
	in    []byte
	back  float64
	backs int
	lines int
	// hook, if set, runs before each piece and may say how to move the
	// clock: 1 forward, -1 back, 0 at random.
	hook func(lines int) (dir int)
}

func (c *stepInput) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	dir := 0
	if c.hook != nil {
		dir = c.hook(c.lines)
	}
	if dir < 0 || dir == 0 && c.r.Float64() < c.back {
		c.clock.now = c.clock.now.Add(-stepBackBy(c.r))
		c.backs++
	} else {
		c.clock.now = c.clock.now.Add(time.Duration(c.r.IntN(3e9)))
	}
	n := min(len(p), len(c.in), 1+c.r.IntN(1500))
	if dir > 0 {
		// At least one whole line, so that a follower has something to print.
		if i := bytes.IndexByte(c.in, '\n'); i >= 0 {
			n = min(len(p), max(n, i+1))
		}
	}
	copy(p, c.in[:n])
	c.lines += bytes.Count(c.in[:n], []byte{'\n'})
	c.in = c.in[n:]
	return n, nil
}

// stepInputLines returns n lines numbered 1 to n.
func stepInputLines(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "line %s %06d\n", strings.Repeat("x", r.IntN(100)), i)
	}
	return b.Bytes()
}

// runStepLogger runs our multilog over dir (t, small files, compression
// by method comp) on in until its end.
func runStepLogger(t *testing.T, dir, comp string, in *stepInput) {
	t.Helper()
	var lc rotate.Config
	lc.Now = in.clock.Now
	lc.Warn = func(err error) { t.Errorf("multilog warning: %v", err) }
	lc.CompressCommand = []string{"/bin/sh", "-c", "exec " + comp + " -c", "sh"}
	script := []string{"t", "s4096", "n10000", "z" + comp, dir}
	l, err := multilog.Open(multilog.Config{Script: mustScript(t, script), Stdin: in, Now: in.clock.Now, Logdir: lc})
	if err != nil {
		t.Fatal(err)
	}
	l.Run()
}

// waitCompressed waits until every archive of dir is compressed: no plain
// archive and no compressor's temporary file is left. The finisher
// compresses each archive soon after its rotation, whatever the input
// does; the bound only catches a finisher that never does.
func waitCompressed(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		plain := ""
		for _, e := range ents {
			a, ok := rotate.ParseArchiveName(e.Name())
			if ok && a.Compression == rotate.None || strings.HasPrefix(e.Name(), "tmp.") {
				plain = e.Name()
			}
		}
		if plain == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still not compressed after a minute", plain)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkSeq checks that out is lines 1..n of stepInputLines (ending in the
// number, six digits), each once, in order.
func checkSeq(t *testing.T, out string, n int) {
	t.Helper()
	checkNumbered(t, out, n, func(l string) string { return l[max(0, len(l)-6):] }, "%06d")
}

// TestStepBackCursorCompressed runs cursor queries between pieces of our
// multilog's input while its clock steps back and its archives are
// compressed, often waiting until every archive is compressed first: the
// runs' outputs together are every line written, once each, in written
// order.
func TestStepBackCursorCompressed(t *testing.T) {
	for _, comp := range []string{"gzip", "zstd"} {
		if comp == "zstd" {
			if _, err := os.Stat("/usr/bin/zstd"); err != nil {
				continue
			}
		}
		for seed := range uint64(3) {
			t.Run(fmt.Sprint(comp, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 77))
				dir := filepath.Join(t.TempDir(), "log")
				const total = 3000
				in := &stepInput{r: r, clock: &stepClock{now: time.Unix(1767225600, 0)}, in: stepInputLines(r, total), back: 0.1}
				var cur Cursor
				var all strings.Builder
				runs := 0
				run := func() {
					all.Write(runCursor(t, Config{Warn: func(err error) { t.Errorf("query warning: %v", err) }}, &cur, dir))
					runs++
				}
				in.hook = func(int) int {
					if _, err := os.Stat(filepath.Join(dir, "current")); err != nil || r.IntN(3) != 0 {
						return 0
					}
					if r.IntN(4) != 0 {
						waitCompressed(t, dir)
					}
					run()
					return 0
				}
				runStepLogger(t, dir, comp, in)
				waitCompressed(t, dir)
				run()
				if in.backs < 10 || runs < 50 {
					t.Fatalf("%d steps back, %d runs: want more", in.backs, runs)
				}
				checkSeq(t, all.String(), total)
			})
		}
	}
}

// gatedWriter is a follower's output that can be shut: a write then
// blocks, after saying so on blocked, until the gate opens.
type gatedWriter struct {
	lineWriter
	mu      sync.Mutex
	gate    chan struct{} // nil while open
	blocked chan struct{}
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		select {
		case g.blocked <- struct{}{}:
		default:
		}
		<-gate
	}
	return g.lineWriter.Write(p)
}

func (g *gatedWriter) shut() {
	g.mu.Lock()
	g.gate = make(chan struct{})
	g.mu.Unlock()
}

func (g *gatedWriter) open() {
	g.mu.Lock()
	close(g.gate)
	g.gate = nil
	g.mu.Unlock()
}

// TestStepBackFollowCompressed follows a logdir our multilog writes while
// its clock steps back and its archives are compressed, and again and
// again holds the follower in the middle of current (its output blocked),
// steps the clock back (multilog rotates that current), waits until the
// archive is compressed, and lets the follower go on: it prints every
// line written, once each, in written order.
func TestStepBackFollowCompressed(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 78))
			dir := filepath.Join(t.TempDir(), "log")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			const total = 3000
			in := &stepInput{r: r, clock: &stepClock{now: time.Unix(1767225600, 0)}, in: stepInputLines(r, total), back: 0.03}
			w := &gatedWriter{blocked: make(chan struct{}, 1)}
			f := startFollow(Config{Follow: true, Poll: 5 * time.Millisecond, Warn: func(err error) { t.Errorf("query warning: %v", err) }}, dir, w)
			defer f.cancel()
			step, episodes := 0, 0
			in.hook = func(lines int) int {
				switch step {
				case 0:
					if r.IntN(8) != 0 {
						return 0
					}
					// The follower has printed all there is: it is at the
					// end of current. Shut its output, and add lines.
					w.waitLines(t, lines, f.done)
					w.shut()
					step = 1
					return 1
				case 1:
					// It read them and is held writing them out: step
					// back, so that multilog rotates its current.
					select {
					case <-w.blocked:
					case err := <-f.done:
						t.Fatalf("Run ended early: %v", err)
					case <-time.After(60 * time.Second):
						t.Fatal("the follower never wrote")
					}
					step = 2
					return -1
				default:
					// That current is now an archive: let it be
					// compressed before the follower looks again.
					waitCompressed(t, dir)
					w.open()
					step = 0
					episodes++
					return 1
				}
			}
			runStepLogger(t, dir, "gzip", in)
			if step != 0 {
				waitCompressed(t, dir)
				w.open()
			}
			if episodes < 10 {
				t.Fatalf("%d episodes: want more", episodes)
			}
			w.waitLines(t, total, f.done)
			f.stop(t)
			checkSeq(t, w.String(), total)
		})
	}
}

// TestCursorFileGone: a cursor whose file was pruned before the next run
// resumes by time, with a warning that lines of that file may be lost; a
// cursor of version 1 (no head) is still read.
func TestCursorFileGone(t *testing.T) {
	dir := t.TempDir()
	line := func(sec int64, n int) string {
		return fmt.Sprintf("%s line %d\n", tai64.FromUnix(1767225600+sec, 500), n)
	}
	cur := filepath.Join(dir, "current")
	if err := os.WriteFile(cur, []byte(line(0, 1)+line(1, 2)), 0o644); err != nil {
		t.Fatal(err)
	}
	var c Cursor
	var out bytes.Buffer
	if _, err := Run(context.Background(), Config{Cursor: &c}, []string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	if c.Positions[0].HeadLen == 0 {
		t.Fatalf("position %+v has no head", c.Positions[0])
	}
	// The file rotates and more lines come: the archive is pruned before
	// the next run, and then current rotates again.
	if err := os.WriteFile(cur, []byte(line(0, 1)+line(1, 2)+line(2, 3)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(cur, filepath.Join(dir, "@400000006955b90300000000.s")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "@400000006955b90300000000.s"))
	if err := os.WriteFile(cur, []byte(line(3, 4)+line(4, 5)), 0o644); err != nil {
		t.Fatal(err)
	}
	var warned []error
	out.Reset()
	if _, err := Run(context.Background(), Config{Cursor: &c, Warn: func(err error) { warned = append(warned, err) }}, []string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0].Error(), "gone") {
		t.Errorf("warnings %v, want one that the cursor's file is gone", warned)
	}
	if want := line(3, 4) + line(4, 5); out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}

	// Version 1: no head; it resumes by inode as before.
	text, _ := c.MarshalText()
	v1 := strings.Replace(string(text), cursorMagic, cursorMagicV1, 1)
	p := c.Positions[0]
	v1 = strings.Replace(v1, fmt.Sprintf(" %d %d \"", p.HeadLen, p.Head), " \"", 1)
	var d Cursor
	if err := d.UnmarshalText([]byte(v1)); err != nil {
		t.Fatalf("version 1 cursor %q: %v", v1, err)
	}
	if q := d.Positions[0]; q.HeadLen != 0 || q.Ino != p.Ino || q.Offset != p.Offset || q.Time != p.Time {
		t.Fatalf("version 1 cursor read as %+v, want %+v without a head", q, p)
	}
	f, err := os.OpenFile(cur, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(line(5, 6))
	f.Close()
	out.Reset()
	if _, err := Run(context.Background(), Config{Cursor: &d}, []string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	if want := line(5, 6); out.String() != want {
		t.Errorf("version 1 cursor: got %q, want %q", out.String(), want)
	}
}
