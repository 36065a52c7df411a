package multilog_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// Faults (issue 6, "nothing lost"): what multilog does when a processor is
// slow or hangs, when its logdir is removed or made read-only under it,
// when an =file cannot be written, and which user its files and processor
// belong to. Each test runs ours and, where installed, Debian's multilog on
// the same sequence. The pauses are daemontools' 5 seconds, so some tests
// take that long.

// batch is lines from..to-1 of the fault tests, 44 bytes each: 60 of them
// (2640 bytes) fit one atomic pipe write and pass s4096's cut window, so
// writing them rotates a current that holds a few lines.
func batch(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "line %05d 0123456789012345678901234567890\n", i)
	}
	return b.String()
}

// logged returns the numbers of the lines in dir's archives (in name
// order) and current, in the order found.
func logged(t *testing.T, dir string) []int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "@*"))
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, filepath.Join(dir, "current"))
	var got []int
	for _, n := range names {
		b, _ := os.ReadFile(n)
		got = append(got, lineNumbers(string(b))...)
	}
	return got
}

func lineNumbers(s string) []int {
	var got []int
	for _, l := range strings.SplitAfter(s, "\n") {
		var i int
		if _, err := fmt.Sscanf(l, "line %05d ", &i); err == nil && strings.HasSuffix(l, "\n") {
			got = append(got, i)
		}
	}
	return got
}

// wantRange fails unless got is exactly from, from+1, ..., to-1: every line
// once, in order.
func wantRange(t *testing.T, what string, got []int, from, to int) {
	t.Helper()
	ok := len(got) == to-from
	for k := 0; ok && k < len(got); k++ {
		ok = got[k] == from+k
	}
	if !ok {
		t.Errorf("%s: lines %v, want %d..%d once each, in order", what, short(got), from, to-1)
	}
}

func short(v []int) string {
	if len(v) > 12 {
		return fmt.Sprintf("%v ... %v (%d)", v[:6], v[len(v)-6:], len(v))
	}
	return fmt.Sprint(v)
}

// alive reports whether the process has not exited (it is not reaped
// before wait, so a zombie counts as exited only through /proc).
func alive(s *started) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// user is an unprivileged account to run multilog as, with a copy of this
// test binary it may execute and a directory it may work in.
type user struct {
	cred *syscall.Credential
	exe  string // this test binary, runnable by the account
	base string // a directory the account can reach (mode 755)
}

// nobody returns uid and gid 65534. Root ignores file modes, so the tests
// of permissions run multilog as this account; switching to it needs root,
// and the test is skipped otherwise.
func nobody(t *testing.T) *user {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run multilog as uid 65534 (root ignores file modes)")
	}
	base, err := os.MkdirTemp("", "mlog-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(base, "multilog.test")
	src, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, src, 0755); err != nil {
		t.Fatal(err)
	}
	return &user{cred: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}, exe: exe, base: base}
}

// workdir makes a directory owned by the account, for it to log into.
func (u *user) workdir(t *testing.T, name string) string {
	t.Helper()
	d := filepath.Join(u.base, name)
	if err := os.Mkdir(d, 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(d, int(u.cred.Uid), int(u.cred.Gid)); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTermDuringProcessor: TERM arrives while a slow processor runs. As in
// daemontools (which runs the processor synchronously and acts on TERM only
// between lines), the processor step finishes (processed becomes the
// archive, newstate becomes state, previous goes), the line in progress is
// finished, and multilog exits 0: every line it took from the pipe is in
// the logdir once, in order, and the rest is still in the pipe.
func TestTermDuringProcessor(t *testing.T) {
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			t.Parallel()
			s := startMultilog(t, prog, "s4096", "n10", "!sleep 1; cat; echo done >&5", "./d")
			// 100 lines: 4400 bytes, one rotation.
			io.WriteString(s.stdin, batch(0, 100))
			testkit.WaitFor(t, "the processor to start", func() bool {
				_, err := os.Stat(filepath.Join(s.dir, "d/processed"))
				return err == nil
			})
			s.cmd.Process.Signal(syscall.SIGTERM)
			io.WriteString(s.stdin, batch(100, 200)) // after TERM: to be left unread
			if code := s.wait(t); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, s.stderrText())
			}
			if e := s.stderrText(); e != "" {
				t.Errorf("stderr %q", e)
			}
			d := filepath.Join(s.dir, "d")
			got := logged(t, d)
			s.stdin.Close()
			rest, _ := io.ReadAll(s.unread)
			t.Logf("%d lines logged, %d left in the pipe", len(got), len(lineNumbers(string(rest))))
			if len(got) < 40 {
				t.Fatalf("only %d lines logged: the rotation cannot have happened", len(got))
			}
			wantRange(t, "logdir", got, 0, len(got))
			wantRange(t, "left in the pipe", lineNumbers(string(rest)), len(got), 200)

			for _, f := range []string{"previous", "processed", "newstate"} {
				if _, err := os.Lstat(filepath.Join(d, f)); err == nil {
					t.Errorf("%s left behind", f)
				}
			}
			if st := s.read("d/state"); st != "done\n" {
				t.Errorf("state = %q, want the processor's newstate %q", st, "done\n")
			}
			arch, _ := filepath.Glob(filepath.Join(d, "@*"))
			if len(arch) != 1 || !strings.HasSuffix(arch[0], ".s") {
				t.Fatalf("archives %v, want one .s", arch)
			}
			for _, f := range []string{arch[0], filepath.Join(d, "current")} {
				if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0744 {
					t.Errorf("%s: mode %v %v, want 744", filepath.Base(f), st.Mode().Perm(), err)
				}
			}
		})
	}
}

// TestProcessorHangs: a processor that never exits holds multilog in the
// rotation, as in daemontools: the processor step is synchronous, so
// intake stops and the lines that follow wait in the pipe (a hang is just
// a long wait; there is no time limit). Killing the hung processor is a
// crash: ours warns once, pauses 5 seconds, runs the processor again and
// carries on, with every line logged once.
func TestProcessorHangs(t *testing.T) {
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			flag, pidfile := filepath.Join(tmp, "ran"), filepath.Join(tmp, "pid")
			proc := fmt.Sprintf("!if [ -e %s ]; then exec cat; fi; : >%s; echo $$ >%s.new; mv %s.new %s; exec sleep 60",
				flag, flag, pidfile, pidfile, pidfile)
			s := startMultilog(t, prog, "s4096", "n10", proc, "./d")
			io.WriteString(s.stdin, batch(0, 100)) // rotates once: the processor hangs
			var pid int
			testkit.WaitFor(t, "the hung processor", func() bool {
				b, _ := os.ReadFile(pidfile)
				_, err := fmt.Sscan(string(b), &pid)
				return err == nil
			})
			io.WriteString(s.stdin, batch(100, 200))
			time.Sleep(300 * time.Millisecond) // time to take the new lines in, if it could
			if !alive(s) {
				t.Fatalf("multilog exited: %q", s.stderrText())
			}
			for _, n := range logged(t, filepath.Join(s.dir, "d")) {
				if n >= 100 {
					t.Fatalf("line %d logged while the processor hangs", n)
				}
			}
			if arch, _ := filepath.Glob(filepath.Join(s.dir, "d/@*")); len(arch) != 0 {
				t.Fatalf("archives %v before the processor finished", arch)
			}

			syscall.Kill(pid, syscall.SIGKILL)
			testkit.WaitFor(t, "the crash warning", func() bool { return strings.Contains(s.stderrText(), "processor crashed") })
			if prog != "" {
				// daemontools 0.76 falls through from its crash warning to
				// the failure one: two warnings and 10 seconds before the
				// processor runs again. Not waited for here.
				return
			}
			s.stdin.Close()
			if code := s.wait(t); code != 0 {
				t.Fatalf("exit %d", code)
			}
			// One warning (daemontools adds ": " and a stale errno to it,
			// then a second one, "processor failed").
			if e, want := s.stderrText(), "multilog: warning: processor crashed in ./d, pausing\n"; e != want {
				t.Errorf("stderr %q, want one line starting %q", e, want)
			}
			wantRange(t, "logdir", logged(t, filepath.Join(s.dir, "d")), 0, 200)
		})
	}
}

// TestLogdirRemoved: rm -rf of the logdir while multilog runs. Neither
// multilog notices until the next rotation: lines go on into the removed
// current (ours keeps it open, so it can still be copied from
// /proc/PID/fd; daemontools closes it first and it is gone). The rotation's
// rename fails in the removed directory, so multilog warns every 5 seconds
// and retries, forever; intake stops, a TERM waits, and only a kill ends
// it. What ours had not yet taken out of the pipe is still there, so the
// next multilog (svscan keeps the pipe) logs it into a new logdir: the
// lines lost are only those the operator removed with the directory.
func TestLogdirRemoved(t *testing.T) {
	warning := regexp.MustCompile(`^multilog: warning: unable to rename current to (previous|@[0-9a-f]{24}\.u) in directory \./d, pausing: file does not exist\n`)
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r, w := newPipe(t)
			s := startIn(t, prog, dir, r, w, nil, "s4096", "./d")
			io.WriteString(w, batch(0, 10))
			testkit.WaitFor(t, "the first lines", func() bool { return len(logged(t, filepath.Join(dir, "d"))) == 10 })
			if err := os.RemoveAll(filepath.Join(dir, "d")); err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, batch(10, 70)) // one write, one chunk: it rotates
			testkit.WaitFor(t, "the warning", func() bool { return warning.MatchString(s.stderrText()) })
			s.cmd.Process.Signal(syscall.SIGTERM)
			time.Sleep(300 * time.Millisecond)
			if !alive(s) {
				t.Fatalf("exited while paused: %q", s.stderrText())
			}
			if _, err := os.Stat(filepath.Join(dir, "d")); err == nil {
				t.Errorf("the removed logdir came back")
			}
			removed := removedCurrent(s.cmd.Process.Pid)
			s.cmd.Process.Kill()
			s.cmd.Wait()

			// The next multilog on the same pipe, as under svscan.
			s2 := startIn(t, prog, dir, r, w, nil, "s4096", "./d")
			w.Close()
			if code := s2.wait(t); code != 0 {
				t.Fatalf("restart: exit %d %q", code, s2.stderrText())
			}
			nd := filepath.Join(dir, "d")
			got := logged(t, nd)
			t.Logf("the removed current holds %d lines (still open: %v); the new logdir %d of the 60 sent after rm -rf",
				len(lineNumbers(string(removed))), removed != nil, len(got))
			if prog != "" {
				return // daemontools loses what it had read: logged only
			}
			// Everything sent reached the removed current before the
			// rotation, and what was not yet out of the pipe (at least
			// the last bytes, written at the cut window) is in the new
			// logdir: together, nothing lost.
			sent := batch(0, 70)
			if string(removed) != sent {
				t.Errorf("the removed current (read through /proc) holds %v, want lines 0..69", short(lineNumbers(string(removed))))
			}
			var b strings.Builder
			names, _ := filepath.Glob(filepath.Join(nd, "@*"))
			for _, n := range append(names, filepath.Join(nd, "current")) {
				c, _ := os.ReadFile(n)
				b.Write(c)
			}
			if again := b.String(); again == "" || !strings.HasSuffix(sent, again) {
				t.Errorf("new logdir holds %.80q..., want the tail of what was sent", again)
			}
		})
	}
}

// removedCurrent reads the removed current through the descriptor the
// process still holds, or returns nil if it holds none.
func removedCurrent(pid int) []byte {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	for _, fd := range fds {
		if l, _ := os.Readlink(fd); strings.HasSuffix(l, "/d/current (deleted)") {
			b, _ := os.ReadFile(fd)
			return b
		}
	}
	return nil
}

// TestLogdirReadOnly: the logdir made read-only (chmod 500) under a
// multilog that runs as an ordinary user. The next rotation cannot rename
// current: multilog warns in daemontools' words, pauses 5 seconds and
// retries; once the mode is back it rotates and goes on, losing nothing.
func TestLogdirReadOnly(t *testing.T) {
	u := nobody(t)
	warning := regexp.MustCompile(`^multilog: warning: unable to rename current to (previous|@[0-9a-f]{24}\.u) in directory \./d, pausing: access denied\n`)
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			t.Parallel()
			dir := u.workdir(t, "ro-"+name(prog))
			d := filepath.Join(dir, "d")
			r, w := newPipe(t)
			s := startIn(t, prog, dir, r, w, u, "s4096", "./d")
			io.WriteString(w, batch(0, 10))
			testkit.WaitFor(t, "the first lines", func() bool { return len(logged(t, d)) == 10 })
			if err := os.Chmod(d, 0500); err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, batch(10, 70))
			testkit.WaitFor(t, "the warning", func() bool { return warning.MatchString(s.stderrText()) })
			if arch, _ := filepath.Glob(filepath.Join(d, "@*")); len(arch) != 0 {
				t.Errorf("archived %v in a read-only logdir", arch)
			}
			if err := os.Chmod(d, 0700); err != nil {
				t.Fatal(err)
			}
			testkit.WaitFor(t, "the rotation after the retry", func() bool {
				arch, _ := filepath.Glob(filepath.Join(d, "@*.s"))
				return len(arch) == 1
			})
			io.WriteString(w, batch(70, 80))
			w.Close()
			if code := s.wait(t); code != 0 {
				t.Fatalf("exit %d", code)
			}
			wantRange(t, "logdir", logged(t, d), 0, 80)
			if u, _ := filepath.Glob(filepath.Join(d, "@*.u")); len(u) != 0 {
				t.Errorf("unfinished archives %v", u)
			}
		})
	}
}

// TestLoggerUser: run as an ordinary user, multilog makes its logdir 0700
// and owned by that user, and runs its processor as that user too.
func TestLoggerUser(t *testing.T) {
	u := nobody(t)
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			dir := u.workdir(t, "user-"+name(prog))
			r, w := newPipe(t)
			s := startIn(t, prog, dir, r, w, u, "s4096", "!id -u >&5; id -g >&5; cat", "./d")
			io.WriteString(w, batch(0, 100))
			w.Close()
			if code := s.wait(t); code != 0 {
				t.Fatalf("exit %d %q", code, s.stderrText())
			}
			st, err := os.Stat(filepath.Join(dir, "d"))
			if err != nil {
				t.Fatal(err)
			}
			sys := st.Sys().(*syscall.Stat_t)
			if st.Mode() != os.ModeDir|0700 || sys.Uid != u.cred.Uid || sys.Gid != u.cred.Gid {
				t.Errorf("logdir %v owned by %d:%d, want drwx------ owned by %d:%d", st.Mode(), sys.Uid, sys.Gid, u.cred.Uid, u.cred.Gid)
			}
			want := fmt.Sprintf("%d\n%d\n", u.cred.Uid, u.cred.Gid)
			if got := s.read("d/state"); got != want {
				t.Errorf("the processor ran as %q (uid, gid), want %q", got, want)
			}
		})
	}
}

// TestStatusFileStartup: an =file that cannot be opened at start-up is
// fatal (111) before any input is read, in daemontools' words: a file the
// user may not write, or a directory.
func TestStatusFileStartup(t *testing.T) {
	u := nobody(t)
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			dir := u.workdir(t, "status-"+name(prog))
			os.WriteFile(filepath.Join(dir, "st"), nil, 0644) // root's
			for _, tc := range []struct{ arg, want string }{
				{"=st", "multilog: fatal: unable to create st: access denied\n"},
				{"=.", "multilog: fatal: unable to create .: is a directory\n"},
			} {
				r, w := newPipe(t)
				s := startIn(t, prog, dir, r, w, u, tc.arg, "./d")
				io.WriteString(w, "unread\n")
				if code := s.wait(t); code != 111 || s.stderrText() != tc.want {
					t.Errorf("%s: exit %d %q, want 111 %q", tc.arg, code, s.stderrText(), tc.want)
				}
				if _, err := os.Stat(filepath.Join(dir, "d")); err == nil {
					t.Errorf("%s: logdir made", tc.arg)
				}
				w.Close()
				if rest, _ := io.ReadAll(r); string(rest) != "unread\n" {
					t.Errorf("%s: input read: %q left", tc.arg, rest)
				}
			}
		})
	}
}

// TestStatusFileFull: an =file that cannot be written after start-up (its
// file system is full) is not fatal: multilog warns in daemontools' words,
// pauses 5 seconds and writes it again, and the line waits meanwhile (it
// reaches the logdir after the =file, as the script orders them). Needs
// root (mount).
func TestStatusFileFull(t *testing.T) {
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			t.Parallel()
			mnt, filler := smallDisk(t)
			st := filepath.Join(mnt, "st")
			s := startMultilog(t, prog, "="+st, "./d")
			testkit.WaitFor(t, "the =file", func() bool { _, err := os.Stat(st); return err == nil })
			rest := filepath.Join(mnt, "rest")
			fill(t, rest)
			io.WriteString(s.stdin, "one\n")
			want := "multilog: warning: unable to write " + st + ", pausing: out of disk space\n"
			testkit.WaitFor(t, "the warning", func() bool { return strings.HasPrefix(s.stderrText(), want) })
			if got := s.read("d/current"); got != "" {
				t.Errorf("current = %q while the =file waits", got)
			}
			os.Remove(filler)
			os.Remove(rest)
			testkit.WaitFor(t, "the line after the retry", func() bool { return s.read("d/current") == "one\n" })
			s.stdin.Close()
			if code := s.wait(t); code != 0 {
				t.Fatalf("exit %d", code)
			}
			if b, _ := os.ReadFile(st); string(b) != "one"+strings.Repeat("\n", 998) {
				t.Errorf("=file holds %q", b)
			}
		})
	}
}

// fill writes file until its file system is full.
func fill(t *testing.T, file string) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	// A page may still be free below the block size: take it too.
	for {
		if _, err := f.Write(buf[:1]); err != nil {
			return
		}
	}
}

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

// TestHostileOwnerEveryName: the owner of a logdir (nobody) makes each of
// the names multilog itself opens a symbolic link to a root-only file or a
// FIFO, and root runs multilog with every action that opens files there
// (t, s, n, a processor, z). multilog never reads or writes the file
// behind a link, never waits on a FIFO, and where it cannot go on (a lock
// it cannot take) says why in daemontools' words.
func TestHostileOwnerEveryName(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the logdir is prepared as nobody and multilog runs as root")
	}
	buildMlog(t)
	for _, name := range []string{"lock", "state", "newstate", "current", "previous", "processed"} {
		for _, kind := range []string{"link", "fifo"} {
			t.Run(name+"-"+kind, func(t *testing.T) {
				dir := t.TempDir()
				secret := filepath.Join(t.TempDir(), "shadow")
				if err := os.WriteFile(secret, []byte("ROOT ONLY\n"), 0600); err != nil {
					t.Fatal(err)
				}
				d := filepath.Join(dir, "d")
				if err := os.Mkdir(d, 0755); err != nil {
					t.Fatal(err)
				}
				planted := filepath.Join(d, name)
				var err error
				if kind == "link" {
					err = os.Symlink(secret, planted)
				} else {
					err = syscall.Mkfifo(planted, 0644)
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Lchown(planted, 65534, 65534); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(d, 65534, 65534); err != nil {
					t.Fatal(err)
				}
				code, stderr := runBounded(t, dir, []string{"t", "s4096", "n3", "!cat", "z", "./d"},
					bytes.NewReader(numberedLines(0, 3000)), 2*time.Minute)
				switch {
				case name == "lock" && code == 111:
					if !strings.HasPrefix(stderr, "multilog: fatal: unable to lock directory ./d: ") || strings.Contains(stderr, "escapes") {
						t.Errorf("refused with %q", stderr)
					}
				case code != 0:
					t.Errorf("exit %d, stderr %q", code, stderr)
				}
				if b, _ := os.ReadFile(secret); string(b) != "ROOT ONLY\n" {
					t.Errorf("the root-only file changed: %q", b)
				}
				ents, err := os.ReadDir(d)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range ents {
					if !e.Type().IsRegular() {
						continue
					}
					if b := readArchive(t, d, e.Name()); bytes.Contains(b, []byte("ROOT ONLY")) {
						t.Errorf("%s holds the root-only file's bytes", e.Name())
					}
				}
			})
		}
	}
}
