package multilog_test

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKillDuringRotation kills our multilog with SIGKILL again and again
// while it logs and rotates under load, restarting it on the same pipe (as
// svscan holds it), and then checks what crash recovery left: every line
// found once, in order, in .s/.u archives or current; no temporary files; no
// archive under two names. Lines lost per kill are reported: at most one
// read buffer each (daemontools loses up to one too); the reliability work
// (tee/splice) is to bring that to zero.
func TestKillDuringRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const total = 60000
	fed := make(chan struct{})
	go func() {
		bw := bufio.NewWriterSize(w, 4096)
		for i := 0; i < total; i++ {
			fmt.Fprintf(bw, "line %07d %s\n", i, strings.Repeat("x", 30))
		}
		bw.Flush()
		w.Close()
		close(fed)
	}()
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "s4096", "n100000", "./d")
		cmd.Env = append(os.Environ(), "MLOG_TEST_PROG=multilog")
		cmd.Dir = dir
		cmd.Stdin = r
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	rng := rand.New(rand.NewSource(1))
	kills := 0
	for ; kills < 20; kills++ {
		cmd := start()
		time.Sleep(time.Duration(2+rng.Intn(20)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	cmd := start()
	<-fed
	if err := cmd.Wait(); err != nil {
		t.Fatalf("last run: %v", err)
	}

	d := filepath.Join(dir, "d")
	ents, _ := os.ReadDir(d)
	var names []string
	stamps := map[string]string{}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "tmp.") || n == "previous" || n == "processed" || n == "newstate" {
			t.Errorf("left behind: %s", n)
		}
		if strings.HasPrefix(n, "@") {
			if other, ok := stamps[n[:25]]; ok {
				t.Errorf("one archive under two names: %s and %s", other, n)
			}
			stamps[n[:25]] = n
			names = append(names, n)
		}
	}
	sort.Strings(names)
	names = append(names, "current")
	last, found := -1, 0
	for _, n := range names {
		f, err := os.Open(filepath.Join(d, n))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "line ") || len(line) < 12 {
				continue // the tail of a line cut by a kill
			}
			i, err := strconv.Atoi(line[5:12])
			if err != nil {
				continue
			}
			if i <= last {
				t.Fatalf("line %d after line %d (in %s): repeated or out of order", i, last, n)
			}
			last = i
			found++
		}
		f.Close()
	}
	lost := total - found
	t.Logf("%d kills: %d of %d lines found, %d lost (%.1f per kill)", kills, found, total, lost, float64(lost)/float64(kills))
	if last != total-1 {
		t.Errorf("last line %d, want %d", last, total-1)
	}
	if max := kills * (64 << 10) / 43; lost > max {
		t.Errorf("%d lines lost, more than one read buffer per kill (%d)", lost, max)
	}
}
