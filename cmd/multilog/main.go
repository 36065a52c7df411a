// Command multilog is mlog's drop-in multilog as a binary of its own: it
// links only what multilog needs, so a long-running logger idles small
// (make installs it in place of the mlog-tools symlink).
package main

import (
	"os"
	"runtime"

	"github.com/mlog/mlog/internal/compat"
)

func main() {
	// One P. Intake and the finisher's fsyncs used to run on two Ps, so
	// that neither waited for the runtime's monitor to hand the P over.
	// Now intake's system calls bypass the scheduler (multilog/poll.go) and
	// it waits in Go's poller, and a second P only cost a thread woken at
	// every wake-up of the logger: under a trickle of lines
	// (benchmarks/trickle.sh) the monitor and that thread were most of the
	// CPU. Started with one P (OneProc), it also idles smaller.
	compat.OneProc()
	runtime.GOMAXPROCS(1)
	os.Exit(compat.Run("multilog", compat.Multilog, os.Args[1:]))
}
