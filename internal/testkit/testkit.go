// Package testkit holds what the tests of several packages share: waiting
// for a condition without letting speed decide a pass, the peer programs
// differential tests compare with, a free TCP port, and a fake service
// directory, process groups and the processes left in a directory, a
// logdir prepared by an account root must not trust, and the readers
// stream tests read through. Only tests import it.
package testkit

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/sys/unix"
)

// HangAfter bounds every wait. It only catches a hang, never decides a
// pass: a loaded machine (CI, two cores shared by many jobs) may take
// seconds where an idle one takes milliseconds.
const HangAfter = 2 * time.Minute

// Result waits at most within for a result on done (a goroutine's error,
// nil for success) and returns it; when none comes, it fails t with the
// message hung. within is a hang detector, never a measure of speed.
func Result(t testing.TB, done <-chan error, within time.Duration, hung string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatalf("%s (after %v)", hung, within)
		return nil
	}
}

// WaitFor polls cond every few milliseconds until it holds, and fails t
// when it still does not after [HangAfter]; what names the condition in
// that message.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(HangAfter)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Missing skips t because a peer program it compares with is missing, or
// fails it when CI is set: CI installs every peer, so there a missing one
// is a broken setup, not a reason to skip.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// NeedPeer returns the path of the peer program name (a path such as
// /usr/bin/multilog, or a name looked up in PATH), or calls [Missing]
// saying which Debian package pkg provides it.
func NeedPeer(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is missing (apt-get install %s): %v", name, pkg, err)
	}
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// FakeService makes dir look like a service directory: supervise/ok a
// FIFO, with a reader held open until the test ends when running (as a
// running supervise holds it), supervise/status holding status unless it
// is nil, and a down file when down.
func FakeService(t testing.TB, dir string, status []byte, down, running bool) {
	t.Helper()
	if err := os.MkdirAll(dir+"/supervise", 0700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(dir+"/supervise/ok", 0600); err != nil {
		t.Fatal(err)
	}
	if running {
		fd, err := unix.Open(dir+"/supervise/ok", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
	}
	if status != nil {
		if err := os.WriteFile(dir+"/supervise/status", status, 0644); err != nil {
			t.Fatal(err)
		}
	}
	if down {
		if err := os.WriteFile(dir+"/down", nil, 0644); err != nil {
			t.Fatal(err)
		}
	}
}

// GroupCommand returns a command that runs name with args in a process
// group of its own. When ctx ends, the whole group is killed (a script's
// children with it), and Wait stops waiting for its output 10 s later.
func GroupCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return KillGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// KillGroup kills with SIGKILL every process of the process group pgid
// (one a [GroupCommand] started leads its own).
func KillGroup(pgid int) error { return syscall.Kill(-pgid, syscall.SIGKILL) }

// ProcessesIn returns the pids of the processes whose working directory
// is dir or below it, as /proc shows them. dir must be absolute.
func ProcessesIn(dir string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd")
		if err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ReadInt reads the decimal number a file holds, around which white space
// may stand: a pid file, a counter a test's script keeps.
func ReadInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// HostileLogdir makes, as root, a file only root may read holding secret,
// then has the account nobody fill a logdir it owns by running script
// there with /bin/sh -e ($SECRET is the secret file's path): the logdir of
// an account root must not trust. It returns the logdir. It skips t unless
// run as root.
func HostileLogdir(t testing.TB, secret, script string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: root reads a logdir that nobody (uid 65534) prepared")
	}
	secretPath := t.TempDir() + "/secret"
	if err := os.WriteFile(secretPath, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	// Not under t.TempDir: nobody must be able to reach the logdir.
	base, err := os.MkdirTemp("", "mlog-hostile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := base + "/log"
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-ec", script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "SECRET=" + secretPath}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("preparing the logdir as nobody: %v: %s", err, out)
	}
	return dir
}

// Readers are the ways a stream test reads its input, so that a stream
// function sees its data cut at every boundary (bufio's TestReader):
// whole, a byte at a time, half of each read, and the last data together
// with io.EOF.
var Readers = []struct {
	Name string
	Wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data err", iotest.DataErrReader},
}

// SilentServer listens on a TCP port of 127.0.0.1 and returns its address:
// it accepts connections and never reads from them nor answers (a
// collector that hangs; once the socket buffers are full, nothing more is
// acknowledged). It stops when the test ends.
func SilentServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				<-t.Context().Done()
			}()
		}
	}()
	return ln.Addr().String()
}
