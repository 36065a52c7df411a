package compat

import (
	"os"
	"unsafe"

	"github.com/mlog/mlog/supervise"
)

// readproctitleMain is readproctitle: readproctitle io... It scrolls its
// standard input into the memory of its last argument, so that ps shows the
// recent output. Exit 100 without a last argument of at least 5 bytes, 111
// on a read error, 0 at end of input.
func readproctitleMain(t *Tool, args []string) int {
	if len(args) < 1 {
		return ExitUsage
	}
	title := argvBytes(args[len(args)-1])
	if len(title) < supervise.TitleMin {
		return ExitUsage
	}
	if err := supervise.ProcTitle(t.Stdin, title); err != nil {
		return ExitTemporary
	}
	return ExitOK
}

// argvBytes returns the bytes of s in place when s is one of the process's
// arguments: Go's os.Args strings point into the argument memory the kernel
// shows in /proc/PID/cmdline, and writing there is how readproctitle works.
// Any other string (a test's) gets a private copy.
func argvBytes(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	p := unsafe.StringData(s)
	for _, a := range os.Args {
		if len(a) > 0 && unsafe.StringData(a) == p {
			return unsafe.Slice(p, len(s))
		}
	}
	return []byte(s)
}
