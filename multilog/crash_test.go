package multilog_test

import (
	"bufio"
	"fmt"
	"io"
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

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/multilog"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/rotate/compress"
)

// TestKillDuringRotation kills our multilog with SIGKILL again and again
// while it logs and rotates under load, restarting it on the same pipe (as
// svscan holds it), and then checks what crash recovery left: every line
// found once, in order, in .s/.u archives or current; no temporary files; no
// archive under two names. With stdin a pipe, multilog takes bytes out of
// it only after writing them (peek.go): no line may be lost, and a kill
// between the write and the removal may write one chunk twice.
func TestKillDuringRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	for _, script := range [][]string{
		{"s4096", "n100000", "./d"},
		{"t", "s4096", "n100000", "-x*", "./d"}, // the selecting path, with held line heads
		{"s4096", "n100000", "!cat", "./d"},     // kills during processor runs too
		{"z", "s4096", "n100000", "./d"},        // and while archives are compressed
	} {
		t.Run(strings.Join(script, " "), func(t *testing.T) {
			if script[0] == "z" {
				buildMlog(t)
			}
			killDuringRotation(t, script)
		})
	}
}

// feedMultilog writes line(0) .. line(total-1) into a pipe through a
// buffer of bufSize (fed is closed once all are in and the pipe is
// closed), and returns start, which starts one more multilog with script
// in dir reading that pipe: the kill tests start one after each kill.
func feedMultilog(t *testing.T, dir string, script []string, bufSize, total int, line func(int) string) (fed chan struct{}, start func() *exec.Cmd) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	fed = make(chan struct{})
	go func() {
		bw := bufio.NewWriterSize(w, bufSize)
		for i := 0; i < total; i++ {
			bw.WriteString(line(i))
		}
		bw.Flush()
		w.Close()
		close(fed)
	}()
	start = func() *exec.Cmd {
		cmd := multilogCommand("", script)
		cmd.Dir = dir
		cmd.Stdin = r
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	return fed, start
}

func killDuringRotation(t *testing.T, script []string) {
	dir := t.TempDir()
	const total = 60000
	const lineLen = len("line 0000000 ") + 30 + 1
	fed, start := feedMultilog(t, dir, script, 4096, total, func(i int) string {
		return fmt.Sprintf("line %07d %s\n", i, strings.Repeat("x", lineLen-len("line 0000000 ")-1))
	})
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
	// A kill leaves the finisher's queue named .u (at s4096 up to 256 files and a batch); the
	// next start, in the same boot, finishes them to .s. What stays .u is
	// daemontools' rule: the current (and, with a processor, the previous)
	// that a kill cut, renamed .u by the next start's recovery.
	unfinished := 0
	for _, n := range names {
		if strings.HasSuffix(n, ".u") {
			unfinished++
		}
	}
	perKill := 1
	if strings.HasPrefix(script[len(script)-2], "!") {
		perKill = 2
	}
	t.Logf("%d archives left .u after %d kills", unfinished, kills)
	if !bootMarks(dir) {
		t.Logf("%d .u archives (no user xattrs here: the next start cannot tell a kill from a power failure)", unfinished)
	} else if unfinished > perKill*kills {
		t.Errorf("%d archives left .u after %d kills, want at most %d: the finisher's queue was not finished at restart", unfinished, kills, perKill*kills)
	}
	names = append(names, "current")
	// Lines written twice come in runs: a kill between a chunk's write and
	// its removal from the pipe makes the next multilog write that chunk
	// again, from its first line (peek.go), so the files step back to an
	// earlier line at most once per kill, and what follows a step holds at
	// most one chunk of lines written before. The bounds come from the
	// design, not from how busy the machine is.
	maxRun := multilog.RewriteMax/lineLen + 2 // +2: a line cut at each end of the chunk
	last, found, dups := -1, 0, 0
	prev, runs, run, longest := -1, 0, 0, 0
	seen := make([]bool, total)
	for _, n := range names {
		f, err := os.Open(filepath.Join(d, n))
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = f
		if a, ok := rotate.ParseArchiveName(n); ok && a.Compression != rotate.None {
			zr, err := compress.NewReader(a.Compression, f)
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			defer zr.Close()
			r = zr
		}
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			if script[0] == "t" && len(line) > 26 && line[0] == '@' {
				line = line[26:]
			}
			if !strings.HasPrefix(line, "line ") || len(line) < 12 {
				continue // the tail of a line cut by a kill
			}
			i, err := strconv.Atoi(line[5:12])
			if err != nil {
				continue
			}
			if i >= total {
				t.Fatalf("line %d never sent", i)
			}
			if i <= prev { // the start of a chunk written again
				runs++
				run = 0
			}
			prev = i
			if seen[i] {
				dups++
				run++
				longest = max(longest, run)
				continue
			}
			if i < last {
				t.Fatalf("line %d after line %d (in %s): out of order", i, last, n)
			}
			seen[i] = true
			last = i
			found++
		}
		if err := sc.Err(); err != nil {
			t.Errorf("%s: %v", n, err) // a corrupt compressed archive
		}
		f.Close()
	}
	lost := total - found
	t.Logf("%d kills: %d of %d lines found, %d lost, %d written twice after %d steps back (longest run %d, bound %d)",
		kills, found, total, lost, dups, runs, longest, maxRun)
	if lost != 0 {
		t.Errorf("%d lines lost", lost)
	}
	if runs > kills {
		t.Errorf("the files step back %d times, more than once per kill (%d kills)", runs, kills)
	}
	if longest > maxRun {
		t.Errorf("a run of %d lines written twice, more than one chunk (%d bytes: %d lines)", longest, multilog.RewriteMax, maxRun)
	}
}

// TestCompressorDiesWithMultilog: a kill -9 of multilog takes the
// compressor it started with it. Left running, the orphan could open its
// temporary file after the next multilog had started a compressor of its
// own on the same archive (two writers on one file, and a corrupt archive
// named as finished); TestKillDuringRotation lost a line that way.
func TestCompressorDiesWithMultilog(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	buildMlog(t)
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	cmd := multilogCommand("", []string{"zgzip", "s16777215", "./d"})
	cmd.Dir = dir
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// 20 MB: one rotation, then a compression of 16 MB.
	go func() {
		line := []byte("line " + strings.Repeat("abcdefghij", 8) + "\n")
		for n := 0; n < 20<<20; n += len(line) {
			if _, err := w.Write(line); err != nil {
				return
			}
		}
	}()
	logdir, _ := filepath.Abs(filepath.Join(dir, "d"))
	compressor := 0
	for deadline := time.Now().Add(hangAfter); compressor == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no compressor started")
		}
		if pids := testkit.ProcessesIn(logdir); len(pids) > 0 {
			compressor = pids[0]
		}
		time.Sleep(time.Millisecond)
	}
	// Frozen, it cannot finish before multilog dies; SIGKILL still takes it.
	syscall.Kill(compressor, syscall.SIGSTOP)
	defer syscall.Kill(compressor, syscall.SIGKILL)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	// The kernel kills it as multilog dies (PDEATHSIG); how soon it is
	// gone depends only on the machine's load.
	for deadline := time.Now().Add(hangAfter); running(compressor); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("compressor %d still there %v after multilog was killed", compressor, hangAfter)
		}
	}
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// bootMarks reports whether files in dir can carry the boot id that lets
// a restart finish the .u files a kill left (user xattrs, /proc).
func bootMarks(dir string) bool {
	if _, err := os.Stat("/proc/sys/kernel/random/boot_id"); err != nil {
		return false
	}
	p := filepath.Join(dir, "xattr-probe")
	if err := os.WriteFile(p, nil, 0600); err != nil {
		return false
	}
	defer os.Remove(p)
	return syscall.Setxattr(p, "user.mlog.probe", []byte("x"), 0) == nil
}

// TestRestartFinishesUnfinished: a kill -9 under a burst leaves the
// finisher's queue (rotated files not yet fsynced) named .u. They are
// whole (the page cache outlives the process), so the next start in the
// same boot fsyncs them and names them .s; only the current the kill cut
// becomes .u, as daemontools names it. No line is lost or reordered
// (issue 13 item 7).
func TestRestartFinishesUnfinished(t *testing.T) {
	dir := t.TempDir()
	if !bootMarks(dir) {
		t.Skip("no user xattrs or boot id here: a restart cannot tell a kill from a power failure")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	go func() {
		bw := bufio.NewWriterSize(w, 64<<10)
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(bw, "line %07d %s\n", i, strings.Repeat("x", 30)); err != nil {
				return
			}
		}
	}()
	cmd := multilogCommand("", []string{"s4096", "n100000", "./d"})
	cmd.Dir = dir
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(dir, "d")
	testkit.WaitFor(t, "200 archives", func() bool {
		m, _ := filepath.Glob(filepath.Join(d, "@*"))
		return len(m) >= 200
	})
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	w.Close()
	left, _ := filepath.Glob(filepath.Join(d, "@*.u"))
	t.Logf("the kill left %d files named .u", len(left))

	if code, stderr := runBounded(t, dir, []string{"s4096", "n100000", "./d"}, strings.NewReader(""), time.Minute); code != 0 || stderr != "" {
		t.Fatalf("restart: exit %d, stderr %q", code, stderr)
	}
	names := archiveNames(t, d)
	unfinished := 0
	next := 0
	for _, n := range append(names, "current") {
		if strings.HasSuffix(n, ".u") {
			unfinished++
		} else if st, _ := os.Stat(filepath.Join(d, n)); n != "current" && st.Mode().Perm() != 0744 {
			t.Errorf("%s: mode %v, want 744", n, st.Mode().Perm())
		}
		b, _ := os.ReadFile(filepath.Join(d, n))
		for _, line := range strings.SplitAfter(string(b), "\n") {
			if !strings.HasSuffix(line, "\n") {
				continue // the tail of the line the kill cut
			}
			i, err := strconv.Atoi(line[5:12])
			if err != nil || i > next {
				t.Fatalf("%s: line %q after line %d: lost or out of order", n, line, next-1)
			}
			if i == next {
				next++
			}
		}
	}
	if unfinished > 1 {
		t.Errorf("%d archives .u after the restart, want at most 1 (the current the kill cut)", unfinished)
	}
}

// TestKillDuringBatches kills multilog at random points while a burst of
// small archives (s4096: ~90 lines each, thousands of rotations) keeps the
// finisher's queue deep, so kills land in every step of its batches:
// pruning, the fsyncs, the renames, the logdir fsync. After a restart in the
// same boot, every archive named .s must be complete: mode 744, whole
// lines only, consecutive within the file. With n100000 nothing is pruned
// and the files hold every line; with n5 pruning takes most of each batch
// before it is synced, and the files hold an unbroken tail of the input.
func TestKillDuringBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	for _, script := range [][]string{
		{"s4096", "n100000", "./d"},
		{"s4096", "n5", "./d"},
		{"t", "s4096", "n5", "./d"},
	} {
		t.Run(strings.Join(script, " "), func(t *testing.T) { killDuringBatches(t, script) })
	}
}

func killDuringBatches(t *testing.T, script []string) {
	dir := t.TempDir()
	const total = 200000
	fed, start := feedMultilog(t, dir, script, 64<<10, total, text)
	rng := rand.New(rand.NewSource(17))
	const kills = 25
	queued := 0 // .u files the kills left: the finisher's queue and batch
	for range kills {
		cmd := start()
		time.Sleep(time.Duration(5+rng.Intn(40)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		u, _ := filepath.Glob(filepath.Join(dir, "d", "@*.u"))
		queued += len(u)
	}
	cmd := start()
	<-fed
	if err := cmd.Wait(); err != nil {
		t.Fatalf("last run: %v", err)
	}

	d := filepath.Join(dir, "d")
	names := archiveNames(t, d)
	seen := make([]bool, total)
	first := total
	finished := 0
	// Without t, bytes move from the pipe to current exactly once
	// (splice), so a kill can split a line: its head ends the current the
	// kill cut (renamed .u at the restart, as daemontools does), its tail
	// starts the next file. carry joins them again.
	carry := ""
	parse := func(line string) int {
		if script[0] == "t" && len(line) > 26 && line[0] == '@' {
			line = line[26:]
		}
		if len(line) >= 13 && strings.HasPrefix(line, "line ") && strings.HasSuffix(line, "\n") {
			if v, err := strconv.Atoi(line[5:12]); err == nil && len(line) == 13+v%61+1 {
				return v
			}
		}
		return -1
	}
	for _, n := range append(names, "current") {
		b, err := os.ReadFile(filepath.Join(d, n))
		if err != nil {
			t.Fatal(err)
		}
		complete := strings.HasSuffix(n, ".s")
		if complete {
			finished++
			if st, _ := os.Stat(filepath.Join(d, n)); st.Mode().Perm() != 0744 {
				t.Errorf("%s: mode %v, want 744", n, st.Mode().Perm())
			}
			if len(b) > 0 && b[len(b)-1] != '\n' {
				t.Errorf("%s: named .s but ends inside a line", n)
			}
		}
		prev := -1
		lines := strings.SplitAfter(string(b), "\n")
		for k, line := range lines {
			if line == "" {
				continue
			}
			i := parse(line)
			if i < 0 && k == 0 && carry != "" {
				i = parse(carry + line) // the tail of a line split by a kill
			}
			carry = ""
			if i < 0 {
				switch {
				case !strings.HasSuffix(line, "\n"):
					carry = line // the head of a line a kill cut: .u or current
				case k == 0 && len(lines) > 1 && parse(lines[1]) > 0 && strings.HasSuffix(text(parse(lines[1])-1), line):
					// A file may start inside a line: the tail of
					// the chunk a kill had written but not yet taken
					// out of the pipe, written again (peek.go).
				case complete:
					t.Errorf("%s: named .s but holds a partial line %q", n, line)
				}
				continue
			}
			if complete && prev >= 0 && i != prev+1 {
				t.Errorf("%s: named .s but line %d follows line %d", n, i, prev)
			}
			prev = i
			seen[i] = true
			first = min(first, i)
		}
	}
	lost := 0
	for i := first; i < total; i++ {
		if !seen[i] {
			lost++
		}
	}
	t.Logf("%d kills left %d files .u; at the end %d archives .s, %d .u; lines %d to %d kept, %d of them lost",
		kills, queued, finished, len(names)-finished, first, total-1, lost)
	if lost != 0 {
		t.Errorf("%d lines lost after line %d", lost, first)
	}
	if script[len(script)-2] == "n100000" && first != 0 {
		t.Errorf("nothing is pruned at n100000, yet the files start at line %d", first)
	}
}

// text is line i of TestKillDuringBatches' input.
func text(i int) string { return fmt.Sprintf("line %07d %s\n", i, strings.Repeat("y", i%61)) }
