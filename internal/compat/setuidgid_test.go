package compat

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mlog/mlog/supervise"
)

func TestSetuidgidUsageMatchesReal(t *testing.T) {
	tools := svTools(t)
	dir := t.TempDir()
	for _, args := range [][]string{{}, {"root"}, {"no-such-account-mlog", "true"}, {"root", "/nonexistent"}, {"root", "no-such-program-mlog"}, {"-x"}} {
		svCompare(t, tools, dir, "setuidgid", args...)
	}
	for _, args := range [][]string{{}, {"root"}, {"no-such-account-mlog", "true"}, {"root", "/nonexistent"}} {
		svCompare(t, tools, dir, "envuidgid", args...)
	}
}

// svAsRootWithGroups runs prog as root with supplementary groups 1, 2, 3.
func svAsRootWithGroups(t *testing.T, env []string, prog string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{1, 2, 3}}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v: %s", prog, args, err, errb.String())
	}
	return out.String(), errb.String()
}

// setuidgid drops the supplementary groups down to the account's primary
// group, as daemontools does (not initgroups): the kernel's list for the
// child (the Groups: line of /proc/self/status) is that one gid.
func TestSetuidgidDropsGroups(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nobody, err := supervise.LookupAccount("nobody")
	if err != nil {
		t.Skip("no account nobody")
	}
	tools := svTools(t)
	env := svEnv(tools)
	script := []string{"nobody", "sh", "-c", "id -u; id -g; id -G; echo $(sed -n 's/^Groups://p' /proc/self/status)"}
	want := itoa(nobody.UID) + "\n" + itoa(nobody.GID) + "\n" + itoa(nobody.GID) + "\n" + itoa(nobody.GID) + "\n"
	got, stderr := svAsRootWithGroups(t, env, filepath.Join(tools, "setuidgid"), script...)
	if got != want || stderr != "" {
		t.Errorf("setuidgid nobody id = %q, %q, want %q", got, stderr, want)
	}
	if real := svReal(t, "setuidgid"); real != "" {
		ref, _ := svAsRootWithGroups(t, env, real, script...)
		if ref != got {
			t.Errorf("real setuidgid gives %q, ours %q", ref, got)
		}
	}
}

func TestEnvuidgidMatchesReal(t *testing.T) {
	tools := svTools(t)
	env := append(svEnv(tools), "UID=old", "A=1")
	want := svExec(t, env, "", svReal(t, "envuidgid"), "nobody", "env")
	got := svExec(t, env, "", filepath.Join(tools, "envuidgid"), "nobody", "env")
	if got != want {
		t.Errorf("envuidgid nobody env:\n got %+v\nwant %+v", got, want)
	}
}

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
