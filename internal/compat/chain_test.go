package compat

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/supervise"
)

// svCompareEach compares our program name with Debian's (see svCompare)
// on each of argss, in a directory holding a directory "sub" and whatever
// prepare (if not nil) adds, and returns our tools and that directory.
func svCompareEach(t *testing.T, name string, prepare func(dir string), argss [][]string) (tools, dir string) {
	t.Helper()
	tools = svTools(t)
	svReal(t, name)
	dir = t.TempDir()
	os.Mkdir(dir+"/sub", 0755)
	if prepare != nil {
		prepare(dir)
	}
	for _, args := range argss {
		svCompare(t, tools, dir, name, args...)
	}
	return tools, dir
}

// setlock's arguments, messages and exit codes against Debian's.
func TestSetlockMatchesReal(t *testing.T) {
	tools, dir := svCompareEach(t, "setlock", func(dir string) { os.WriteFile(dir+"/keep", []byte("ok\n"), 0644) }, [][]string{
		{}, {"lock"}, {"-n"}, {"-z", "lock", "true"}, {"-nq", "lock", "true"}, {"-", "lock", "true"},
		{"--", "lock", "echo", "ok"}, {"-nNxX", "lock", "echo", "ok"},
		{"nonexistent/lock", "echo", "wrong"}, {"-x", "nonexistent/lock", "echo", "wrong"},
		{"-xX", "nonexistent/lock", "echo", "wrong"}, {"sub", "true"}, {"-x", "sub", "true"},
		{"keep", "cat", "keep"}, // the lock file is not truncated
		{"lock", "./nonexistent"}, {"lock", "no-such-program-mlog"}, {"lock", "sub"},
		{"lock", "sh", "-c", "exit 3"},
	})
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
	tools, dir := svCompareEach(t, "pgrphack", nil, [][]string{
		{}, {"./nonexistent"}, {"no-such-program-mlog"}, {"sub"}, {"./sub"}, {"echo", "ok"}, {"-x"},
		{"sh", "-c", "exit 9"},
	})
	r := svExec(t, svEnv(tools), dir, tools+"/pgrphack", "sh", "-c", "cat /proc/$$/stat")
	f := strings.Fields(r.stdout)
	// pid (comm) state ppid pgrp session: comm is "sh", without spaces.
	if r.code != 0 || len(f) < 6 || f[4] != f[0] || f[5] != f[0] || strconv.Itoa(os.Getpid()) == f[4] {
		t.Errorf("pgrphack sh: pid, pgrp, session = %q, want all the child's own: %+v", f[:min(6, len(f))], r)
	}
}

// fghack's messages, exit codes and descriptors against Debian's.
func TestFghackMatchesReal(t *testing.T) {
	_, _ = svCompareEach(t, "fghack", nil, [][]string{
		{}, {"./nonexistent"}, {"no-such-program-mlog"}, {"sub"}, {"echo", "ok"},
		{"sh", "-c", "exit 7"}, {"sh", "-c", "kill -9 $$"}, {"sh", "-c", "echo hi &"},
		// The child's descriptors: 31 copies of the pipe's write end on the
		// lowest free ones. (No pipeline: its pipes would be listed too.)
		{"sh", "-c", "cd /proc/$$/fd && for f in *; do echo $f $(readlink $f | tr -d 0-9); done"},
	})
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

// envdir's file rules, compared with Debian's envdir through env's output.
func TestEnvdirMatchesReal(t *testing.T) {
	tools := svTools(t)
	real := svReal(t, "envdir")
	base := t.TempDir()
	dir := base + "/env"
	os.Mkdir(dir, 0755)
	files := map[string]string{
		"FOO":     "bar  \t\nsecond line\n",
		"EMPTY":   "",
		"NL":      "\n",
		"NUL":     "a\x00b\x00",
		".hidden": "x",
		"TRAIL":   "x \t \t",
		"CR":      "y\r\n",
		"LEAD":    "  lead",
		"PATH":    "/nonexistent", // changes the child's PATH, not where envdir looks for the child
		"A":       "over",
	}
	for name, content := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0644)
	}
	env := append(svEnv(tools), "EMPTY=set", "A=1", "KEEP=yes")
	want := svExec(t, env, base, real, "env", "env")
	got := svExec(t, env, base, filepath.Join(tools, "envdir"), "env", "env")
	if got != want { // the same variables in the same order
		t.Errorf("envdir env env:\n got %+v\nwant %+v", got, want)
	}
	for _, line := range []string{"FOO=bar", "NL=", "NUL=a\nb\n", "TRAIL=x", "CR=y\r", "LEAD=  lead", "A=over", "KEEP=yes"} {
		if !strings.Contains(got.stdout, line) {
			t.Errorf("envdir output lacks %q", line)
		}
	}
	if strings.Contains(got.stdout, "EMPTY") || strings.Contains(got.stdout, "hidden") {
		t.Errorf("envdir output has EMPTY or .hidden: %q", got.stdout)
	}

	os.Mkdir(base+"/sub", 0755)
	os.Mkdir(base+"/sub/DIR", 0755)
	for _, args := range [][]string{{}, {"env"}, {"missing", "true"}, {"env", "no-such-program-mlog"}, {"sub", "true"}, {"-x"}} {
		svCompare(t, tools, base, "envdir", args...)
	}
}

func TestSetuidgidUsageMatchesReal(t *testing.T) {
	tools := svTools(t)
	dir := t.TempDir()
	for _, args := range [][]string{{}, {"root"}, {"no-such-account-mlog", "true"}, {"root", "/nonexistent"}, {"root", "no-such-program-mlog"}, {"-x"}} {
		svCompare(t, tools, dir, "setuidgid", args...)
	}
	for _, args := range [][]string{{}, {"root"}, {"no-such-account-mlog", "true"}, {"root", "/nonexistent"}} {
		svCompare(t, tools, dir, "envuidgid", args...)
	}
}

// svAsRootWithGroups runs prog as root with supplementary groups 1, 2, 3.
func svAsRootWithGroups(t *testing.T, env []string, prog string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{1, 2, 3}}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v: %s", prog, args, err, errb.String())
	}
	return out.String(), errb.String()
}

// setuidgid drops the supplementary groups down to the account's primary
// group, as daemontools does (not initgroups): the kernel's list for the
// child (the Groups: line of /proc/self/status) is that one gid.
func TestSetuidgidDropsGroups(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nobody, err := supervise.LookupAccount("nobody")
	if err != nil {
		t.Skip("no account nobody")
	}
	tools := svTools(t)
	env := svEnv(tools)
	script := []string{"nobody", "sh", "-c", "id -u; id -g; id -G; echo $(sed -n 's/^Groups://p' /proc/self/status)"}
	want := itoa(nobody.UID) + "\n" + itoa(nobody.GID) + "\n" + itoa(nobody.GID) + "\n" + itoa(nobody.GID) + "\n"
	got, stderr := svAsRootWithGroups(t, env, filepath.Join(tools, "setuidgid"), script...)
	if got != want || stderr != "" {
		t.Errorf("setuidgid nobody id = %q, %q, want %q", got, stderr, want)
	}
	if real := svReal(t, "setuidgid"); real != "" {
		ref, _ := svAsRootWithGroups(t, env, real, script...)
		if ref != got {
			t.Errorf("real setuidgid gives %q, ours %q", ref, got)
		}
	}
}

func TestEnvuidgidMatchesReal(t *testing.T) {
	tools := svTools(t)
	env := append(svEnv(tools), "UID=old", "A=1")
	want := svExec(t, env, "", svReal(t, "envuidgid"), "nobody", "env")
	got := svExec(t, env, "", filepath.Join(tools, "envuidgid"), "nobody", "env")
	if got != want {
		t.Errorf("envuidgid nobody env:\n got %+v\nwant %+v", got, want)
	}
}

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestSoftlimitMatchesReal(t *testing.T) {
	tools := svTools(t)
	svReal(t, "softlimit")
	dir := t.TempDir()
	ulimits := []string{"sh", "-c", "ulimit -a"}
	for _, opts := range [][]string{
		{},
		{"-o", "50"},
		{"-o", "="},
		{"-o50", "-c0", "-f", "1000000", "-p", "500", "-d", "200000000", "-s", "1000000", "-l", "65536", "-a", "2000000000", "-r", "1000000", "-t", "100"},
		{"-m", "300000000"},
		{"-t", "99999999999999999999"},
		{"-p", "="},
		{"--", "-o", "1"},
	} {
		r := svCompare(t, tools, dir, "softlimit", append(opts, ulimits...)...)
		if r.code != 0 && !strings.HasPrefix(strings.Join(opts, " "), "--") {
			t.Errorf("softlimit %q: %+v", opts, r)
		}
	}
	for _, args := range [][]string{{}, {"-z", "true"}, {"-m"}, {"-m", "abc", "true"}, {"-m", "100"}, {"-o", "-1", "true"}, {"true", "-o", "5"}, {"no-such-program-mlog"}} {
		svCompare(t, tools, dir, "softlimit", args...)
	}
}
