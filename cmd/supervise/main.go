// Command supervise is mlog's drop-in supervise as a binary of its own: it
// links only supervise's packages (internal/daemon), so that each of the
// hundred supervise processes a machine may idle with costs as little as a
// Go process can (make installs it in place of the mlog-tools symlink).
package main

import (
	"os"

	"github.com/mlog/mlog/internal/daemon"
)

func main() { os.Exit(daemon.Main()) }
