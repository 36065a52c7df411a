// Command mlog-tools is the lean multi-call binary behind the daemontools
// names (multilog, supervise, svscan, svc, ...). It links no cobra and no
// compressor so the long-running programs idle small; `mlog` is the modern
// front with everything.
package main

import (
	"os"

	"github.com/mlog/mlog/internal/compat"
	"github.com/mlog/mlog/internal/daemon"
)

func main() {
	name, m, ok := compat.Lookup(os.Args[0])
	if !ok && len(os.Args) > 1 {
		name, m, ok = compat.Lookup(os.Args[1])
		os.Args = os.Args[1:]
	}
	if !ok {
		t := &compat.Tool{Name: "mlog-tools", Stderr: os.Stderr}
		os.Exit(t.Usage("program [args...] (or call it by a daemontools name)"))
	}
	if name == "supervise" {
		// The same program as cmd/supervise (make installs that one).
		os.Exit(daemon.Main())
	}
	os.Exit(compat.Run(name, m, os.Args[1:]))
}
