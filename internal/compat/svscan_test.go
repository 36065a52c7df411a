package compat

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/supervise"
)

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
