package compat

import (
	"os"

	"github.com/mlog/mlog/internal/daemon"
	"github.com/mlog/mlog/supervise"
)

// svscanMain is svscan: svscan [dir]. Words after dir are ignored, as in
// daemontools. Like daemontools' svscan it changes to dir first; the
// supervise it starts is the one installed beside it, if any (see
// sibling).
func svscanMain(t *Tool, args []string) int {
	cfg := supervise.ScanConfig{Env: os.Environ(), Warn: t.Warn, Idle: daemon.TrimMemory, Supervise: sibling("supervise")}
	if len(args) > 0 {
		if err := daemon.Chdir(args[0]); err != nil {
			return t.Fatal(err)
		}
	}
	cfg.Stdin, cfg.Stdout, cfg.Stderr = stdFiles(t)
	if err := supervise.Scan(cfg); err != nil {
		return t.Fatal(err)
	}
	return ExitOK
}
