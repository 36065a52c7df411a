package compat

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
)

// svAsNobody runs prog with args in dir as uid and gid 65534, with no
// supplementary groups.
func svAsNobody(t *testing.T, env []string, dir, prog string, args ...string) svResult {
	t.Helper()
	return svExecAs(t, &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}, env, dir, prog, args...)
}

// A user cannot control or read a service supervised by root: supervise/
// is 0700 and its FIFOs 0600, so svc, svstat and svok run as nobody get
// daemontools' errors (the same bytes and exit codes as Debian's tools),
// and the service is untouched.
func TestControlAsOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a root-owned supervise, and tools run as uid 65534")
	}
	t.Parallel()
	// The tools must be runnable by nobody: a copy of this test binary
	// in a directory it can reach, with the usual symlinks.
	base, err := os.MkdirTemp("", "mlog-control-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0755)
	tools := filepath.Join(base, "bin")
	os.Mkdir(tools, 0755)
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(tools, "mlog-tools.test")
	if err := os.WriteFile(exe, self, 0755); err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		os.Symlink(exe, filepath.Join(tools, name))
	}
	env := svEnv(tools)

	dir := filepath.Join(base, "svc")
	svScript(t, dir+"/run", "exec sleep 100\n")
	os.Chmod(dir, 0755)
	svDaemon(t, env, filepath.Join(tools, "supervise"), []string{dir}, dir)
	testkit.WaitFor(t, "up", func() bool { return svUp(dir) })
	pid := svPID(dir)

	for _, tc := range []struct {
		args []string
		want svResult
	}{
		{[]string{"svc", "-dx", "svc"}, svResult{"", "svc: warning: unable to control svc: access denied\n", 0}},
		{[]string{"svstat", "svc"}, svResult{"svc: unable to open supervise/ok: access denied\n", "", 0}},
		{[]string{"svok", "svc"}, svResult{"", "svok: fatal: unable to open svc/supervise/ok: access denied\n", 111}},
	} {
		got := svAsNobody(t, env, base, filepath.Join(tools, tc.args[0]), tc.args[1:]...)
		if got != tc.want {
			t.Errorf("%q as nobody = %+v, want %+v", tc.args, got, tc.want)
		}
		if _, err := os.Stat("/usr/bin/" + tc.args[0]); err == nil {
			if ref := svAsNobody(t, env, base, "/usr/bin/"+tc.args[0], tc.args[1:]...); ref != got {
				t.Errorf("%q as nobody: Debian's gives %+v, ours %+v", tc.args, ref, got)
			}
		}
	}
	if st := svPID(dir); st != pid || !svUp(dir) {
		t.Errorf("service pid %d after nobody's svc -dx, want %d and up", st, pid)
	}
}
