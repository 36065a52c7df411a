package multilog_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// hangAfter is how long a test waits for something that must happen before
// it calls the program hung. It only detects hangs: a loaded machine may
// take seconds where an idle one takes milliseconds, and nothing passes or
// fails by how fast it went.
const hangAfter = testkit.HangAfter

// started is a multilog process with its stdin a pipe held by the test.
type started struct {
	cmd    *exec.Cmd
	stdin  *os.File // write end
	unread *os.File // read end, to see what multilog left unread
	stderr *syncBuffer
	dir    string
}

// syncBuffer is a bytes.Buffer safe to read while the process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (s *started) stderrText() string { return s.stderr.String() }

// waitReading waits, for daemontools' multilog, until it is blocked
// reading its input, the one place where it takes TERM and ALRM at once: a
// signal that comes while it works is held until just before its next
// read, and then acted on only after that read returns, together with
// whatever input came meanwhile. Ours acts on signals whenever they come.
func (s *started) waitReading(t *testing.T) {
	t.Helper()
	if s.cmd.Path != "/usr/bin/multilog" {
		return
	}
	testkit.WaitFor(t, "multilog reading", func() bool {
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
		f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+1:]))
		wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", s.cmd.Process.Pid))
		return len(f) > 0 && f[0] == "S" && bytes.Contains(wchan, []byte("pipe"))
	})
}

// feedIdle writes in to multilog's input and waits until current begins
// with want and multilog waits for more input: a signal sent now comes
// while it is idle.
func (s *started) feedIdle(t *testing.T, in, want string) {
	t.Helper()
	io.WriteString(s.stdin, in)
	testkit.WaitFor(t, "the line in current", func() bool { return strings.HasPrefix(s.read("d/current"), want) })
	s.waitReading(t)
}

// signal sends sig and waits until the kernel has delivered it (it is no
// longer pending): daemontools' handler has set its flag by then. Ours
// hands the signal from the runtime to the logger through a goroutine, so
// a moment is left for that; what the test sends next must not arrive
// before the signal is acted on. On a loaded machine delivery itself may
// take long: that wait is what has no fixed bound.
func (s *started) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	bit := uint64(1) << (sig - 1)
	testkit.WaitFor(t, "the signal delivered", func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
		if err != nil {
			return true // gone
		}
		for _, l := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(l, ":")
			if k == "SigPnd" || k == "ShdPnd" {
				if n, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64); n&bit != 0 {
					return false
				}
			}
		}
		return true
	})
	time.Sleep(100 * time.Millisecond)
}

func startMultilog(t *testing.T, prog string, args ...string) *started {
	t.Helper()
	dir := t.TempDir()
	r, w := newPipe(t)
	return startIn(t, prog, dir, r, w, nil, args...)
}

// startIn starts prog (ours when "") in dir with r as stdin, as the user
// in u (nil: this process's user).
func startIn(t *testing.T, prog, dir string, r, w *os.File, u *user, args ...string) *started {
	t.Helper()
	cmd := multilogCommand(prog, args)
	if prog == "" && u != nil {
		cmd.Path, cmd.Args[0] = u.exe, u.exe // a copy the user can run
	}
	if u != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: u.cred}
	}
	cmd.Dir = dir
	cmd.Stdin = r
	s := &started{cmd: cmd, stdin: w, unread: r, stderr: &syncBuffer{}, dir: dir}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return s
}

func newPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func (s *started) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, name))
	return string(b)
}

func (s *started) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(hangAfter):
		t.Fatal("multilog did not exit")
	}
	return -1
}

// progs returns ours ("") and, when installed, daemontools' multilog.
func progs(t *testing.T) []string {
	p := []string{""}
	if _, err := os.Stat("/usr/bin/multilog"); err == nil {
		p = append(p, "/usr/bin/multilog")
	} else if os.Getenv("CI") != "" {
		t.Fatal("daemontools' multilog is not installed")
	}
	return p
}

func name(prog string) string {
	if prog == "" {
		return "mlog"
	}
	return "daemontools"
}

// TestFlushBeforeBlock: a line is in current as soon as input goes idle.
func TestFlushBeforeBlock(t *testing.T) {
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			s := startMultilog(t, prog, "t", "./d")
			io.WriteString(s.stdin, "one line\n")
			testkit.WaitFor(t, "the line in current", func() bool { return strings.HasSuffix(s.read("d/current"), " one line\n") })
			s.stdin.Close()
			if code := s.wait(t); code != 0 {
				t.Errorf("exit %d", code)
			}
		})
	}
}

// TestTermMidLine: TERM finishes the line being read, leaves the rest of
// stdin unread, marks current finished (744) and exits 0.
func TestTermMidLine(t *testing.T) {
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			s := startMultilog(t, prog, "./d")
			// daemontools holds a partial line in memory; ours writes it
			// when input goes idle (so a kill -9 loses less).
			s.feedIdle(t, "first\npartial ", "first\n")
			s.signal(t, syscall.SIGTERM) // delivered while it waits
			io.WriteString(s.stdin, "rest\nnext\n")
			if code := s.wait(t); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, s.stderr)
			}
			if got := s.read("d/current"); got != "first\npartial rest\n" {
				t.Errorf("current = %q", got)
			}
			st, _ := os.Stat(filepath.Join(s.dir, "d/current"))
			if st.Mode().Perm() != 0744 {
				t.Errorf("current mode %v, want 744", st.Mode().Perm())
			}
			s.stdin.Close()
			left, _ := io.ReadAll(s.unread)
			if string(left) != "next\n" {
				t.Errorf("left unread %q, want %q", left, "next\n")
			}
		})
	}
}

// TestTermAtLineBoundary: TERM while idle after a whole line exits at once.
func TestTermAtLineBoundary(t *testing.T) {
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			s := startMultilog(t, prog, "./d")
			s.feedIdle(t, "whole\n", "whole\n")
			s.cmd.Process.Signal(syscall.SIGTERM)
			if code := s.wait(t); code != 0 {
				t.Fatalf("exit %d", code)
			}
		})
	}
}

// TestAlarmIdle: ALRM rotates a non-empty current even while input is idle;
// on an empty current it does nothing.
func TestAlarmIdle(t *testing.T) {
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			s := startMultilog(t, prog, "./d")
			s.feedIdle(t, "before alarm\n", "before alarm\n")
			s.cmd.Process.Signal(syscall.SIGALRM)
			var archive string
			testkit.WaitFor(t, "an archive", func() bool {
				m, _ := filepath.Glob(filepath.Join(s.dir, "d/@*.s"))
				if len(m) == 1 {
					archive = m[0]
				}
				return len(m) == 1
			})
			if b, _ := os.ReadFile(archive); string(b) != "before alarm\n" {
				t.Errorf("archive holds %q", b)
			}
			if got := s.read("d/current"); got != "" {
				t.Errorf("current = %q after rotation", got)
			}
			// Empty: nothing to do. Handled before more input, which it
			// must not rotate.
			s.waitReading(t)
			s.signal(t, syscall.SIGALRM)
			io.WriteString(s.stdin, "after\n")
			s.stdin.Close()
			s.wait(t)
			if m, _ := filepath.Glob(filepath.Join(s.dir, "d/@*")); len(m) != 1 {
				t.Errorf("%d archives after an alarm on an empty current, want 1", len(m))
			}
		})
	}
}

// TestHangup documents our one deliberate difference: daemontools dies on
// HUP (its current becomes a .u file on the next start); ours finishes the
// line and exits cleanly, so svc -h on a log service restarts it with
// nothing lost.
func TestHangup(t *testing.T) {
	s := startMultilog(t, "", "./d")
	io.WriteString(s.stdin, "line\n")
	testkit.WaitFor(t, "the line", func() bool { return s.read("d/current") == "line\n" })
	s.cmd.Process.Signal(syscall.SIGHUP)
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit %d after HUP, want 0", code)
	}
	st, _ := os.Stat(filepath.Join(s.dir, "d/current"))
	if st.Mode().Perm() != 0744 {
		t.Errorf("current mode %v after HUP, want 744", st.Mode().Perm())
	}
}

// TestCurrentSymlink: a current replaced by a symlink out of the logdir is
// not followed: as daemontools does, the link itself is archived as .u and
// a fresh current is made; the target is never written.
func TestCurrentSymlink(t *testing.T) {
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "outside")
			os.WriteFile(target, []byte("keep\n"), 0644)
			os.Mkdir(filepath.Join(dir, "d"), 0700)
			os.Symlink(target, filepath.Join(dir, "d", "current"))
			res := runMultilog(t, prog, dir, []string{"./d"}, []byte("new\n"))
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if b, _ := os.ReadFile(target); string(b) != "keep\n" {
				t.Errorf("symlink target written: %q", b)
			}
			if got := res.tree["d/current"].data; got != "new\n" {
				t.Errorf("current = %q", got)
			}
			if fi, ok := res.tree["d/@xxxxxxxxxxxxxxxxxxxxxxxx.u"]; !ok || fi.mode&os.ModeSymlink == 0 {
				t.Errorf("symlink not archived as .u: %v", describeTree(res.tree))
			}
		})
	}
}

// TestTermLongLine: after TERM in the middle of a long line, multilog
// finishes the line (megabytes of it, in chunks through the tee path, not
// a byte at a time) and leaves what follows it in the pipe.
func TestTermLongLine(t *testing.T) {
	s := startMultilog(t, "", "c104857600", "./d")
	io.WriteString(s.stdin, "start ")
	testkit.WaitFor(t, "the line's start", func() bool { return s.read("d/current") == "start " })
	s.signal(t, syscall.SIGTERM) // delivered while it waits
	long := strings.Repeat("x", 4<<20)
	go func() { io.WriteString(s.stdin, long+"\nnext\n") }()
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := s.read("d/current"); got != "start "+long+"\n" {
		t.Errorf("current has %d bytes, want the whole line (%d)", len(got), len("start "+long+"\n"))
	}
	s.stdin.Close()
	if left, _ := io.ReadAll(s.unread); string(left) != "next\n" {
		t.Errorf("left unread %q, want %q", left, "next\n")
	}
}
