package compat

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

// superviseMain is supervise: supervise dir.
func superviseMain(t *Tool, args []string) int {
	if len(args) != 1 {
		return t.Usage("dir")
	}
	// supervise runs in the service directory, as daemontools' does
	// (supervise.c: chdir(dir)): /proc/PID/cwd, lsof and fuser show it
	// there. The package works through descriptors and never changes
	// directory; the program does, and gives the package "." and the
	// name for messages.
	if err := chdir(args[0]); err != nil {
		return t.Fatal(err)
	}
	cfg := supervise.Config{Dir: ".", Name: args[0], Env: os.Environ(), Warn: superviseWarn(t), Idle: trimMemory}
	cfg.Stdin, cfg.Stdout, cfg.Stderr = stdFiles(t)
	if err := supervise.Run(cfg); err != nil {
		return t.Fatal(err)
	}
	return ExitOK
}

// chdir changes to dir, with daemontools' "unable to chdir to DIR" error.
func chdir(dir string) error {
	if err := os.Chdir(dir); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &fs.PathError{Op: "chdir to", Path: dir, Err: err}
	}
	return nil
}

// superviseWarn prints supervise's warnings. A ./run that cannot be
// executed is reported as daemontools' forked child reports it, as fatal.
func superviseWarn(t *Tool) func(error) {
	return func(err error) {
		var se *supervise.StartError
		if errors.As(err, &se) {
			t.line("fatal", fault.Describe(se.Err))
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

// sibling returns the path of program name installed beside the running
// executable (make install puts every name in one directory, as symbolic
// links to one binary), or "" when there is none there. svscanboot and
// svscan run their siblings, so that a set installed under any PREFIX
// runs as one set, whatever else comes first on PATH (Debian's
// /usr/bin/svscan, say); without a sibling they look the name up on PATH
// as daemontools does.
func sibling(name string) string {
	exe, err := os.Executable() // /proc/self/exe: the binary, links resolved
	if err != nil {
		return ""
	}
	p := filepath.Join(filepath.Dir(exe), name)
	var st unix.Stat_t
	if unix.Stat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || unix.Access(p, unix.X_OK) != nil {
		return ""
	}
	return p
}
