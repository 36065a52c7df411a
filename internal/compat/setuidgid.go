package compat

import (
	"errors"
	"os"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

// setuidgidMain is setuidgid: setuidgid account child...
func setuidgidMain(t *Tool, args []string) int { return asAccount(t, args, supervise.SetUIDGID) }

// envuidgidMain is envuidgid: envuidgid account child...
func envuidgidMain(t *Tool, args []string) int { return asAccount(t, args, supervise.EnvUIDGID) }

// asAccount is setuidgid and envuidgid, which differ only in become: it
// takes on the account's ids (or puts them in the environment), then
// execs child.
func asAccount(t *Tool, args []string, become func(account string, argv, env, search []string) error) int {
	if len(args) < 2 {
		return t.Usage("account child")
	}
	env := os.Environ()
	return execFatal(t, args[0], args[1], become(args[0], args[1:], env, env))
}

// execFatal prints the error of a program that failed to become child, in
// daemontools' words, and returns 111.
func execFatal(t *Tool, account, child string, err error) int {
	var se *os.SyscallError
	switch {
	case errors.Is(err, supervise.ErrUnknownAccount):
		t.line("fatal", "unknown account "+account)
	case errors.As(err, &se):
		return t.Fatal(&fault.Error{Op: se.Syscall, Err: se.Err})
	default:
		return t.Fatal(&fault.Error{Op: "run", Path: child, Err: err})
	}
	return ExitTemporary
}
