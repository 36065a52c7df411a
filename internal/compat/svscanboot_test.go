package compat

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/supervise"
)

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
