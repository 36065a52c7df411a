package compat

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

// setlockUsage is setlock's usage text in daemontools 0.76, after the name.
const setlockUsage = "[ -nNxX ] file program [ arg ... ]"

// setlockMain is setlock: setlock [-nNxX] file program [arg...]. It opens
// file for appending (creating it, mode 0600, never truncating it), takes an
// exclusive flock on it and runs program, which inherits the locked
// descriptor: the lock is held until program and every process that
// inherits the descriptor from it have exited. -n: fail at once if the file
// is locked, rather than wait (-N: wait, the default). -x: exit 0 quietly
// when the file cannot be opened or locked (-X: complain, the default).
func setlockMain(t *Tool, args []string) int {
	g := getopt{args: args, opts: "nNxX"}
	noDelay, quiet := false, false
	for {
		c, ok := g.next(t)
		if !ok {
			break
		}
		switch c {
		case 'n':
			noDelay = true
		case 'N':
			noDelay = false
		case 'x':
			quiet = true
		case 'X':
			quiet = false
		default:
			return t.Usage(setlockUsage)
		}
	}
	rest := g.rest()
	if len(rest) < 2 {
		return t.Usage(setlockUsage)
	}
	file, argv := rest[0], rest[1:]

	// As daemontools' open_append: O_NDELAY so that a FIFO does not block the
	// open, and no O_CLOEXEC, because program must inherit the descriptor
	// that holds the lock.
	fd, err := openNoEINTR(file, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_APPEND|unix.O_CREAT, 0600)
	if err != nil {
		if quiet {
			return ExitOK
		}
		return t.Fatal(&fault.Error{Op: "open", Path: file, Err: err})
	}
	how := unix.LOCK_EX
	if noDelay {
		how |= unix.LOCK_NB
	}
	for {
		err = unix.Flock(fd, how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		if quiet {
			return ExitOK
		}
		return t.Fatal(&fault.Error{Op: "lock", Path: file, Err: err})
	}
	env := os.Environ()
	err = supervise.Exec(argv, env, env)
	return t.Fatal(&fault.Error{Op: "run", Path: argv[0], Err: err})
}

// openNoEINTR is open(2) retried on EINTR (Go's signals for its scheduler
// may interrupt an open of a slow device).
func openNoEINTR(path string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Open(path, flags, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
