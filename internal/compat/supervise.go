package compat

import (
	"errors"
	"os"

	"github.com/mlog/mlog/supervise"
)

// superviseMain is supervise: supervise dir.
func superviseMain(t *Tool, args []string) int {
	if len(args) != 1 {
		return t.Usage("dir")
	}
	cfg := supervise.Config{Dir: args[0], Env: os.Environ(), Warn: superviseWarn(t), Idle: trimMemory}
	cfg.Stdin, cfg.Stdout, cfg.Stderr = stdFiles(t)
	if err := supervise.Run(cfg); err != nil {
		return t.Fatal(err)
	}
	return ExitOK
}

// superviseWarn prints supervise's warnings. A ./run that cannot be
// executed is reported as daemontools' forked child reports it, as fatal.
func superviseWarn(t *Tool) func(error) {
	return func(err error) {
		var se *supervise.StartError
		if errors.As(err, &se) {
			t.line("fatal", Describe(se.Err))
			return
		}
		t.Warn(err)
	}
}

// stdFiles returns the tool's standard files that are real files, for
// programs that hand them on to children.
func stdFiles(t *Tool) (in, out, errf *os.File) {
	in, _ = t.Stdin.(*os.File)
	out, _ = t.Stdout.(*os.File)
	errf, _ = t.Stderr.(*os.File)
	return in, out, errf
}
