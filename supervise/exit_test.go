package supervise

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
)

// TestRunRecordsExits: a service that keeps exiting leaves in
// supervise/exit how many times it exited while wanted up and how it last
// exited, for mlog status (daemontools' status file has neither).
func TestRunRecordsExits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	writeScript(t, filepath.Join(dir, "run"), "exit 3\n")
	runSupervise(t, dir)
	testkit.WaitFor(t, "two restarts after exit 3", func() bool {
		e, ok := ReadExit(dir)
		return ok && e.Restarts >= 2 && e.Code == 3 && e.Signal == 0
	})
	writeScript(t, filepath.Join(dir, "run"), "exec sleep 100\n")
	var before Exit
	// Up running the new script: a last "exit 3" may still be starting,
	// and its pid would be gone before the kill reached it.
	testkit.WaitFor(t, "up running sleep", func() bool {
		st, err := ReadStatus(dir)
		if err != nil || st.PID == 0 {
			return false
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", st.PID))
		before, _ = ReadExit(dir) // after the start: the last exit is in
		return string(comm) == "sleep\n"
	})
	st, _ := ReadStatus(dir)
	syscall.Kill(st.PID, syscall.SIGKILL)
	testkit.WaitFor(t, "the kill recorded", func() bool {
		e, ok := ReadExit(dir)
		return ok && e.Code == -1 && e.Signal == int(syscall.SIGKILL) && e.Restarts == before.Restarts+1
	})
	// A stop asked for is no restart.
	testkit.WaitFor(t, "up again", func() bool { st, err := ReadStatus(dir); return err == nil && st.PID != 0 })
	before, _ = ReadExit(dir)
	control(t, dir, "d")
	testkit.WaitFor(t, "down", func() bool {
		e, ok := ReadExit(dir)
		return ok && e.Signal == int(syscall.SIGTERM) && e.At != before.At
	})
	if e, _ := ReadExit(dir); e.Restarts != before.Restarts {
		t.Errorf("svc -d counted as a restart: %d, was %d", e.Restarts, before.Restarts)
	}
}

func TestParseExit(t *testing.T) {
	e := Exit{Restarts: 37, Code: -1, Signal: 9, At: Status{}.Stamp}
	e.At.Sec = 1 << 62
	got, ok := parseExit(e.appendExit(nil))
	if !ok || got != e {
		t.Errorf("round trip: %+v, %v; want %+v", got, ok, e)
	}
	for _, bad := range []string{"", "mlog-exit 1 1 2 3\n", "mlog-exit 2 1 0 0 @4000000000000000000000000\n", "mlog-exit 1 x 0 0 @400000000000000000000000\n"} {
		if _, ok := parseExit([]byte(bad)); ok {
			t.Errorf("parseExit(%q) succeeded", bad)
		}
	}
}
