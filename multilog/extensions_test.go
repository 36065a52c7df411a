package multilog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/rotate"
)

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
