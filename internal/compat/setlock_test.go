package compat

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/testkit"
)

// setlock's arguments, messages and exit codes against Debian's.
func TestSetlockMatchesReal(t *testing.T) {
	tools := svTools(t)
	svReal(t, "setlock")
	dir := t.TempDir()
	os.Mkdir(dir+"/sub", 0755)
	os.WriteFile(dir+"/keep", []byte("ok\n"), 0644)
	for _, args := range [][]string{
		{}, {"lock"}, {"-n"}, {"-z", "lock", "true"}, {"-nq", "lock", "true"}, {"-", "lock", "true"},
		{"--", "lock", "echo", "ok"}, {"-nNxX", "lock", "echo", "ok"},
		{"nonexistent/lock", "echo", "wrong"}, {"-x", "nonexistent/lock", "echo", "wrong"},
		{"-xX", "nonexistent/lock", "echo", "wrong"}, {"sub", "true"}, {"-x", "sub", "true"},
		{"keep", "cat", "keep"}, // the lock file is not truncated
		{"lock", "./nonexistent"}, {"lock", "no-such-program-mlog"}, {"lock", "sub"},
		{"lock", "sh", "-c", "exit 3"},
	} {
		svCompare(t, tools, dir, "setlock", args...)
	}
	os.Remove(dir + "/lock")
	if r := svExec(t, svEnv(tools), dir, tools+"/setlock", "lock", "true"); r.code != 0 {
		t.Fatalf("setlock lock true: %+v", r)
	}
	if st, err := os.Stat(dir + "/lock"); err != nil || st.Mode().Perm() != 0600 {
		t.Errorf("setlock made lock with %v, %v; want mode 0600 as daemontools' open_append", st.Mode(), err)
	}
}

// The lock is held while the program runs, as Debian's setlock sees it,
// and the other way round; -n fails at once, -x quietly, -N and the
// default wait.
func TestSetlockHoldsLock(t *testing.T) {
	tools := svTools(t)
	real := svReal(t, "setlock")
	ours := tools + "/setlock"
	env := svEnv(tools)
	dir := t.TempDir()
	for _, tc := range []struct {
		outer, inner string
		flags        string
		want         svResult
	}{
		{ours, real, "-n", svResult{"", "setlock: fatal: unable to lock lock: temporary failure\n", 111}},
		{real, ours, "-n", svResult{"", "setlock: fatal: unable to lock lock: temporary failure\n", 111}},
		{real, ours, "-Xn", svResult{"", "setlock: fatal: unable to lock lock: temporary failure\n", 111}},
		{ours, real, "-nx", svResult{"", "", 0}},
		{real, ours, "-nx", svResult{"", "", 0}},
		{real, ours, "-xn", svResult{"", "", 0}},
	} {
		got := svExec(t, env, dir, tc.outer, "lock", "sh", "-c", tc.inner+" "+tc.flags+" lock echo one; echo $?")
		want := tc.want
		want.stdout += strconv.Itoa(tc.want.code) + "\n"
		want.code = 0
		if got != want {
			t.Errorf("%s lock sh -c '%s %s lock echo one; echo $?':\n got %+v\nwant %+v", tc.outer, tc.inner, tc.flags, got, want)
		}
	}

	// Without -n (or with -N after -n) setlock waits: it is seen waiting
	// in /proc/locks while this test holds the lock, and runs the program
	// once the lock is released.
	for _, flags := range [][]string{{}, {"-nN"}} {
		fd, err := unix.Open(dir+"/lock", unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0600)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		unix.Fstat(fd, &st)
		cmd := exec.Command(ours, append(flags, "lock", "echo", "got it")...)
		cmd.Dir, cmd.Env = dir, env
		out := &strings.Builder{}
		cmd.Stdout = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, "setlock waiting for the lock", func() bool { return lockWaiter(st.Ino) })
		if out.Len() != 0 {
			t.Errorf("setlock %q ran the program while the lock was held", flags)
		}
		unix.Close(fd)
		if err := cmd.Wait(); err != nil || out.String() != "got it\n" {
			t.Errorf("setlock %q after the lock was released: %v, %q", flags, err, out.String())
		}
	}
}

// lockWaiter reports whether /proc/locks shows a process blocked on a lock
// of the file with inode ino.
func lockWaiter(ino uint64) bool {
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return false
	}
	suffix := ":" + strconv.FormatUint(ino, 10)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		// "1: -> FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
		if len(f) >= 7 && f[1] == "->" && strings.HasSuffix(f[6], suffix) {
			return true
		}
	}
	return false
}

// pgrphack's messages and exit codes against Debian's, and its child in a
// session and process group of its own.
func TestPgrphackMatchesReal(t *testing.T) {
	tools := svTools(t)
	svReal(t, "pgrphack")
	dir := t.TempDir()
	os.Mkdir(dir+"/sub", 0755)
	for _, args := range [][]string{
		{}, {"./nonexistent"}, {"no-such-program-mlog"}, {"sub"}, {"./sub"}, {"echo", "ok"}, {"-x"},
		{"sh", "-c", "exit 9"},
	} {
		svCompare(t, tools, dir, "pgrphack", args...)
	}
	r := svExec(t, svEnv(tools), dir, tools+"/pgrphack", "sh", "-c", "cat /proc/$$/stat")
	f := strings.Fields(r.stdout)
	// pid (comm) state ppid pgrp session: comm is "sh", without spaces.
	if r.code != 0 || len(f) < 6 || f[4] != f[0] || f[5] != f[0] || strconv.Itoa(os.Getpid()) == f[4] {
		t.Errorf("pgrphack sh: pid, pgrp, session = %q, want all the child's own: %+v", f[:min(6, len(f))], r)
	}
}

// fghack's messages, exit codes and descriptors against Debian's.
func TestFghackMatchesReal(t *testing.T) {
	tools := svTools(t)
	svReal(t, "fghack")
	dir := t.TempDir()
	os.Mkdir(dir+"/sub", 0755)
	for _, args := range [][]string{
		{}, {"./nonexistent"}, {"no-such-program-mlog"}, {"sub"}, {"echo", "ok"},
		{"sh", "-c", "exit 7"}, {"sh", "-c", "kill -9 $$"}, {"sh", "-c", "echo hi &"},
		// The child's descriptors: 31 copies of the pipe's write end on the
		// lowest free ones. (No pipeline: its pipes would be listed too.)
		{"sh", "-c", "cd /proc/$$/fd && for f in *; do echo $f $(readlink $f | tr -d 0-9); done"},
	} {
		svCompare(t, tools, dir, "fghack", args...)
	}
}

// fghack waits for what its child left in the background, until the last
// copy of the pipe is closed, and then exits with the child's code.
func TestFghackWaitsForDaemon(t *testing.T) {
	tools := svTools(t)
	dir := t.TempDir()
	// The daemon gives up stdout and stderr (so only fghack's pipe holds
	// this test back), then marks that it ran to its end.
	r := svExec(t, svEnv(tools), dir, tools+"/fghack", "sh", "-c",
		"(exec >/dev/null 2>&1; sleep 1; touch done) & exit 5")
	if r.code != 5 {
		t.Errorf("fghack exit code = %d, want the child's 5: %+v", r.code, r)
	}
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		t.Errorf("fghack returned before its child's daemon finished: %v", err)
	}
}
