package query

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlog/mlog/multilog"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

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

// checkSeq checks that out is lines 1..n of stepInputLines, each once, in
// order.
func checkSeq(t *testing.T, out string, n int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		lines = nil
	}
	for i, l := range lines {
		got, err := strconv.Atoi(l[max(0, len(l)-6):])
		if err != nil || got != i+1 {
			t.Fatalf("output line %d is %q, want line %d (%d lines in all, want %d)", i+1, l, i+1, len(lines), n)
		}
	}
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
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
