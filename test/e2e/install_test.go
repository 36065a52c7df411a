package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
)

// TestInstallUninstall is README's Install: make install PREFIX= puts the
// binaries (multilog and supervise are binaries of their own), one link
// per other daemontools name and the man pages under PREFIX; make
// uninstall PREFIX= takes them away again and leaves what is not ours
// (here daemontools' svok put in place of our link, and a file of
// someone else's). The PREFIX starts with an earlier install's layout, in
// which supervise was a link to mlog-tools: installing over it replaces
// the link, not the binary it points to.
func TestInstallUninstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every binary")
	}
	testkit.NeedPeer(t, "make", "make")
	prefix := t.TempDir() + "/usr"
	root := moduleRoot(t)
	mk := func(target string) string {
		cmd := exec.Command("make", "-s", target, "PREFIX="+prefix)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
		return string(out)
	}
	os.MkdirAll(prefix+"/bin", 0755)
	os.Symlink("mlog-tools", prefix+"/bin/supervise")
	mk("install")
	for _, f := range []string{"bin/mlog", "bin/mlog-tools", "bin/multilog", "bin/supervise", "bin/svscan", "bin/tai64nlocal",
		"share/man/man8/multilog.8", "share/man/man8/mlog.8", "share/man/man8/mlog-query.8", "share/man/man8/mlog-wait.8"} {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("make install: %v", err)
		}
	}
	if l, _ := os.Readlink(prefix + "/bin/svc"); l != "mlog-tools" {
		t.Errorf("bin/svc links to %q, want mlog-tools", l)
	}
	for _, name := range []string{"multilog", "supervise", "mlog-tools"} {
		fi, err := os.Lstat(prefix + "/bin/" + name)
		if err != nil {
			t.Errorf("make install: %v", err)
			continue
		}
		if !fi.Mode().IsRegular() {
			t.Errorf("bin/%s is a %v, want a binary of its own", name, fi.Mode().Type())
			continue
		}
		if b, _ := os.ReadFile(filepath.Join(root, "bin", name)); !bytes.Equal(b, mustRead(t, prefix+"/bin/"+name)) {
			t.Errorf("bin/%s is not the one make build made", name)
		}
	}
	// Not ours: must stay.
	os.Remove(prefix + "/bin/svok")
	os.WriteFile(prefix+"/bin/svok", []byte("#!/bin/sh\n# daemontools' svok\n"), 0755)
	os.WriteFile(prefix+"/share/man/man8/svok.8", []byte(".TH svok 8\n"), 0644)
	os.WriteFile(prefix+"/bin/other", []byte("x"), 0755)
	out := mk("uninstall")
	var left []string
	filepath.Walk(prefix, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			left = append(left, strings.TrimPrefix(path, prefix+"/"))
		}
		return nil
	})
	if strings.Join(left, " ") != "bin/other bin/svok share/man/man8/svok.8" {
		t.Errorf("after make uninstall: %q, want only what was not ours\n%s", left, out)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
