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
	// One goroutine does the work; the finisher's fsyncs block in the
	// kernel without holding a P. A second P only costs idle memory.
	runtime.GOMAXPROCS(1)
	os.Exit(compat.Run("multilog", compat.Multilog, os.Args[1:]))
}
