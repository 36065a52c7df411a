package compat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	svWait(t, "up", func() bool { return svUp(scan+"/a") && svUp(scan+"/.b") })

	fakes := t.TempDir()
	svScript(t, fakes+"/svscan", "env >"+base+"/svscan.env\necho \"scanning $1\"\necho oops >&2\n")
	svScript(t, fakes+"/readproctitle", "echo \"$@\" >"+base+"/title.args\nexec cat >"+base+"/title.in\n")
	code, err := supervise.Boot(supervise.BootConfig{Dir: scan, Path: fakes + ":/usr/bin:/bin"})
	if err != nil || code != 0 {
		t.Fatalf("Boot = %d, %v", code, err)
	}
	svWait(t, "a's supervise to exit", func() bool { return !svRunning(scan + "/a") })
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
