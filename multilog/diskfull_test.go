package multilog_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// TestDiskFull runs our multilog on a 256 KiB tmpfs and writes more than
// fits: it must warn in daemontools' words and pause (the writer upstream
// blocks), delete no archive to make room, and once space is freed every
// line must arrive exactly once. Needs root (mount); skipped otherwise.
func TestDiskFull(t *testing.T) {
	mnt, filler := smallDisk(t)

	s := startMultilog(t, "", "s16384", "n100", mnt+"/d")
	const total = 6000 // about 240 KiB of lines: more than the free space
	go func() {
		bw := bufio.NewWriter(s.stdin)
		for i := 0; i < total; i++ {
			fmt.Fprintf(bw, "line %05d %s\n", i, strings.Repeat("z", 30))
		}
		bw.Flush()
	}()
	testkit.WaitFor(t, "the full-disk warning", func() bool {
		return strings.Contains(s.stderrText(), "multilog: warning: unable to write to "+mnt+"/d/current, pausing: out of disk space")
	})
	os.Remove(filler)
	// The pause is 5 s; then everything fits.
	deadline := time.Now().Add(hangAfter) // one 5 s pause, then the rest at the machine's speed
	for countLines(t, mnt+"/d") < total {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d lines after freeing space", countLines(t, mnt+"/d"), total)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stdin.Close()
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if n := countLines(t, mnt+"/d"); n != total {
		t.Errorf("%d lines, want %d exactly once", n, total)
	}
}

// smallDisk mounts a 256 KiB tmpfs with 120 KiB of it taken by a filler
// file, and returns the mount point and the filler. Needs root.
func smallDisk(t *testing.T) (mnt, filler string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt = t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	filler = filepath.Join(mnt, "filler")
	os.WriteFile(filler, make([]byte, 120<<10), 0644)
	return mnt, filler
}

// TestTermWhilePaused: a TERM that arrives while multilog pauses on a full
// disk waits, as in daemontools, until the write it is retrying succeeds;
// then multilog finishes the line and exits 0, with every line it took from
// the pipe in the logdir, in order, and the rest still in the pipe.
func TestTermWhilePaused(t *testing.T) {
	mnt, filler := smallDisk(t)
	s := startMultilog(t, "", "s16384", "n100", mnt+"/d")
	const before, total = 6000, 7000
	write := func(from, to int) {
		bw := bufio.NewWriter(s.stdin)
		for i := from; i < to; i++ {
			fmt.Fprintf(bw, "line %05d %s\n", i, strings.Repeat("z", 30))
		}
		bw.Flush()
	}
	go write(0, before)
	testkit.WaitFor(t, "the full-disk warning", func() bool { return strings.Contains(s.stderrText(), "out of disk space") })
	s.signal(t, syscall.SIGTERM) // still paused: TERM must not end it
	if err := s.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatal("exited while paused")
	}
	// Lines sent after the TERM stay in the pipe (but for the end of a
	// line begun before it), however much the paused chunk held.
	write(before, total)
	s.stdin.Close()
	os.Remove(filler)
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	n := countLines(t, mnt+"/d")
	rest, _ := io.ReadAll(s.unread)
	if !strings.HasPrefix(string(rest), fmt.Sprintf("line %05d ", n)) {
		t.Errorf("%d lines logged, but the pipe resumes with %.20q", n, rest)
	}
	if n > before+1 {
		t.Errorf("%d lines logged: more than one line sent after the TERM", n)
	}
	if left := strings.Count(string(rest), "\n"); n+left != total {
		t.Errorf("%d logged + %d left in the pipe != %d", n, left, total)
	}
}

// countLines counts distinct, well-formed lines in a logdir's archives and
// current, failing on any line seen twice.
func countLines(t *testing.T, dir string) int {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "@") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	names = append(names, "current")
	seen := map[string]bool{}
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if !strings.HasSuffix(l, "\n") {
				continue
			}
			if seen[l] {
				t.Fatalf("line %q twice", l)
			}
			seen[l] = true
		}
	}
	return len(seen)
}
