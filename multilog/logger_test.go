package multilog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/rotate"
)

// smtpChunk is a realistic 64 KiB chunk of qmail-smtpd and qmail-send lines.
func smtpChunk() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < readSize-200; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "tcpserver: status: %d/40\n", i%40)
		case 1:
			fmt.Fprintf(&b, "tcpserver: pid %d from 192.0.2.%d\n", 10000+i, i%250)
		case 2:
			fmt.Fprintf(&b, "info msg %d: bytes %d from <alice%d@example.org> qp %d uid 89\n", 100000+i, 2000+i%5000, i, 4000+i)
		default:
			fmt.Fprintf(&b, "delivery %d: success: did_0+0+1/qp_%d/\n", i, 4000+i)
		}
	}
	return b.Bytes()
}

func openLogger(tb testing.TB, args ...string) *Logger {
	tb.Helper()
	dir := tb.TempDir()
	args = append([]string(nil), args...) // a benchmark run again (-count) passes the same slice
	for i, a := range args {
		if strings.HasPrefix(a, "./") {
			args[i] = filepath.Join(dir, a)
		}
	}
	l, err := Open(Config{Script: mustParse(tb, args), Stdin: bytes.NewReader(nil)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(l.Close)
	return l
}

// TestConsumeAllocs guards the hot path: no allocation per line, with and
// without stamps and selection.
func TestConsumeAllocs(t *testing.T) {
	chunk := smtpChunk()
	for _, script := range [][]string{
		{"s16777215", "./d"},
		{"t", "s16777215", "./d"},
		{"t", "s16777215", "-*", "+* status: *", "./d", "./e"},
		{"i", "s16777215", "./d"},
	} {
		l := openLogger(t, script...)
		if n := testing.AllocsPerRun(20, func() {
			l.setStamp()
			l.consume(chunk)
		}); n != 0 {
			t.Errorf("%q: allocs per chunk = %v, want 0", script, n)
		}
	}
}

func BenchmarkConsume(b *testing.B) {
	chunk := smtpChunk()
	for _, bc := range []struct {
		name   string
		script []string
	}{
		{"plain", []string{"s16777215", "n2", "./d"}},
		{"t", []string{"t", "s16777215", "n2", "./d"}},
		{"t+select", []string{"t", "s16777215", "n2", "-*", "+* status: *", "./d"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := openLogger(b, bc.script...)
			b.ReportAllocs()
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				l.setStamp()
				l.consume(chunk)
			}
		})
	}
}

// TestChunkBoundaries feeds the same input through readers that split it
// everywhere and checks the logdir gets the same bytes every time.
func TestChunkBoundaries(t *testing.T) {
	input := []byte("short\n" + strings.Repeat("L", 2500) + "\n\nmid" + strings.Repeat("m", 990) + "\nlast")
	for _, script := range [][]string{{"./d"}, {"-x*", "./d"}, {"-*", "+*m*", "./d"}} {
		var want []byte
		for i, wrap := range []func(r *bytes.Reader) any{
			func(r *bytes.Reader) any { return r },
			func(r *bytes.Reader) any { return iotest.OneByteReader(r) },
			func(r *bytes.Reader) any { return iotest.HalfReader(r) },
			func(r *bytes.Reader) any { return iotest.DataErrReader(r) },
		} {
			dir := t.TempDir()
			args := append([]string(nil), script...)
			args[len(args)-1] = filepath.Join(dir, "d")
			r := wrap(bytes.NewReader(input)).(interface{ Read([]byte) (int, error) })
			l, err := Open(Config{Script: mustParse(t, args), Stdin: r})
			if err != nil {
				t.Fatal(err)
			}
			l.Run()
			got, _ := os.ReadFile(filepath.Join(dir, "d", "current"))
			if i == 0 {
				want = got
				if script[0] == "./d" && !bytes.HasSuffix(got, []byte("last\n")) {
					t.Fatalf("%q: partial last line not completed: %q", script, got[max(0, len(got)-20):])
				}
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%q reader %d: got %d bytes, want %d", script, i, len(got), len(want))
			}
		}
	}
}

// TestIdleHook: Config.Idle runs once input has been quiet for a second,
// once per quiet spell, never in the middle of a burst.
func TestIdleHook(t *testing.T) {
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var idles atomic.Int32
	l, err := Open(Config{Script: mustParse(t, []string{filepath.Join(dir, "d")}), Stdin: r, Idle: func() { idles.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { l.Run(); close(done) }()
	w.Write([]byte("one\n"))
	testkit.WaitFor(t, "the first idle call", func() bool { return idles.Load() == 1 })
	time.Sleep(1500 * time.Millisecond) // a second quiet spell with no input in between
	if n := idles.Load(); n != 1 {
		t.Errorf("Idle ran %d times without new input, want 1", n)
	}
	w.Write([]byte("two\n"))
	testkit.WaitFor(t, "the second idle call", func() bool { return idles.Load() == 2 })
	w.Close()
	<-done
}

func run(t *testing.T, dir string, cfg Config, args ...string) {
	t.Helper()
	for i, a := range args {
		if strings.HasPrefix(a, "./") {
			args[i] = filepath.Join(dir, a[2:])
		}
	}
	cfg.Script = mustParse(t, args)
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.Run()
}

func archiveList(t *testing.T, dir string) []rotate.Archive {
	t.Helper()
	a, err := rotate.Archives(dir)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestISOStamp: i puts an RFC 3339 UTC stamp with microseconds and a space
// in front of each line.
func TestISOStamp(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 23, 22, 59, 50, 123456789, time.FixedZone("JST", 9*3600))
	run(t, dir, Config{Stdin: strings.NewReader("a\n\nb"), Now: func() time.Time { return now }}, "i", "./d")
	got, _ := os.ReadFile(filepath.Join(dir, "d", "current"))
	want := "2026-11-23T13:59:50.123456Z a\n2026-11-23T13:59:50.123456Z \n2026-11-23T13:59:50.123456Z b\n"
	if string(got) != want {
		t.Errorf("current = %q, want %q", got, want)
	}
}

// TestTotalSizeCap: m keeps the archives' total under the cap, oldest
// first, and never deletes the newest.
func TestTotalSizeCap(t *testing.T) {
	dir := t.TempDir()
	var in bytes.Buffer
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&in, "line %06d %s\n", i, strings.Repeat("x", 40))
	}
	run(t, dir, Config{Stdin: &in}, "s4096", "n1000", "m10000", "./d")
	var total int64
	as := archiveList(t, filepath.Join(dir, "d"))
	for _, a := range as {
		st, _ := os.Stat(filepath.Join(dir, "d", a.Name))
		total += st.Size()
	}
	if total > 10000 || len(as) == 0 {
		t.Errorf("%d archives of %d bytes in all, want at most 10000 bytes and at least one archive", len(as), total)
	}
	last, _ := os.ReadFile(filepath.Join(dir, "d", "current"))
	if len(last) == 0 {
		last, _ = os.ReadFile(filepath.Join(dir, "d", as[len(as)-1].Name))
	}
	if !bytes.HasSuffix(last, []byte("line 001999 "+strings.Repeat("x", 40)+"\n")) {
		t.Errorf("the newest lines were pruned")
	}
}

// TestBigSize: c lifts s's 16777215 ceiling; s keeps clamping.
func TestBigSize(t *testing.T) {
	for _, tc := range []struct {
		action string
		want   int64
	}{{"s20000000", 16777215}, {"c20000000", 20000000}} {
		s := mustParse(t, []string{tc.action, "./d"})
		if got := s.Logdirs()[0].Logdir.Size; got != tc.want {
			t.Errorf("%s: size %d, want %d", tc.action, got, tc.want)
		}
	}
}

// TestRotateByAge: with a, a current whose first byte is older than the age
// is rotated when more input comes (and, on a real input file, while idle).
func TestRotateByAge(t *testing.T) {
	dir := t.TempDir()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"a60", filepath.Join(dir, "d")}
	l, err := Open(Config{Script: mustParse(t, args), Stdin: r, Now: now, Logdir: rotate.Config{Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { l.Run(); close(done) }()
	w.Write([]byte("first\n"))
	cur := filepath.Join(dir, "d", "current")
	testkit.WaitFor(t, "the first line in current", func() bool { b, _ := os.ReadFile(cur); return string(b) == "first\n" })
	clock.Add(int64(61 * time.Second))
	w.Write([]byte("second\n"))
	w.Close()
	<-done
	as := archiveList(t, filepath.Join(dir, "d"))
	if len(as) != 1 {
		t.Fatalf("%d archives, want 1", len(as))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "d", as[0].Name))
	if string(b) != "first\n" {
		t.Errorf("archive holds %q, want %q", b, "first\n")
	}
	if b, _ := os.ReadFile(cur); string(b) != "second\n" {
		t.Errorf("current holds %q", b)
	}
}
