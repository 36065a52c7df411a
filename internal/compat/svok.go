package compat

import "github.com/mlog/mlog/supervise"

// svokMain is svok: svok dir. It exits 0 when a supervise runs for dir, 100
// when none does, 111 when it cannot tell.
func svokMain(t *Tool, args []string) int {
	if len(args) < 1 {
		return t.Usage("dir")
	}
	ok, err := supervise.Running(args[0])
	switch {
	case err != nil:
		return t.Fatal(err)
	case !ok:
		return ExitUsage // daemontools' svok: 100 means not running
	}
	return ExitOK
}
