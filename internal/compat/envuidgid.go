package compat

import (
	"os"

	"github.com/mlog/mlog/supervise"
)

// envuidgidMain is envuidgid: envuidgid account child...
func envuidgidMain(t *Tool, args []string) int {
	if len(args) < 2 {
		return t.Usage("account child")
	}
	env := os.Environ()
	return execFatal(t, args[0], args[1], supervise.EnvUIDGID(args[0], args[1:], env, env))
}
