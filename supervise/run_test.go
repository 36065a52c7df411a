package supervise

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

func writeScript(t *testing.T, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0755); err != nil {
		t.Fatal(err)
	}
	// Written aside and renamed over, as an admin replaces a script that
	// may be running: writing a file that supervise is executing at that
	// moment fails with ETXTBSY (and so would the exec, the other way).
	tmp := name + ".new"
	if err := os.WriteFile(tmp, []byte("#!/bin/sh\n"+body), 0755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

// runSupervise runs Run in the background and returns a channel that gets
// its result, and the warnings seen so far.
func runSupervise(t *testing.T, dir string) (<-chan error, func() []error) {
	var mu sync.Mutex
	var warns []error
	done := make(chan error, 1)
	exited := make(chan struct{})
	cfg := Config{
		Dir:        dir,
		Env:        []string{"PATH=/bin:/usr/bin"},
		StartPause: 50 * time.Millisecond,
		Warn: func(err error) {
			mu.Lock()
			warns = append(warns, err)
			mu.Unlock()
		},
	}
	go func() { done <- Run(cfg); close(exited) }()
	t.Cleanup(func() {
		Control(dir, []byte("dx"))
		select {
		case <-exited:
		case <-time.After(time.Minute): // a hang detector
			t.Error("supervise did not exit")
		}
	})
	return done, func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), warns...)
	}
}

func stat(t *testing.T, dir string) State {
	t.Helper()
	st, err := Stat(dir)
	if err != nil {
		t.Fatalf("Stat(%s): %v", dir, err)
	}
	return st
}

func control(t *testing.T, dir, cmds string) {
	t.Helper()
	if err := Control(dir, []byte(cmds)); err != nil {
		t.Fatalf("Control(%s, %q): %v", dir, cmds, err)
	}
}

// waitExit waits for Run's result on done, failing the test if it is an
// error, or, after a minute (a hang detector), with the message hung.
func waitExit(t *testing.T, done <-chan error, hung string) {
	t.Helper()
	if err := testkit.Result(t, done, time.Minute, hung); err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	writeScript(t, dir+"/run", "exec sleep 100\n")
	done, warns := runSupervise(t, dir)

	var st State
	testkit.WaitFor(t, "up", func() bool { st, _ = Stat(dir); return st.PID != 0 })
	if !st.NormallyUp || st.Want != WantUp || st.Paused {
		t.Errorf("after start: %+v", st)
	}
	for name, want := range map[string]fs.FileMode{
		"supervise":         fs.ModeDir | 0700,
		"supervise/control": fs.ModeNamedPipe | 0600,
		"supervise/ok":      fs.ModeNamedPipe | 0600,
		"supervise/lock":    0600,
		"supervise/status":  0644,
	} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, %v, want %v", name, fi.Mode(), err, want)
		}
	}
	if ok, err := Running(dir); !ok || err != nil {
		t.Errorf("Running = %v, %v, want true", ok, err)
	}
	if err := Run(Config{Dir: dir}); err == nil || err.Error() != "acquire "+dir+"/supervise/lock: resource temporarily unavailable" {
		t.Errorf("second Run error = %v", err)
	}

	pid := st.PID
	control(t, dir, "p")
	testkit.WaitFor(t, "paused", func() bool { return stat(t, dir).Paused })
	control(t, dir, "c")
	testkit.WaitFor(t, "continued", func() bool { return !stat(t, dir).Paused })

	control(t, dir, "d")
	testkit.WaitFor(t, "down", func() bool { st = stat(t, dir); return st.PID == 0 })
	if st.Want != WantDown {
		t.Errorf("after d: want %q", st.Want)
	}
	control(t, dir, "u")
	testkit.WaitFor(t, "up again", func() bool { st = stat(t, dir); return st.PID != 0 })
	if st.PID == pid {
		t.Errorf("same pid %d after d, u", pid)
	}

	pid = st.PID
	syscall.Kill(pid, syscall.SIGKILL)
	testkit.WaitFor(t, "restart", func() bool { st = stat(t, dir); return st.PID != 0 && st.PID != pid })

	control(t, dir, "o")
	testkit.WaitFor(t, "want once", func() bool { return stat(t, dir).Want == WantOnce })
	pid = stat(t, dir).PID
	syscall.Kill(pid, syscall.SIGTERM)
	testkit.WaitFor(t, "down after once", func() bool { return stat(t, dir).PID == 0 })
	// That it stays down: TestOnceStaysDown, on the bubble's clock.

	control(t, dir, "x")
	waitExit(t, done, "x did not make supervise exit while down")
	if ok, _ := Running(dir); ok {
		t.Error("Running after exit")
	}
	if _, err := Stat(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Stat after exit error = %v, want ErrNotRunning", err)
	}
	if w := warns(); len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
}

func TestRunDownFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	writeScript(t, dir+"/run", "exec sleep 100\n")
	os.WriteFile(dir+"/down", nil, 0644)
	done, _ := runSupervise(t, dir)
	testkit.WaitFor(t, "supervise", func() bool { ok, _ := Running(dir); return ok })
	st := stat(t, dir)
	if st.PID != 0 || st.Want != WantDown || st.NormallyUp {
		t.Errorf("with down file: %+v", st)
	}
	// x while up waits for the service to go down (TestExitWaitsForDown,
	// on the bubble's clock); d then brings it down.
	control(t, dir, "u")
	testkit.WaitFor(t, "up", func() bool { st, _ := Stat(dir); return st.PID != 0 })
	control(t, dir, "x")
	control(t, dir, "d")
	waitExit(t, done, "supervise did not exit after d")
	s, err := ReadStatus(dir)
	if err != nil || s.PID != 0 || s.Want != WantDown {
		t.Errorf("final status %+v, %v", s, err)
	}
}

func TestRunStartError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	os.MkdirAll(dir, 0755)
	os.WriteFile(dir+"/run", []byte("not executable"), 0644)
	_, warns := runSupervise(t, dir)
	testkit.WaitFor(t, "two start errors", func() bool { return len(warns()) >= 2 })
	var se *StartError
	w := warns()[0]
	if !errors.As(w, &se) || se.Err.Op != "start" || se.Err.Path != dir+"/run" || !errors.Is(w, syscall.EACCES) {
		t.Errorf("warning = %#v, want StartError for %s/run: EACCES", w, dir)
	}
	if st := stat(t, dir); st.PID != 0 || st.Want != WantUp {
		t.Errorf("status after start error: %+v", st)
	}
	// Fixing run lets the next try succeed.
	os.Chmod(dir+"/run", 0755)
	os.WriteFile(dir+"/run", []byte("#!/bin/sh\nexec sleep 100\n"), 0755)
	testkit.WaitFor(t, "up after fix", func() bool { return stat(t, dir).PID != 0 })
}

func TestRunMissingDir(t *testing.T) {
	err := Run(Config{Dir: filepath.Join(t.TempDir(), "nope")})
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "chdir to" || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Run(missing) = %v", err)
	}
}

func TestRunRenamed(t *testing.T) {
	// The seed story renames a running service to a dot-name; supervise
	// keeps working in the directory it opened.
	base := t.TempDir()
	dir := filepath.Join(base, "pop3d")
	writeScript(t, dir+"/run", "exec sleep 100\n")
	done, _ := runSupervise(t, dir)
	testkit.WaitFor(t, "up", func() bool { st, _ := Stat(dir); return st.PID != 0 })
	moved := filepath.Join(base, ".pop3d")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	pid := stat(t, moved).PID
	syscall.Kill(pid, syscall.SIGKILL)
	testkit.WaitFor(t, "restart in the renamed dir", func() bool { st := stat(t, moved); return st.PID != 0 && st.PID != pid })
	control(t, moved, "dx")
	select {
	case <-done:
	case <-time.After(time.Minute): // a hang detector
		t.Fatal("no exit")
	}
	os.Rename(moved, dir) // for the cleanup's Control
}

// TestRunFinish: an executable ./finish runs after ./run exits, with
// runit's arguments (exit code, signal), before the restart.
func TestRunFinish(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "finished")
	writeScript(t, filepath.Join(dir, "run"), "exec sleep 100\n")
	writeScript(t, filepath.Join(dir, "finish"), "echo \"$1 $2\" >> "+out+"\n")
	runSupervise(t, dir)
	testkit.WaitFor(t, "up", func() bool { st, err := ReadStatus(dir); return err == nil && st.PID != 0 })
	st, _ := ReadStatus(dir)
	syscall.Kill(st.PID, syscall.SIGTERM)
	testkit.WaitFor(t, "finish after a kill", func() bool { b, _ := os.ReadFile(out); return string(b) == "-1 15\n" })
	writeScript(t, filepath.Join(dir, "run"), "exit 3\n")
	testkit.WaitFor(t, "restart", func() bool { st, err := ReadStatus(dir); return err == nil && st.PID != 0 })
	st, _ = ReadStatus(dir)
	syscall.Kill(st.PID, syscall.SIGKILL)
	testkit.WaitFor(t, "finish after exit 3", func() bool {
		b, _ := os.ReadFile(out)
		return len(b) > 6 && string(b[len(b)-4:]) == "3 0\n"
	})
}

// TestRunRestartsWithoutPidfd: where the kernel gives no pidfd for the
// child, SIGCHLD still wakes supervise when ./run exits.
func TestRunRestartsWithoutPidfd(t *testing.T) {
	noPidfd = true
	defer func() { noPidfd = false }()
	dir := filepath.Join(t.TempDir(), "svc")
	writeScript(t, dir+"/run", "exec sleep 100\n")
	runSupervise(t, dir)
	var st State
	testkit.WaitFor(t, "up", func() bool { st, _ = Stat(dir); return st.PID != 0 })
	for i := 0; i < 2; i++ {
		pid := st.PID
		syscall.Kill(pid, syscall.SIGKILL)
		testkit.WaitFor(t, "restart", func() bool { st = stat(t, dir); return st.PID != 0 && st.PID != pid })
	}
}
