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
