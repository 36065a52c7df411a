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
	// One goroutine takes input; the finisher's fsyncs run beside it. Two
	// Ps let each hold one: with one, every fsync or long write left the P
	// to the runtime's monitor to hand over, which woke every 20 µs to do it.
	// Measured (256 MB through a pipe, 5 interleaved rounds): 2 Ps, intake
	// +7% with t and +14% without, CPU -7%; the same idle VmRSS and CPU per
	// wake-up under a trickle of lines. More Ps would only add idle threads.
	// One P was tried again once intake's calls bypassed the scheduler
	// (issue 17): no cheaper under a trickle (benchmarks/trickle.sh, 20
	// loggers: 114 against 102 µs per event), and bulk intake 1.7x slower
	// (128 MB with t, median of 7 interleaved runs, a loaded machine).
	runtime.GOMAXPROCS(2)
	os.Exit(compat.Run("multilog", compat.Multilog, os.Args[1:]))
}
