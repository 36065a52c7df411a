package query

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// fakeMultilog writes a logdir as multilog does: lines appended to
// current; rotation by fsync, close, rename current to previous, a new
// current, then link previous to an archive and unlink previous. Some
// archives are then compressed (and the plain one removed) and old ones
// pruned, as mlog's rotator may.
type fakeMultilog struct {
	t     testing.TB
	dir   string
	r     *rand.Rand
	cur   *os.File
	clock int64 // microseconds
	n     int   // lines written

	// beforePrune, if set, is called with the number of the last line of
	// an archive before it is pruned: a follower must have read it by
	// then, or the line is lost (as with a real multilog).
	beforePrune func(last int)
	marks       []int // the last line of each archive, oldest first
}

func newFakeMultilog(t testing.TB, dir string, seed uint64) *fakeMultilog {
	m := &fakeMultilog{t: t, dir: dir, r: rand.New(rand.NewPCG(seed, 3)), clock: 1767225600e6}
	m.openCurrent()
	return m
}

func (m *fakeMultilog) openCurrent() {
	f, err := os.OpenFile(filepath.Join(m.dir, "current"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		m.t.Fatal(err)
	}
	m.cur = f
}

func (m *fakeMultilog) stamp() tai64.Time {
	m.clock += int64(m.r.IntN(3)) // equal stamps happen
	return tai64.FromUnix(m.clock/1e6, int32(m.clock%1e6*1000+500))
}

// line writes one line, sometimes in two writes.
func (m *fakeMultilog) line() {
	m.n++
	l := fmt.Sprintf("%s line %d\n", m.stamp(), m.n)
	if m.r.IntN(4) == 0 {
		k := 1 + m.r.IntN(len(l)-1)
		m.write(l[:k])
		m.write(l[k:])
		return
	}
	m.write(l)
}

func (m *fakeMultilog) write(s string) {
	if _, err := m.cur.WriteString(s); err != nil {
		m.t.Fatal(err)
	}
}

func (m *fakeMultilog) rotate() {
	m.cur.Close()
	d := m.dir
	must := func(err error) {
		if err != nil {
			m.t.Fatal(err)
		}
	}
	must(os.Rename(filepath.Join(d, "current"), filepath.Join(d, "previous")))
	m.openCurrent()
	m.marks = append(m.marks, m.n)
	m.clock++ // multilog pauses and retries on a name collision; move on instead
	name := rotate.ArchiveName(m.stamp(), 's')
	must(os.Link(filepath.Join(d, "previous"), filepath.Join(d, name)))
	must(os.Remove(filepath.Join(d, "previous")))
	if m.r.IntN(3) == 0 {
		data, err := os.ReadFile(filepath.Join(d, name))
		must(err)
		writeArchive(m.t, filepath.Join(d, "."+name+".zst"), rotate.Zstd, data)
		must(os.Rename(filepath.Join(d, "."+name+".zst"), filepath.Join(d, name+".zst")))
		must(os.Remove(filepath.Join(d, name)))
	}
	if as, err := rotate.Archives(d); err == nil && len(as) > 6 {
		if m.beforePrune != nil {
			m.beforePrune(m.marks[0])
		}
		must(os.Remove(filepath.Join(d, as[0].Name)))
		m.marks = m.marks[1:]
	}
}

// lineWriter collects output and signals when it holds want lines.
type lineWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	lines   int
	want    int
	ready   chan struct{}
	changed chan struct{} // closed and replaced on every write
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.lines += bytes.Count(p, []byte{'\n'})
	if w.ready != nil && w.lines >= w.want {
		close(w.ready)
		w.ready = nil
	}
	if w.changed != nil {
		close(w.changed)
	}
	w.changed = make(chan struct{})
	return len(p), nil
}

// waitLines waits until the output holds n lines.
func (w *lineWriter) waitLines(t testing.TB, n int, done chan error) {
	timeout := time.After(2 * time.Minute) // a hang detector
	for {
		w.mu.Lock()
		if w.lines >= n {
			w.mu.Unlock()
			return
		}
		if w.changed == nil {
			w.changed = make(chan struct{})
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case err := <-done:
			t.Fatalf("Run ended early: %v", err)
		case <-timeout:
			t.Fatalf("follower stuck at %d lines, want %d", w.lines, n)
		}
	}
}

// follower is a follow query running in the background.
type follower struct {
	done   chan error // Run's result
	cancel context.CancelFunc
}

// startFollow runs the query cfg (a follow) of dir, writing to w, until
// stop.
func startFollow(cfg Config, dir string, w io.Writer) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{done: make(chan error, 1), cancel: cancel}
	go func() {
		_, err := Run(ctx, cfg, []string{dir}, w)
		f.done <- err
	}()
	return f
}

// stop ends the follow, and fails t if it ended with an error.
func (f *follower) stop(t testing.TB) {
	t.Helper()
	f.cancel()
	if err := <-f.done; err != nil {
		t.Fatal(err)
	}
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// checkLines checks that out is the fake multilog's lines 1..n (ending
// " line N"), each once, in order.
func checkLines(t *testing.T, out string, n int) {
	t.Helper()
	checkNumbered(t, out, n, func(l string) string { return l[strings.LastIndex(l, " line ")+1:] }, "line %d")
}

// checkNumbered checks that out is n lines numbered 1..n in order: the
// number of line l is num(l), which must read as format does.
func checkNumbered(t *testing.T, out string, n int, num func(l string) string, format string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		lines = nil
	}
	for i, l := range lines {
		if want := fmt.Sprintf(format, i+1); num(l) != want {
			t.Fatalf("output line %d is %q, want %q (%d lines in all, want %d)", i+1, l, want, len(lines), n)
		}
	}
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
}

// TestFollowRotationRace rotates the logdir while a follow reads it: every
// line must come out exactly once, in order.
func TestFollowRotationRace(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			dir := t.TempDir()
			m := newFakeMultilog(t, dir, seed)
			for range 50 {
				m.line()
			}
			const total = 3000
			w := &lineWriter{want: total, ready: make(chan struct{})}
			ready := w.ready
			f := startFollow(Config{Follow: true, Poll: 5 * time.Millisecond}, dir, w)
			m.beforePrune = func(last int) { w.waitLines(t, last, f.done) }
			for m.n < total {
				m.line()
				if m.r.IntN(40) == 0 {
					m.rotate()
					if m.r.IntN(2) == 0 {
						m.rotate() // twice between two looks, sometimes
					}
				}
				if m.r.IntN(100) == 0 {
					time.Sleep(time.Millisecond) // let the follower catch up now and then
				}
			}
			select {
			case <-ready:
			case err := <-f.done:
				t.Fatalf("Run ended early: %v", err)
			case <-time.After(20 * time.Second):
				ents, _ := os.ReadDir(dir)
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Logf("logdir: %v", names)
				checkLines(t, w.String(), total)
				t.Fatalf("timed out with %d lines of %d", strings.Count(w.String(), "\n"), total)
			}
			f.stop(t)
			checkLines(t, w.String(), total)
		})
	}
}

// TestCursorResume runs a query with a cursor again and again while the
// logdir grows, rotates, compresses and prunes: the runs' outputs together
// are every line once.
func TestCursorResume(t *testing.T) {
	for seed := range uint64(6) {
		dir := t.TempDir()
		m := newFakeMultilog(t, dir, seed)
		var cur Cursor
		var all strings.Builder
		pending := ""
		for range 60 {
			m.write(pending)
			pending = ""
			for range m.r.IntN(30) {
				m.line()
			}
			if m.r.IntN(4) == 0 {
				m.rotate()
			}
			if m.r.IntN(3) == 0 {
				// A partial line: the run must leave it for the next one.
				m.n++
				l := fmt.Sprintf("%s line %d\n", m.stamp(), m.n)
				k := 1 + m.r.IntN(len(l)-1)
				m.write(l[:k])
				pending = l[k:]
			}
			all.Write(runCursor(t, Config{}, &cur, dir))
		}
		m.write(pending)
		var out bytes.Buffer
		if _, err := Run(context.Background(), Config{Cursor: &cur}, []string{dir}, &out); err != nil {
			t.Fatal(err)
		}
		all.Write(out.Bytes())
		checkLines(t, all.String(), m.n)
	}
}

// runCursor runs a query of dir from *cur, reloaded from its text each
// time as the command keeps it, and returns what it printed; *cur is then
// the cursor after it.
func runCursor(t *testing.T, cfg Config, cur *Cursor, dir string) []byte {
	t.Helper()
	text, err := cur.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var c Cursor
	if err := c.UnmarshalText(text); err != nil {
		t.Fatal(err)
	}
	cfg.Cursor = &c
	var out bytes.Buffer
	if _, err := Run(context.Background(), cfg, []string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	*cur = c
	return out.Bytes()
}

// BenchmarkFollowLatency measures the time from a line's write to current
// to its output by a follow (ns/op is the latency). The poll interval is a
// second, so anything faster is inotify's doing.
func BenchmarkFollowLatency(b *testing.B) {
	dir := b.TempDir()
	m := newFakeMultilog(b, dir, 1)
	w := &lineWriter{}
	f := startFollow(Config{Follow: true, Poll: time.Second}, dir, w)
	m.line()
	w.waitLines(b, 1, f.done)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.line()
		w.waitLines(b, i+2, f.done)
	}
	b.StopTimer()
	f.stop(b)
}

// TestFollowEmptyLogdir: a follow of a logdir where multilog has not
// written a file yet waits for one, as tail -F waits for its file, and
// prints its lines as they come, through a rotation. A query that does not
// follow still says the directory is not a logdir.
func TestFollowEmptyLogdir(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(context.Background(), Config{}, []string{dir}, io.Discard); err == nil || !strings.Contains(err.Error(), "not a logdir") {
		t.Errorf("query of an empty directory: %v, want not a logdir", err)
	}
	w := &lineWriter{}
	f := startFollow(Config{Follow: true, Poll: 5 * time.Millisecond}, dir, w)
	m := newFakeMultilog(t, dir, 1)
	for range 10 {
		m.line()
	}
	w.waitLines(t, 10, f.done)
	m.rotate()
	for range 10 {
		m.line()
	}
	w.waitLines(t, 20, f.done)
	f.stop(t)
	checkLines(t, w.String(), 20)
}
