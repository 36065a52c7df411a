package compat

import (
	"os"
	"syscall"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

// pgrphackMain is pgrphack: pgrphack child... It runs child in a new
// session, and so in a new process group of its own, so that a signal sent
// to the group child was started in does not reach it.
func pgrphackMain(t *Tool, args []string) int {
	if len(args) < 1 {
		return t.Usage("child")
	}
	// As daemontools: setsid fails only for a process group leader, and
	// then the child runs in the group it is in ("too bad").
	syscall.Setsid()
	env := os.Environ()
	err := supervise.Exec(args, env, env)
	return t.Fatal(&fault.Error{Op: "run", Path: args[0], Err: err})
}
