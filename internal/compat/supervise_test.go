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
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/supervise"
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
	cmd := exec.Command(prog, args...)
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
