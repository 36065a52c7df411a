// Package daemon is the program layer of supervise: arguments to
// [supervise.Config], messages and exit codes, and the memory habits of a
// program that idles in the hundreds ([OneProc], [TrimMemory]).
//
// It is apart from internal/compat so that supervise's binary of its own
// (cmd/supervise) links supervise and nothing else: every package a binary
// links runs its init and keeps its data in every process, and a hundred
// supervise processes idle at once (benchmarks/supervise-rss.sh). It
// imports no cobra, no fmt, no compressor and no other program.
// internal/compat runs the same [Supervise] for `mlog supervise`.
package daemon

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"runtime/debug"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

// Printer prints a program's messages in daemontools' words. internal/compat's
// Tool is one; [Stderr] is the one of a binary without compat.
type Printer interface {
	Usage(text string) int // "name: usage: name text"; returns fault.ExitUsage
	Fatal(err error) int   // "name: fatal: ..."; returns err's exit code
	Warn(err error)        // "name: warning: ..."
	Say(kind, text string) // "name: kind: text"
}

// Supervise is supervise: supervise dir. env is the environment of
// ./run; stdin, stdout and stderr its standard files (nil: the process's
// own).
func Supervise(p Printer, args, env []string, stdin, stdout, stderr *os.File) int {
	if len(args) != 1 {
		return p.Usage("dir")
	}
	// supervise runs in the service directory, as daemontools' does
	// (supervise.c: chdir(dir)): /proc/PID/cwd, lsof and fuser show it
	// there. The package works through descriptors and never changes
	// directory; the program does, and gives the package "." and the
	// name for messages.
	if err := Chdir(args[0]); err != nil {
		return p.Fatal(err)
	}
	// Each start of ./run leaves about 2 kB of garbage (syscall.ForkExec
	// copies argv and the environment into C strings), and nothing else
	// allocates, so with Go's default the first collection comes only at
	// a 4 MB heap: a service that exits at once grew its supervise from
	// 0.53 to 1.7 MB of anonymous memory in 9 minutes, still growing. At
	// 10 the heap is collected from about 0.4 MB on: the same loop stayed
	// between 1.4 and 1.7 MB over 27 minutes (the scavenger gives pages
	// back; /proc/PID/smaps_rollup, a restart a second). An idle
	// supervise allocates nothing and never collects either way (0.53 MB).
	// GOGC, if set, wins.
	if !hasVar(env, "GOGC") {
		debug.SetGCPercent(10)
	}
	cfg := supervise.Config{Dir: ".", Name: args[0], Env: env, Warn: superviseWarn(p), Idle: TrimMemory,
		Stdin: stdin, Stdout: stdout, Stderr: stderr}
	if err := supervise.Run(cfg); err != nil {
		return p.Fatal(err)
	}
	return fault.ExitOK
}

// superviseWarn prints supervise's warnings. A ./run that cannot be
// executed is reported as daemontools' forked child reports it, as fatal.
func superviseWarn(p Printer) func(error) {
	return func(err error) {
		var se *supervise.StartError
		if errors.As(err, &se) {
			p.Say("fatal", fault.Describe(se.Err))
			return
		}
		p.Warn(err)
	}
}

// Chdir changes to dir, with daemontools' "unable to chdir to DIR" error.
func Chdir(dir string) error {
	if err := os.Chdir(dir); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &fs.PathError{Op: "chdir to", Path: dir, Err: err}
	}
	return nil
}

// Stderr is a [Printer] that writes to the process's standard error (or W):
// the one writer of messages. cmd/supervise prints through it directly,
// every other program and mlog command through internal/compat's Tool.
type Stderr struct {
	Name string    // the program's name
	W    io.Writer // nil: os.Stderr
}

// Say writes "name: kind: text" (or "name: text" when kind is "") in one
// write.
func (s Stderr) Say(kind, text string) {
	b := make([]byte, 0, len(s.Name)+len(kind)+len(text)+6)
	b = append(b, s.Name...)
	b = append(b, ": "...)
	if kind != "" {
		b = append(b, kind...)
		b = append(b, ": "...)
	}
	b = append(b, text...)
	b = append(b, '\n')
	if s.W == nil {
		os.Stderr.Write(b)
		return
	}
	s.W.Write(b)
}

// Usage prints "name: usage: name text" and returns [fault.ExitUsage].
func (s Stderr) Usage(text string) int {
	s.Say("usage", s.Name+" "+text)
	return fault.ExitUsage
}

// Fatal prints err, a usage error as "name: usage: ..." and any other as
// "name: fatal: ...", and returns its exit code ([fault.ExitCode]).
func (s Stderr) Fatal(err error) int {
	if errors.Is(err, fault.ErrUsage) {
		s.Say("usage", err.Error())
	} else {
		s.Say("fatal", fault.Describe(err))
	}
	return fault.ExitCode(err)
}

// Warn prints "name: warning: " and err in daemontools' words.
func (s Stderr) Warn(err error) { s.Say("warning", fault.Describe(err)) }

// hasVar reports whether env sets key.
func hasVar(env []string, key string) bool {
	_, ok := lookup(env, key)
	return ok
}
