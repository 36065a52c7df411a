package compat

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

// Exit codes shared by every daemontools program.
const (
	ExitOK        = 0
	ExitUsage     = 100 // bad arguments: nothing was done
	ExitTemporary = 111 // temporary or system failure: try again later
)

// Tool is one run of a program: its name (for messages) and its standard
// files. The files are *os.File in real runs; tests may pass pipes or
// buffers to the programs that only stream.
type Tool struct {
	Name   string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// LookupEnv, if set, is used where an empty variable and an unset one
	// differ (TZ); otherwise a variable Getenv returns "" for is unset.
	LookupEnv func(string) (string, bool)
}

// Main is the signature every program shares: it returns the exit code.
type Main func(t *Tool, args []string) int

// tools maps each daemontools program name to its implementation. args does
// not include the program name. It is a function, not a variable, so that a
// binary that runs one program (cmd/multilog) links only that one.
func tools() map[string]Main {
	return map[string]Main{
		"multilog":      multilogMain,
		"tai64n":        tai64nMain,
		"tai64nlocal":   tai64nlocalMain,
		"supervise":     superviseMain,
		"svscan":        svscanMain,
		"svscanboot":    svscanbootMain,
		"svc":           svcMain,
		"svstat":        svstatMain,
		"svok":          svokMain,
		"setuidgid":     setuidgidMain,
		"envuidgid":     envuidgidMain,
		"envdir":        envdirMain,
		"softlimit":     softlimitMain,
		"readproctitle": readproctitleMain,
		"setlock":       setlockMain,
		"pgrphack":      pgrphackMain,
		"fghack":        fghackMain,
	}
}

// Multilog is multilog's entry point, for cmd/multilog.
func Multilog(t *Tool, args []string) int { return multilogMain(t, args) }

// Names returns the program names in sorted order.
func Names() []string {
	all := tools()
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the program called by argv0 (its base name), if any.
func Lookup(argv0 string) (string, Main, bool) {
	name := filepath.Base(argv0)
	m, ok := tools()[name]
	return name, m, ok
}

// Run runs program name with the process's standard files.
func Run(name string, m Main, args []string) int {
	t := &Tool{Name: name, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, LookupEnv: os.LookupEnv}
	return m(t, args)
}

func (t *Tool) lookupEnv(k string) (string, bool) {
	if t.LookupEnv != nil {
		return t.LookupEnv(k)
	}
	v := t.getenv(k)
	return v, v != ""
}

func (t *Tool) getenv(k string) string {
	if t.Getenv == nil {
		return ""
	}
	return t.Getenv(k)
}

// line writes one message line to stderr: "name: kind: text".
func (t *Tool) line(kind, text string) {
	b := make([]byte, 0, len(t.Name)+len(kind)+len(text)+6)
	b = append(b, t.Name...)
	b = append(b, ": "...)
	if kind != "" {
		b = append(b, kind...)
		b = append(b, ": "...)
	}
	b = append(b, text...)
	b = append(b, '\n')
	t.Stderr.Write(b)
}

// Usage prints "name: usage: name text" and returns [ExitUsage].
func (t *Tool) Usage(text string) int {
	t.line("usage", t.Name+" "+text)
	return ExitUsage
}

// Fatal prints "name: fatal: " and the error in daemontools' words, and
// returns [ExitTemporary] (or [ExitUsage] for a [UsageError]).
func (t *Tool) Fatal(err error) int {
	var u *UsageError
	if errors.As(err, &u) {
		t.line("usage", t.Name+" "+u.Usage)
		return ExitUsage
	}
	t.line("fatal", Describe(err))
	return ExitTemporary
}

// Warn prints "name: warning: " and the error in daemontools' words.
func (t *Tool) Warn(err error) { t.line("warning", Describe(err)) }

// Warnf prints "name: warning: text".
func (t *Tool) Warnf(text string) { t.line("warning", text) }

// UsageError reports bad arguments; Usage is the text after the program
// name in the usage line.
type UsageError struct{ Usage string }

func (e *UsageError) Error() string { return "usage: " + e.Usage }

// Describe renders err as daemontools does after "fatal: ": an
// [fs.PathError] becomes "unable to OP PATH: REASON", and errno values read
// in daemontools' words (error_str in djb's libraries) rather than libc's.
func Describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return "unable to " + pe.Op + " " + pe.Path + ": " + Reason(pe.Err)
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
