// Package fault is the toolkit's one error type and its words: what
// failed (an operation on a path), why (an errno in daemontools' words),
// and which exit code that means. Library packages return a [*Error] or a
// [*UsageError]; the program layer (internal/compat's Tool) is the only
// one that prints them, with [Describe], and exits with [ExitCode].
package fault

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// Exit codes shared by every daemontools program and mlog command.
const (
	ExitOK        = 0
	ExitUsage     = 100 // bad arguments: nothing was done
	ExitTemporary = 111 // temporary or system failure: try again later
)

// ExitCode is the one mapping from an error to an exit code: 0 for nil,
// [ExitUsage] for a usage error ([ErrUsage]), [ExitTemporary] for any
// other failure, as daemontools' programs exit.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrUsage):
		return ExitUsage
	}
	return ExitTemporary
}

// Error is an operation that failed on a path. Its text reads well after
// "unable to ", in daemontools' words: "lock directory ./main: temporary
// failure", "rename current to previous in directory ./main: access
// denied". Each field holds one thing, never a sentence: the words around
// them are added when it is printed.
type Error struct {
	Op   string // the operation: "open", "lock directory", "write to", "chdir to"
	Path string // what it was done to: a path, or a name in Dir
	To   string // the second name of a rename or link, or "disk" for an fsync; if any
	Dir  string // the directory Path and To are names in, if they are names
	// Pause says what the program does before it tries again, if it
	// does: "pausing", "sleeping 60 seconds".
	Pause string
	Err   error // the cause: an errno, or an error of its own
	// Kind is the sentinel callers tell this failure apart by with
	// errors.Is, if they must (as svc words a failed write differently
	// from a failed open).
	Kind error
}

func (e *Error) Error() string {
	b := make([]byte, 0, 64)
	b = append(b, e.Op...)
	if e.Path != "" {
		b = append(b, ' ')
		b = append(b, e.Path...)
	}
	if e.To != "" {
		b = append(b, " to "...)
		b = append(b, e.To...)
	}
	if e.Dir != "" {
		b = append(b, " in directory "...)
		b = append(b, e.Dir...)
	}
	if e.Pause != "" {
		b = append(b, ", "...)
		b = append(b, e.Pause...)
	}
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, Reason(e.Err)...)
	}
	return string(b)
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// ErrUsage is the sentinel of every usage error: bad arguments or a
// configuration that cannot be run; nothing was done.
var ErrUsage = errors.New("usage")

// UsageError is bad arguments or a configuration that cannot be run. Msg
// says what is wrong ("no logdir") or, from a daemontools program, is its
// synopsis ("multilog script").
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Is reports whether target is [ErrUsage].
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

// Describe renders err as daemontools does after "fatal: " or "warning: ":
// an [*Error], [*fs.PathError] or [*os.LinkError] becomes "unable to OP
// PATH: REASON", and errno values read in daemontools' words (error_str in
// djb's libraries) rather than libc's.
func Describe(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return "unable to " + fe.Error()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return "unable to " + (&Error{Op: pe.Op, Path: pe.Path, Err: pe.Err}).Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return "unable to " + le.Op + " " + le.Old + " to " + le.New + ": " + Reason(le.Err)
	}
	return Reason(err)
}

// Reason returns the daemontools wording of the errno inside err, or err's
// own text when it holds no errno.
func Reason(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Error()
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if uint(errno) < uint(len(errnoWords)) && errnoWords[errno] != "" {
			return errnoWords[errno]
		}
		return errno.Error()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + " " + pe.Path + ": " + Reason(pe.Err)
	}
	return err.Error()
}

// errnoWords is error_str() from djb's libraries (error_str.c), the words
// daemontools prints, indexed by errno. An array, not a map: the linker
// lays it out in the binary, where a map would be built by code at every
// start of every program.
var errnoWords = [...]string{
	syscall.EINTR:        "interrupted system call",
	syscall.ENOMEM:       "out of memory",
	syscall.ENOENT:       "file does not exist",
	syscall.EINVAL:       "invalid argument",
	syscall.EPIPE:        "broken pipe",
	syscall.EIO:          "input/output error",
	syscall.ENXIO:        "device not configured",
	syscall.E2BIG:        "argument list too long",
	syscall.ENOEXEC:      "exec format error",
	syscall.EBADF:        "file descriptor not open",
	syscall.ECHILD:       "no child processes",
	syscall.EAGAIN:       "temporary failure",
	syscall.EACCES:       "access denied",
	syscall.EPERM:        "permission denied",
	syscall.EFAULT:       "bad address",
	syscall.ENOTBLK:      "not a block device",
	syscall.EBUSY:        "device busy",
	syscall.EEXIST:       "file already exists",
	syscall.EXDEV:        "cross-device link",
	syscall.ENODEV:       "device does not support operation",
	syscall.ENOTDIR:      "not a directory",
	syscall.EISDIR:       "is a directory",
	syscall.ENFILE:       "system cannot open more files",
	syscall.EMFILE:       "process cannot open more files",
	syscall.ENOTTY:       "not a tty",
	syscall.ETXTBSY:      "text busy",
	syscall.EFBIG:        "file too big",
	syscall.ENOSPC:       "out of disk space",
	syscall.ESPIPE:       "unseekable descriptor",
	syscall.EROFS:        "read-only file system",
	syscall.EMLINK:       "too many links",
	syscall.EDOM:         "input out of range",
	syscall.ERANGE:       "output out of range",
	syscall.EDEADLK:      "operation would cause deadlock",
	syscall.ENAMETOOLONG: "file name too long",
	syscall.ENOLCK:       "no locks available",
	syscall.ENOSYS:       "system call not available",
	syscall.ENOTEMPTY:    "directory not empty",
	syscall.ELOOP:        "symbolic link loop",
	syscall.ESRCH:        "no such process",
	syscall.EDQUOT:       "disk quota exceeded",
	syscall.ESTALE:       "stale NFS file handle",
	syscall.ECONNREFUSED: "connection refused",
	syscall.ETIMEDOUT:    "timed out",
}
