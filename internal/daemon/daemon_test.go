package daemon_test

import (
	"bytes"
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/mlog/mlog/internal/compat"
	"github.com/mlog/mlog/internal/daemon"
	"github.com/mlog/mlog/internal/fault"
)

// TestStderrLines: the one message writer's bytes and exit codes, as
// daemontools' programs write them; supervise prints through it directly
// and every other program through compat's Tool (the last case).
func TestStderrLines(t *testing.T) {
	var buf bytes.Buffer
	ours := daemon.Stderr{Name: "supervise", W: &buf}
	tool := &compat.Tool{Name: "supervise", Stderr: &buf}
	for _, p := range []struct {
		name string
		on   daemon.Printer
		do   func(daemon.Printer) int
		want string
		code int
	}{
		{"usage", ours, func(p daemon.Printer) int { return p.Usage("dir") }, "supervise: usage: supervise dir\n", 100},
		{"fatal", ours, func(p daemon.Printer) int {
			return p.Fatal(&fs.PathError{Op: "chdir to", Path: "/x", Err: syscall.ENOENT})
		}, "supervise: fatal: unable to chdir to /x: file does not exist\n", 111},
		{"fatal usage", ours, func(p daemon.Printer) int { return p.Fatal(&fault.UsageError{Msg: "supervise dir"}) },
			"supervise: usage: supervise dir\n", 100},
		{"warn", ours, func(p daemon.Printer) int { p.Warn(errors.New("partial write")); return 0 },
			"supervise: warning: partial write\n", 0},
		{"say no kind", ours, func(p daemon.Printer) int { p.Say("", "text"); return 0 }, "supervise: text\n", 0},
		{"through Tool", tool, func(p daemon.Printer) int {
			return p.Fatal(&fs.PathError{Op: "chdir to", Path: "/x", Err: syscall.ENOENT})
		}, "supervise: fatal: unable to chdir to /x: file does not exist\n", 111},
	} {
		buf.Reset()
		if got := p.do(p.on); got != p.code || buf.String() != p.want {
			t.Errorf("%s: wrote %q and returned %d, want %q and %d", p.name, buf.String(), got, p.want, p.code)
		}
	}
}
