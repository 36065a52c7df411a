package compat

import (
	"os"

	"github.com/mlog/mlog/supervise"
)

// svscanMain is svscan: svscan [dir]. Words after dir are ignored, as in
// daemontools.
func svscanMain(t *Tool, args []string) int {
	cfg := supervise.ScanConfig{Env: os.Environ(), Warn: t.Warn, Idle: trimMemory}
	if len(args) > 0 {
		cfg.Dir = args[0]
	}
	cfg.Stdin, cfg.Stdout, cfg.Stderr = stdFiles(t)
	if err := supervise.Scan(cfg); err != nil {
		return t.Fatal(err)
	}
	return ExitOK
}
