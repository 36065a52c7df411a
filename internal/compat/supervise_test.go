package compat

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/supervise"
	"github.com/mlog/mlog/tai64"
)

// Multi-call test binary: run through a symlink named after a daemontools
// program (see svTools), it is that program. svscan starts supervise this
// way, so the tests run real process trees without a build step.
func init() {
	if name, m, ok := Lookup(os.Args[0]); ok {
		os.Exit(Run(name, m, os.Args[1:]))
	}
}

// svTools returns a directory holding one symlink per program name to the
// test binary.
func svTools(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range Names() {
		if err := os.Symlink(exe, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// svEnv is the environment for the programs under test: ours first on PATH.
func svEnv(tools string) []string {
	return []string{"PATH=" + tools + ":/usr/bin:/bin"}
}

// svReal returns the path of Debian's daemontools program name, skipping
// the test when it is missing (failing when CI is set).
func svReal(t *testing.T, name string) string {
	t.Helper()
	return testkit.NeedPeer(t, "/usr/bin/"+name, "daemontools")
}

type svResult struct {
	stdout, stderr string
	code           int
}

// svExec runs prog with args in dir and returns what it printed and its
// exit code.
func svExec(t *testing.T, env []string, dir, prog string, args ...string) svResult {
	t.Helper()
	return svExecAs(t, nil, env, dir, prog, args...)
}

// svExecAs is svExec as the user in cred (nil: this process's user).
func svExecAs(t *testing.T, cred *syscall.Credential, env []string, dir, prog string, args ...string) svResult {
	t.Helper()
	// A hang detector (a supervise that should have refused to start and
	// did not): no run takes a minute.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	cmd.Dir = dir
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %q: %v", prog, args, err)
	}
	if ctx.Err() != nil {
		t.Errorf("%s %q still ran after a minute", prog, args)
	}
	return svResult{out.String(), errb.String(), code}
}

// svCompare runs the real program and ours with the same arguments in dir
// and requires the same output and exit code. Our program is a symlink
// named like theirs, so messages carry the same name.
func svCompare(t *testing.T, tools, dir, name string, args ...string) svResult {
	t.Helper()
	env := svEnv(tools)
	want := svExec(t, env, dir, svReal(t, name), args...)
	got := svExec(t, env, dir, filepath.Join(tools, name), args...)
	if got != want {
		t.Errorf("%s %q:\n got %+v\nwant %+v", name, args, got, want)
	}
	return got
}

func svScript(t *testing.T, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte("#!/bin/sh\n"+body), 0755); err != nil {
		t.Fatal(err)
	}
}

// svDaemon starts a long-running program (supervise or svscan) whose stderr
// goes to a file, and stops it at cleanup: the supervise processes in dirs
// are told to stop and exit, then prog is killed if still running.
func svDaemon(t *testing.T, env []string, prog string, args []string, dirs ...string) (*exec.Cmd, string) {
	t.Helper()
	errf, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	cmd.Stderr = errf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		for _, d := range dirs {
			supervise.Control(d, []byte("dx"))
		}
		select {
		case <-exited:
		case <-time.After(time.Minute): // a hang detector
			cmd.Process.Kill()
			<-exited
		}
		for _, d := range dirs {
			svWaitGone(t, d)
		}
		errf.Close()
	})
	return cmd, errf.Name()
}

// svWaitGone waits until no supervise runs for dir.
func svWaitGone(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a hang detector, as in svWait
	for {
		ok, _ := supervise.Running(dir)
		if !ok {
			return
		}
		supervise.Control(dir, []byte("dx"))
		if time.Now().After(deadline) {
			t.Errorf("supervise for %s does not exit", dir)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// svPID returns the service's pid from its status file, 0 if down or
// unreadable.
func svPID(dir string) int {
	st, err := supervise.ReadStatus(dir)
	if err != nil {
		return 0
	}
	return st.PID
}

func svUp(dir string) bool {
	st, err := supervise.Stat(dir)
	return err == nil && st.PID != 0
}

func svDown(dir string) bool {
	st, err := supervise.Stat(dir)
	return err == nil && st.PID == 0
}

// svMasked replaces the pid and seconds in svstat lines with x, as
// daemontools-encore's rts tests do.
func svMasked(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		for i, w := range f {
			w = strings.TrimSuffix(w, ")")
			if _, err := strconv.Atoi(w); err == nil {
				f[i] = strings.Replace(f[i], w, "x", 1)
			}
		}
		out = append(out, strings.Join(f, " "))
	}
	return strings.Join(out, "\n")
}

func TestSuperviseUsageMatchesReal(t *testing.T) {
	tools := svTools(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "norun"), 0755)
	for _, args := range [][]string{{}, {"a", "b"}, {"nonexistent"}} {
		svCompare(t, tools, dir, "supervise", args...)
	}
}

func TestSuperviseLockHeld(t *testing.T) {
	t.Parallel()
	tools := svTools(t)
	dir := filepath.Join(t.TempDir(), "svc")
	svScript(t, dir+"/run", "exec sleep 100\n")
	env := svEnv(tools)
	svDaemon(t, env, filepath.Join(tools, "supervise"), []string{dir}, dir)
	testkit.WaitFor(t, "up", func() bool { return svUp(dir) })
	got := svExec(t, env, "", filepath.Join(tools, "supervise"), dir)
	want := "supervise: fatal: unable to acquire " + dir + "/supervise/lock: temporary failure\n"
	if got.code != 111 || got.stderr != want {
		t.Errorf("second supervise = %+v, want 111 and %q", got, want)
	}
}

func TestSuperviseStartError(t *testing.T) {
	t.Parallel()
	tools := svTools(t)
	dir := filepath.Join(t.TempDir(), "svc")
	os.MkdirAll(dir, 0755)
	_, errfile := svDaemon(t, svEnv(tools), filepath.Join(tools, "supervise"), []string{dir}, dir)
	want := "supervise: fatal: unable to start " + dir + "/run: file does not exist\n"
	testkit.WaitFor(t, "the start error", func() bool {
		b, _ := os.ReadFile(errfile)
		return strings.HasPrefix(string(b), want)
	})
	if st, err := supervise.Stat(dir); err != nil || st.PID != 0 || st.Want != supervise.WantUp {
		t.Errorf("status = %+v, %v; want down, want up", st, err)
	}
}

// Debian's svstat and svc read and control our supervise.
func TestCrossRealToolsOnOurSupervise(t *testing.T) {
	t.Parallel()
	tools := svTools(t)
	svstat, svc, svok := svReal(t, "svstat"), svReal(t, "svc"), svReal(t, "svok")
	env := svEnv(tools)
	base := t.TempDir()
	dir := filepath.Join(base, "svc")
	svScript(t, dir+"/run", "exec sleep 100\n")
	svDaemon(t, env, filepath.Join(tools, "supervise"), []string{dir}, dir)
	testkit.WaitFor(t, "up", func() bool { return svUp(dir) })

	check := func(want string) {
		t.Helper()
		testkit.WaitFor(t, want, func() bool {
			return svMasked(svExec(t, env, base, svstat, "svc").stdout) == want
		})
	}
	check("svc: up (pid x) x seconds\n")
	if r := svExec(t, env, base, svok, "svc"); r.code != 0 {
		t.Errorf("real svok = %+v, want 0", r)
	}
	svExec(t, env, base, svc, "-p", "svc")
	check("svc: up (pid x) x seconds, paused\n")
	svExec(t, env, base, svc, "-c", "svc")
	check("svc: up (pid x) x seconds\n")
	pid := svPID(dir)
	svExec(t, env, base, svc, "-d", "svc")
	check("svc: down x seconds, normally up\n")
	os.WriteFile(dir+"/down", nil, 0644)
	svExec(t, env, base, svc, "-u", "svc")
	check("svc: up (pid x) x seconds, normally down\n")
	if svPID(dir) == pid {
		t.Error("same pid after real svc -d, -u")
	}
	svExec(t, env, base, svc, "-dx", "svc")
	testkit.WaitFor(t, "exit", func() bool { ok, _ := supervise.Running(dir); return !ok })
	check("svc: supervise not running\n")
	if r := svExec(t, env, base, svok, "svc"); r.code != 100 {
		t.Errorf("real svok after exit = %+v, want 100", r)
	}
}

// Our svstat, svc and svok read and control Debian's supervise.
func TestCrossOurToolsOnRealSupervise(t *testing.T) {
	t.Parallel()
	tools := svTools(t)
	real := svReal(t, "supervise")
	env := svEnv(tools)
	base := t.TempDir()
	dir := filepath.Join(base, "svc")
	svScript(t, dir+"/run", "exec sleep 100\n")
	svDaemon(t, env, real, []string{dir}, dir)
	testkit.WaitFor(t, "up", func() bool { return svUp(dir) })

	ours := func(name string, args ...string) svResult {
		return svExec(t, env, base, filepath.Join(tools, name), args...)
	}
	check := func(want string) {
		t.Helper()
		testkit.WaitFor(t, want, func() bool {
			// Our svstat and the real one print the same bytes.
			for i := 0; i < 3; i++ {
				got, ref := ours("svstat", "svc"), svExec(t, env, base, svReal(t, "svstat"), "svc")
				if got == ref {
					return svMasked(got.stdout) == want
				}
			}
			t.Fatalf("svstat output differs from the real one")
			return false
		})
	}
	check("svc: up (pid x) x seconds\n")
	if r := ours("svok", "svc"); r.code != 0 {
		t.Errorf("svok = %+v, want 0", r)
	}
	ours("svc", "-p", "svc")
	check("svc: up (pid x) x seconds, paused\n")
	ours("svc", "-c", "svc")
	ours("svc", "-d", "svc")
	check("svc: down x seconds, normally up\n")
	ours("svc", "-u", "svc")
	check("svc: up (pid x) x seconds\n")
	ours("svc", "-o", "svc")
	testkit.WaitFor(t, "want once", func() bool { s, _ := supervise.ReadStatus(dir); return s.Want == supervise.WantOnce })
	if r := ours("svc", "-dx", "svc"); r != (svResult{}) {
		t.Errorf("svc -dx = %+v", r)
	}
	testkit.WaitFor(t, "exit", func() bool { return ours("svok", "svc").code == 100 })
	check("svc: supervise not running\n")
}

func killPID(pid int, sig syscall.Signal) {
	if pid > 0 {
		syscall.Kill(pid, sig)
	}
}

// svRunning reports whether a supervise runs for dir.
func svRunning(dir string) bool {
	ok, _ := supervise.Running(dir)
	return ok
}

func TestSvscanUsageMatchesReal(t *testing.T) {
	tools := svTools(t)
	svCompare(t, tools, t.TempDir(), "svscan", "nonexistent", "extra")
}

// svscan starts one supervise per service directory (following symlinks)
// and one per log, skips dot-names and files, and picks up a new service
// within one rescan.
func TestSvscanScan(t *testing.T) {
	t.Parallel()
	tools := svTools(t)
	base := t.TempDir()
	scan := base + "/service"
	svScript(t, scan+"/a/run", "exec sleep 100\n")
	svScript(t, scan+"/a/log/run", "exec cat >/dev/null\n")
	svScript(t, scan+"/.hidden/run", "exec sleep 100\n")
	svScript(t, base+"/elsewhere/b/run", "exec sleep 100\n")
	os.Symlink(base+"/elsewhere/b", scan+"/b")
	os.WriteFile(scan+"/file", nil, 0644)
	os.Symlink(base+"/nowhere", scan+"/dangling")

	all := []string{scan + "/a", scan + "/a/log", scan + "/b", scan + "/c", scan + "/.hidden"}
	cmd, errfile := svDaemon(t, svEnv(tools), filepath.Join(tools, "svscan"), []string{scan}, all...)
	t.Cleanup(func() { cmd.Process.Kill() }) // before svDaemon's cleanup tells the supervise processes to exit
	for _, d := range all[:3] {
		testkit.WaitFor(t, d+" up", func() bool { return svUp(d) })
	}

	start := time.Now()
	svScript(t, scan+"/c/run", "exec sleep 100\n")
	testkit.WaitFor(t, "c picked up", func() bool { return svUp(scan + "/c") })
	// svscan looks every 5 s; the rest of the bound is for a loaded
	// machine starting supervise and the service. A scan that never
	// comes shows as the wait above timing out.
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("new service picked up after %v, want a scan every 5 s", d)
	}
	if _, err := os.Stat(scan + "/.hidden/supervise"); err == nil {
		t.Error("svscan started a supervise for .hidden")
	}

	// svscan keeps both ends of the log pipe.
	pipes := 0
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/fd")
	for _, fd := range fds {
		if l, _ := os.Readlink("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/fd/" + fd.Name()); strings.HasPrefix(l, "pipe:") {
			pipes++
		}
	}
	if pipes < 2 {
		t.Errorf("svscan holds %d pipe descriptors, want both ends of a's log pipe", pipes)
	}

	// A supervise that exits is started again at the next scan.
	supervise.Control(scan+"/b", []byte("dx"))
	testkit.WaitFor(t, "b's supervise to exit", func() bool { return !svRunning(scan + "/b") })
	testkit.WaitFor(t, "b's supervise restarted", func() bool { return svUp(scan + "/b") })

	b, _ := os.ReadFile(errfile)
	if want := "svscan: warning: unable to stat dangling: file does not exist\n"; !strings.HasPrefix(string(b), want) {
		t.Errorf("svscan stderr = %q, want lines %q", b, want)
	}
}

// The pipe between a service and its log is held by svscan, so no line
// is lost when either is killed with SIGKILL.
func TestSvscanLogPipeSurvivesKill(t *testing.T) {
	t.Parallel()
	tools := svTools(t)
	scan := t.TempDir() + "/service"
	dir := scan + "/counter"
	// The service numbers its lines across restarts; count is written after
	// each line, so a kill can repeat a number but never skip one. It is
	// replaced by a rename: a pause (SIGSTOP) between the truncation and
	// the write of "echo $n >count" would leave it empty while paused.
	svScript(t, dir+"/run", `exec 2>&1
n=$(cat count 2>/dev/null || echo 0)
while :; do
  n=$((n+1))
  echo "line $n"
  echo $n >count.new && mv count.new count
  sleep 0.01
done
`)
	svScript(t, dir+"/log/run", "exec cat >>out\n")
	cmd, _ := svDaemon(t, svEnv(tools), filepath.Join(tools, "svscan"), []string{scan}, dir, dir+"/log")
	t.Cleanup(func() { cmd.Process.Kill() })

	lines := func() []int {
		b, _ := os.ReadFile(dir + "/log/out")
		var ns []int
		for _, l := range strings.Split(string(b), "\n") {
			if n, err := strconv.Atoi(strings.TrimPrefix(l, "line ")); err == nil {
				ns = append(ns, n)
			}
		}
		return ns
	}
	last := func() int {
		ns := lines()
		if len(ns) == 0 {
			return 0
		}
		return ns[len(ns)-1]
	}
	count := func() int {
		n, _ := testkit.ReadInt(dir + "/count")
		return n
	}
	moreThan := func(n int) func() bool { return func() bool { return last() > n } }

	testkit.WaitFor(t, "lines", moreThan(20))

	// Kill the service: it is restarted and carries on numbering.
	killPID(svPID(dir), syscall.SIGKILL)
	n := last()
	testkit.WaitFor(t, "lines after killing the service", moreThan(n+20))

	for i := 0; i < 2; i++ {
		// Kill the logger while it waits for input (the service is paused
		// and everything written so far is in out), then let the service
		// write into the pipe while the logger is down.
		// (supervise may still be in its pause after the restart above:
		// wait until it has taken the p.)
		supervise.Control(dir, []byte("p"))
		testkit.WaitFor(t, "paused", func() bool { st, err := supervise.Stat(dir); return err == nil && st.Paused })
		testkit.WaitFor(t, "the logger to catch up", func() bool { c := count(); return c > 0 && last() >= c })
		logger := svPID(dir + "/log")
		killPID(logger, syscall.SIGKILL)
		supervise.Control(dir, []byte("c"))
		testkit.WaitFor(t, "a new logger", func() bool { p := svPID(dir + "/log"); return p != 0 && p != logger })
		n = last()
		testkit.WaitFor(t, "lines after killing the logger", moreThan(n+20))
	}

	supervise.Control(dir, []byte("d"))
	testkit.WaitFor(t, "service down", func() bool { return svDown(dir) })
	testkit.WaitFor(t, "the logger to catch up", func() bool { return last() >= count() })
	ns := lines()
	seen := make(map[int]bool)
	for _, n := range ns {
		seen[n] = true
	}
	for i := 1; i <= count(); i++ {
		if !seen[i] {
			t.Errorf("line %d lost (%d lines, last %d)", i, len(ns), count())
		}
	}
}

// The user story (moving qmail to daemontools): qmail, smtpd and pop3d prepared in
// /var/qmail/services, linked into /service, controlled with svc, a down
// file, and removed by renaming to a dot-name and svc -x.
func TestSvscanSeedStory(t *testing.T) {
	t.Parallel()
	tools := svTools(t)
	base := t.TempDir()
	services, scan := base+"/var/qmail/services", base+"/service"
	os.MkdirAll(scan, 0755)
	for _, name := range []string{"qmail", "smtpd", "pop3d"} {
		svScript(t, services+"/"+name+"/run", "exec 2>&1\necho "+name+" started\nexec sleep 100\n")
		svScript(t, services+"/"+name+"/log/run", "exec cat >>"+base+"/"+name+".log\n")
	}
	env := svEnv(tools)
	var dirs []string
	for _, name := range []string{"qmail", "smtpd", "pop3d", ".pop3d"} {
		dirs = append(dirs, scan+"/"+name, scan+"/"+name+"/log")
	}
	cmd, errfile := svDaemon(t, env, filepath.Join(tools, "svscan"), []string{scan}, dirs...)
	t.Cleanup(func() { cmd.Process.Kill() })

	sh := func(line string) svResult {
		t.Helper()
		return svExec(t, env, base, "/bin/sh", "-c", line)
	}
	svstat := func(dir string) string { return svMasked(sh("svstat " + dir).stdout) }
	expect := func(dir, want string) {
		t.Helper()
		testkit.WaitFor(t, dir+": "+want, func() bool { return svstat(dir) == dir+": "+want+"\n" })
	}

	for _, name := range []string{"qmail", "smtpd", "pop3d"} {
		// # ln -s /var/qmail/services/qmail /service/qmail
		sh("ln -s " + services + "/" + name + " " + scan + "/" + name)
		expect(scan+"/"+name, "up (pid x) x seconds")
		expect(scan+"/"+name+"/log", "up (pid x) x seconds")
	}
	testkit.WaitFor(t, "qmail's line in its log", func() bool {
		b, _ := os.ReadFile(base + "/qmail.log")
		return string(b) == "qmail started\n"
	})

	pop3d := scan + "/pop3d"
	sh("svc -d " + pop3d)
	expect(pop3d, "down x seconds, normally up")
	sh("svc -u " + pop3d)
	expect(pop3d, "up (pid x) x seconds")
	sh("touch " + pop3d + "/down")
	expect(pop3d, "up (pid x) x seconds, normally down")
	sh("svc -d " + pop3d)
	expect(pop3d, "down x seconds")

	// Removing the service without a reboot.
	sh("svc -d " + pop3d + "/log")
	expect(pop3d+"/log", "down x seconds, normally up")
	sh("mv " + pop3d + " " + scan + "/.pop3d")
	if r := sh("svc -x " + scan + "/.pop3d/log"); r != (svResult{}) {
		t.Errorf("svc -x = %+v", r)
	}
	expect(scan+"/.pop3d/log", "supervise not running")
	expect(scan+"/.pop3d", "down x seconds")
	sh("svc -x " + scan + "/.pop3d")
	expect(scan+"/.pop3d", "supervise not running")
	// Past the next rescan nothing has started it again, and the other
	// services run on.
	time.Sleep(6 * time.Second)
	expect(scan+"/.pop3d", "supervise not running")
	expect(scan+"/.pop3d/log", "supervise not running")
	expect(scan+"/qmail", "up (pid x) x seconds")
	expect(scan+"/smtpd/log", "up (pid x) x seconds")

	if b, _ := os.ReadFile(errfile); len(bytes.TrimSpace(b)) != 0 {
		t.Errorf("svscan stderr: %s", b)
	}
}

// svscanboot stops what a previous boot left running (svc -dx on
// /service/* and /service/*/log, not on dot-names), then runs
// "svscan /service 2>&1 | readproctitle service errors: ...".
func TestSvscanboot(t *testing.T) {
	tools := svTools(t)
	base := t.TempDir()
	scan := base + "/service"
	svScript(t, scan+"/a/run", "exec sleep 100\n")
	svScript(t, scan+"/.b/run", "exec sleep 100\n")
	env := svEnv(tools)
	svDaemon(t, env, filepath.Join(tools, "supervise"), []string{scan + "/a"}, scan+"/a")
	svDaemon(t, env, filepath.Join(tools, "supervise"), []string{scan + "/.b"}, scan+"/.b")
	testkit.WaitFor(t, "up", func() bool { return svUp(scan+"/a") && svUp(scan+"/.b") })

	fakes := t.TempDir()
	svScript(t, fakes+"/svscan", "env >"+base+"/svscan.env\necho \"scanning $1\"\necho oops >&2\n")
	svScript(t, fakes+"/readproctitle", "echo \"$@\" >"+base+"/title.args\nexec cat >"+base+"/title.in\n")
	code, err := supervise.Boot(supervise.BootConfig{Dir: scan, Path: fakes + ":/usr/bin:/bin"})
	if err != nil || code != 0 {
		t.Fatalf("Boot = %d, %v", code, err)
	}
	testkit.WaitFor(t, "a's supervise to exit", func() bool { return !svRunning(scan + "/a") })
	if !svRunning(scan + "/.b") {
		t.Error("svscanboot stopped .b")
	}
	read := func(name string) string { b, _ := os.ReadFile(base + "/" + name); return string(b) }
	if got, want := read("title.in"), "scanning "+scan+"\noops\n"; got != want {
		t.Errorf("readproctitle read %q, want %q", got, want)
	}
	if got, want := read("title.args"), "service errors: "+strings.Repeat(".", 400)+"\n"; got != want {
		t.Errorf("readproctitle args %q, want %q", got, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(read("svscan.env")), "\n") {
		k, _, _ := strings.Cut(line, "=")
		if k != "PATH" && k != "PWD" && k != "SHLVL" && k != "_" {
			t.Errorf("svscan's environment has %q", line)
		}
	}

	if _, err := supervise.Boot(supervise.BootConfig{Dir: scan, Path: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "readproctitle") {
		t.Errorf("Boot without programs error = %v", err)
	}
}

// svProcs returns the processes whose working directory is dir: pid ->
// comm and the executable.
func svProcs(dir string) map[int][2]string {
	out := map[int][2]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p := "/proc/" + e.Name()
		if cwd, err := os.Readlink(p + "/cwd"); err != nil || cwd != dir {
			continue
		}
		comm, _ := os.ReadFile(p + "/comm")
		exe, _ := os.Readlink(p + "/exe")
		out[pid] = [2]string{strings.TrimSpace(string(comm)), exe}
	}
	return out
}

// svscanboot installed under a PREFIX of its own runs the svscan,
// supervise and readproctitle installed beside it, not the ones first on
// PATH (Debian's in /usr/bin; issue 14, item 8).
func TestSvscanbootRunsItsOwn(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	bin := base + "/opt/mlog/bin"
	os.MkdirAll(bin, 0755)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tools := bin + "/mlog-tools"
	if os.Link(exe, tools) != nil {
		b, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tools, b, 0755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range Names() {
		os.Symlink("mlog-tools", filepath.Join(bin, name))
	}
	scan := base + "/service"
	svScript(t, scan+"/a/run", "exec sleep 100\n")

	boot, _ := svDaemon(t, []string{"PATH=/usr/bin:/bin"}, bin+"/svscanboot", []string{scan}, scan+"/a")
	// Stop svscan first: then the supervise processes are told to exit,
	// readproctitle reads end of file and svscanboot returns.
	t.Cleanup(func() {
		for pid, p := range svProcs(scan) {
			if p[0] == "svscan" {
				killPID(pid, syscall.SIGKILL)
			}
		}
	})
	testkit.WaitFor(t, "a up", func() bool { return svUp(scan + "/a") })

	got := map[string]string{}
	for _, p := range svProcs(scan) {
		got[p[0]] = p[1]
	}
	for _, p := range svProcs(scan + "/a") {
		got[p[0]] = p[1]
	}
	// readproctitle works in svscanboot's directory: find it as its child.
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := strings.LastIndexByte(string(b), ')'); err == nil && i > 0 {
			if f := strings.Fields(string(b[i+1:])); len(f) > 1 && f[1] == strconv.Itoa(boot.Process.Pid) {
				comm, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
				exe, _ := os.Readlink("/proc/" + e.Name() + "/exe")
				got[strings.TrimSpace(string(comm))] = exe
			}
		}
	}
	for _, name := range []string{"svscan", "supervise", "readproctitle"} {
		if got[name] != tools {
			t.Errorf("%s runs %q, want %q (all: %v)", name, got[name], tools, got)
		}
	}
}

// svTitle runs prog with args, feeds it input, and returns its last
// argument as /proc shows it once it contains until.
func svTitle(t *testing.T, prog string, args []string, input, until string) string {
	t.Helper()
	cmd := exec.Command(prog, args...)
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, input)
	var last string
	testkit.WaitFor(t, "the title to show "+until, func() bool {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline")
		a := bytes.Split(bytes.TrimSuffix(b, []byte{0}), []byte{0})
		last = string(a[len(a)-1])
		return strings.Contains(last, until)
	})
	w.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("%s: %v", prog, err)
	}
	return last
}

func TestReadproctitleMatchesReal(t *testing.T) {
	tools := svTools(t)
	real := svReal(t, "readproctitle")
	args := []string{"service", "errors:", strings.Repeat(".", 40)}
	for _, in := range []string{"svscan: warning: unable to stat x\n", "a\x00b\x00c end", strings.Repeat("0123456789", 10) + "end"} {
		until := "end"
		if !strings.Contains(in, "end") {
			until = "x"
		}
		want := svTitle(t, real, args, in, until)
		got := svTitle(t, filepath.Join(tools, "readproctitle"), args, in, until)
		if got != want {
			t.Errorf("readproctitle title after %q = %q, want %q", in, got, want)
		}
	}
	dir := t.TempDir()
	for _, args := range [][]string{{}, {"abcd"}, {"abcde"}, {"x", "....."}} {
		svCompare(t, tools, dir, "readproctitle", args...)
	}
}

// Our svstat prints the same bytes as Debian's for every combination of
// status and down file, and for each error.
func TestSvstatMatchesReal(t *testing.T) {
	tools := svTools(t)
	svReal(t, "svstat")
	base := t.TempDir()
	stamp := tai64.Now()
	stamp.Sec -= 1234
	var args []string
	n := 0
	for _, pid := range []int{0, 4242, 0x7fffffff} {
		for _, paused := range []bool{false, true} {
			for _, want := range []byte{supervise.WantUp, supervise.WantDown, supervise.WantOnce, 'z'} {
				for _, down := range []bool{false, true} {
					n++
					name := "s" + string(rune('a'+n/26)) + string(rune('a'+n%26))
					s := supervise.Status{Stamp: stamp, PID: pid, Paused: paused, Want: want}
					testkit.FakeService(t, filepath.Join(base, name), s.Append(nil), down, true)
					args = append(args, name)
				}
			}
		}
	}
	future := supervise.Status{Stamp: tai64.FromTime(time.Now().Add(time.Hour)), PID: 1, Want: 'u'}
	testkit.FakeService(t, base+"/future", future.Append(nil), false, true)
	testkit.FakeService(t, base+"/runit", append(future.Append(nil), 0, 1), false, true)
	testkit.FakeService(t, base+"/short", []byte("0123456789"), false, true)
	testkit.FakeService(t, base+"/nostatus", nil, false, true)
	testkit.FakeService(t, base+"/notrunning", future.Append(nil), false, false)
	os.Mkdir(base+"/nosupervise", 0755)
	os.WriteFile(base+"/file", nil, 0644)
	args = append(args, "future", "runit", "short", "nostatus", "notrunning", "nosupervise", "file", "missing", base+"/sab")

	for try := 0; ; try++ {
		// The seconds may tick between the two runs: try again then.
		want := svExec(t, nil, base, "/usr/bin/svstat", args...)
		got := svExec(t, nil, base, filepath.Join(tools, "svstat"), args...)
		if got == want {
			break
		}
		if try == 2 {
			t.Fatalf("svstat:\n got %+v\nwant %+v", got, want)
		}
	}
	svCompare(t, tools, base, "svstat") // no arguments: no output
}

func TestSvokMatchesReal(t *testing.T) {
	tools := svTools(t)
	base := t.TempDir()
	testkit.FakeService(t, base+"/up", nil, false, true)
	testkit.FakeService(t, base+"/notrunning", nil, false, false)
	os.Mkdir(base+"/nosupervise", 0755)
	os.WriteFile(base+"/file", nil, 0644)
	for _, args := range [][]string{{}, {"up"}, {"notrunning"}, {"nosupervise"}, {"missing"}, {"file"}, {"up", "notrunning"}} {
		svCompare(t, tools, base, "svok", args...)
	}
}

func TestSvcMatchesReal(t *testing.T) {
	tools := svTools(t)
	base := t.TempDir()
	testkit.FakeService(t, base+"/notrunning", nil, false, false)
	os.Mkdir(base+"/nosupervise", 0755)
	for _, args := range [][]string{
		{}, {"-z"}, {"-dz", "x"}, {"-w", "x"}, {"-1"}, {"-d", "missing"}, {"-", "x"}, {"--", "-d"},
		{"-u", "notrunning"}, {"-h", "nosupervise"}, {"missing", "notrunning"},
	} {
		svCompare(t, tools, base, "svc", args...)
	}
}

// svc sends its options, de-duplicated and in order, in one write.
func TestSvcCommandBytes(t *testing.T) {
	tools := svTools(t)
	base := t.TempDir()
	dir := base + "/svc"
	testkit.FakeService(t, dir, nil, false, false)
	unix.Mkfifo(dir+"/supervise/control", 0600)
	fd, err := unix.Open(dir+"/supervise/control", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-d", "-x"}, "dx"},
		{[]string{"-dx"}, "dx"},
		{[]string{"-udopchaitkx"}, "udopchaitkx"},
		{[]string{"-uuddu", "-x"}, "udx"},
		{[]string{"-t", "-t"}, "t"},
		{nil, ""},
	}
	for _, tc := range tests {
		r := svExec(t, nil, base, filepath.Join(tools, "svc"), append(tc.args, "svc")...)
		var b [64]byte
		n, _ := unix.Read(fd, b[:])
		if n < 0 {
			n = 0
		}
		if r.code != 0 || string(b[:n]) != tc.want {
			t.Errorf("svc %q: %+v, sent %q, want %q", tc.args, r, b[:n], tc.want)
		}
	}
}
