package compat

import (
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/mlog/mlog/internal/daemon"
	"github.com/mlog/mlog/internal/fault"
)

// Exit codes shared by every daemontools program (package fault owns
// them and maps errors to them).
const (
	ExitOK        = fault.ExitOK
	ExitUsage     = fault.ExitUsage
	ExitTemporary = fault.ExitTemporary
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

// say is the Tool's message writer: internal/daemon's Stderr, the one
// writer of "name: kind: text" lines, shared with the supervise binary
// (which links no compat).
func (t *Tool) say() daemon.Stderr { return daemon.Stderr{Name: t.Name, W: t.Stderr} }

// line writes one message line to stderr: "name: kind: text". Every
// program and mlog command prints through it.
func (t *Tool) line(kind, text string) { t.say().Say(kind, text) }

// Usage prints "name: usage: name text", the synopsis line of a
// daemontools program, and returns [ExitUsage].
func (t *Tool) Usage(text string) int { return t.say().Usage(text) }

// Fatal prints err and returns its exit code ([fault.ExitCode]): a usage
// error as "name: usage: what is wrong", any other as "name: fatal: " and
// the error in daemontools' words.
func (t *Tool) Fatal(err error) int { return t.say().Fatal(err) }

// Warn prints "name: warning: " and the error in daemontools' words.
func (t *Tool) Warn(err error) { t.say().Warn(err) }

// Warnf prints "name: warning: text".
func (t *Tool) Warnf(text string) { t.line("warning", text) }

// Say prints "name: kind: text", for the commands whose words are their
// own (mlog query says fatal, not usage, for bad flags, and exits 2 as
// grep does; mlog ship words its failures with their pause or give-up).
func (t *Tool) Say(kind, text string) { t.line(kind, text) }
