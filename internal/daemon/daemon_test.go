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

// TestStderrMatchesTool: cmd/supervise's printer writes what compat's Tool
// writes for mlog supervise, byte for byte, and returns the same codes.
func TestStderrMatchesTool(t *testing.T) {
	var a, b bytes.Buffer
	ours := daemon.Stderr{Name: "supervise", W: &a}
	tool := &compat.Tool{Name: "supervise", Stderr: &b}
	for _, p := range []struct {
		name string
		do   func(daemon.Printer) int
	}{
		{"usage", func(p daemon.Printer) int { return p.Usage("dir") }},
		{"fatal", func(p daemon.Printer) int {
			return p.Fatal(&fs.PathError{Op: "chdir to", Path: "/x", Err: syscall.ENOENT})
		}},
		{"fatal usage", func(p daemon.Printer) int { return p.Fatal(&fault.UsageError{Msg: "supervise dir"}) }},
		{"warn", func(p daemon.Printer) int { p.Warn(errors.New("partial write")); return 0 }},
		{"say", func(p daemon.Printer) int { p.Say("fatal", "unable to start x/run: access denied"); return 0 }},
		{"say no kind", func(p daemon.Printer) int { p.Say("", "text"); return 0 }},
	} {
		a.Reset()
		b.Reset()
		if got, want := p.do(ours), p.do(tool); got != want || a.String() != b.String() {
			t.Errorf("%s: Stderr wrote %q and returned %d, Tool %q and %d", p.name, a.String(), got, b.String(), want)
		}
	}
}
