package compat

import (
	"os"

	"github.com/mlog/mlog/supervise"
)

// envdirMain is envdir: envdir dir child... As in daemontools, its usage
// error exits 111, not 100.
func envdirMain(t *Tool, args []string) int {
	if len(args) < 2 {
		t.line("usage", t.Name+" dir child")
		return ExitTemporary
	}
	env := os.Environ()
	vars, err := supervise.ReadEnvDir(args[0])
	if err != nil {
		return t.Fatal(err)
	}
	err = supervise.Exec(args[1:], supervise.ApplyEnv(env, vars), env)
	return execFatal(t, "", args[1], err)
}
