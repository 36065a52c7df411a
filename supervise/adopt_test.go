package supervise

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/tai64"
)

// writeStatus writes dir/supervise/status as an earlier supervise would
// have left it.
func writeStatus(t *testing.T, dir string, s Status) {
	t.Helper()
	if err := os.MkdirAll(dir+"/supervise", 0700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/supervise/status", s.Append(nil), 0644); err != nil {
		t.Fatal(err)
	}
}

// startSleep starts a process that stands for a service left running by
// a killed supervise, and returns it.
func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// A status whose pid still runs, started when the stamp says, by a parent
// that is no supervise, is adopted: no second ./run; d stops the adopted
// process and supervise then sees it down.
func TestRunAdopts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	writeScript(t, dir+"/run", "echo started >> starts\nexec sleep 100\n")
	old := startSleep(t)
	stamp := tai64.Now()
	writeStatus(t, dir, Status{Stamp: stamp, PID: old.Process.Pid, Want: WantUp})

	_, warns := runSupervise(t, dir)
	testkit.WaitFor(t, "supervise", func() bool { ok, _ := Running(dir); return ok })
	st := stat(t, dir)
	if st.PID != old.Process.Pid || st.Stamp != stamp {
		t.Errorf("status after start = %+v, want pid %d and the old stamp", st, old.Process.Pid)
	}
	var a *Adopted
	if w := warns(); len(w) != 1 || !errors.As(w[0], &a) || a.PID != old.Process.Pid {
		t.Errorf("warnings = %v, want one Adopted", w)
	}

	control(t, dir, "d")
	testkit.WaitFor(t, "down", func() bool { return stat(t, dir).PID == 0 })
	if _, err := os.Stat(dir + "/starts"); !os.IsNotExist(err) {
		t.Errorf("./run was started beside the adopted process (%v)", err)
	}
	control(t, dir, "u")
	testkit.WaitFor(t, "up as our child", func() bool { st := stat(t, dir); return st.PID != 0 && st.PID != old.Process.Pid })
}

// The adopted process exits on its own: supervise restarts the service.
func TestRunAdoptedExit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	writeScript(t, dir+"/run", "exec sleep 100\n")
	old := startSleep(t)
	writeStatus(t, dir, Status{Stamp: tai64.Now(), PID: old.Process.Pid, Want: WantUp})
	runSupervise(t, dir)
	testkit.WaitFor(t, "supervise", func() bool { ok, _ := Running(dir); return ok })
	old.Process.Signal(syscall.SIGTERM)
	testkit.WaitFor(t, "restart", func() bool { st := stat(t, dir); return st.PID != 0 && st.PID != old.Process.Pid })
}

// A live pid that is not the recorded service is never adopted: ./run is
// started as daemontools would.
func TestRunNoAdoptStranger(t *testing.T) {
	stranger := startSleep(t)
	for _, tc := range []struct {
		name string
		s    Status
	}{
		// A recycled pid, or a status from before a reboot: the process
		// started long after the stamp.
		{"started after the stamp", Status{Stamp: tai64.FromTime(time.Now().Add(-time.Hour)), PID: stranger.Process.Pid, Want: WantUp}},
		// A clock wrong at boot: long before the stamp.
		{"started before the stamp", Status{Stamp: tai64.FromTime(time.Now().Add(time.Hour)), PID: stranger.Process.Pid, Want: WantUp}},
		{"supervise itself", Status{Stamp: tai64.Now(), PID: os.Getpid(), Want: WantUp}},
		{"init", Status{Stamp: tai64.Now(), PID: 1, Want: WantUp}},
		{"gone", Status{Stamp: tai64.Now(), PID: 0x7ffffff0, Want: WantUp}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "svc")
			writeScript(t, dir+"/run", "echo started >> starts\nexec sleep 100\n")
			writeStatus(t, dir, tc.s)
			_, warns := runSupervise(t, dir)
			testkit.WaitFor(t, "a start", func() bool { b, _ := os.ReadFile(dir + "/starts"); return len(b) > 0 })
			if st := stat(t, dir); st.PID == tc.s.PID {
				t.Errorf("adopted %+v", st)
			}
			for _, w := range warns() {
				if strings.Contains(w.Error(), "adopting") {
					t.Errorf("warning %v", w)
				}
			}
		})
	}
}

// A pid whose parent is a supervisor belongs to another service, whatever
// its start time: never adopted.
func TestLeftoverSupervisedParent(t *testing.T) {
	for _, tc := range []struct {
		argv0   string
		adopted bool
	}{
		{"supervise", false},
		{"/usr/bin/runsv", false},
		{"s6-supervise", false},
		{"/bin/sh", true}, // the same child under a parent of another name
	} {
		// sh as the parent, run under argv0, with a child that started
		// just now.
		dir := t.TempDir()
		cmd := exec.Command("/bin/sh", "-c", "sleep 100 & echo $! > "+dir+"/child; wait")
		cmd.Args[0] = tc.argv0
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var child int
		testkit.WaitFor(t, "the child", func() bool {
			n, err := testkit.ReadInt(dir + "/child")
			child = n
			return err == nil
		})
		if got := leftover(child, tai64.Now()); got != tc.adopted {
			t.Errorf("child of %q: leftover = %v, want %v", tc.argv0, got, tc.adopted)
		}
		syscall.Kill(child, syscall.SIGKILL)
		cmd.Process.Kill()
		cmd.Wait()
	}
}
