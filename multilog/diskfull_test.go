package multilog_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestDiskFull runs our multilog on a 256 KiB tmpfs and writes more than
// fits: it must warn in daemontools' words and pause (the writer upstream
// blocks), delete no archive to make room, and once space is freed every
// line must arrive exactly once. Needs root (mount); skipped otherwise.
func TestDiskFull(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", "-l", mnt).Run()
	filler := filepath.Join(mnt, "filler")
	os.WriteFile(filler, make([]byte, 120<<10), 0644)

	s := startMultilog(t, "", "s16384", "n100", mnt+"/d")
	const total = 6000 // about 240 KiB of lines: more than the free space
	go func() {
		bw := bufio.NewWriter(s.stdin)
		for i := 0; i < total; i++ {
			fmt.Fprintf(bw, "line %05d %s\n", i, strings.Repeat("z", 30))
		}
		bw.Flush()
	}()
	waitFor(t, "the full-disk warning", func() bool {
		return strings.Contains(s.stderrText(), "multilog: warning: unable to write to "+mnt+"/d/current, pausing: out of disk space")
	})
	os.Remove(filler)
	// The pause is 5 s; then everything fits.
	deadline := time.Now().Add(30 * time.Second)
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
