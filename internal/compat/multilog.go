package compat

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mlog/mlog/internal/daemon"
	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/multilog"
	"github.com/mlog/mlog/rotate"
)

// multilogMain is daemontools' multilog: multilog script. It rejects a
// script only for a malformed action of mlog's own (exit 100, before
// anything is touched: daemontools ignores what it does not know, and a
// misread size would prune history); it exits 111 when a logdir or =file
// cannot be set up, and 0 at the end of input or after TERM or HUP.
func multilogMain(t *Tool, args []string) int {
	syscall.Umask(022)
	script, err := multilog.ParseScript(args)
	if err != nil {
		t.line("usage", err.Error())
		return ExitUsage
	}

	cfg := multilog.Config{Script: script, Stdin: t.Stdin, Stderr: t.Stderr, Idle: daemon.TrimMemory, Trim: daemon.TrimMemory}
	cfg.Logdir.Warn = t.pauseWarning
	if f, ok := t.Stderr.(*os.File); ok {
		cfg.Logdir.Stderr = f
	}
	for _, a := range script.Logdirs() {
		if a.Logdir.Compression != rotate.None {
			cmd, err := compressCommand()
			if err != nil {
				return t.Fatal(err)
			}
			cfg.Logdir.CompressCommand = cmd
			break
		}
	}

	// TERM and HUP: finish the line and exit cleanly (daemontools dies on
	// HUP, leaving current to become a .u file; under supervise, svc -h
	// now restarts multilog with its run script re-read, losing nothing).
	// ALRM: rotate every non-empty logdir.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGALRM)
	cfg.Signals = sigs

	l, err := multilog.Open(cfg)
	if err != nil {
		return t.Fatal(err)
	}
	l.Run()
	return ExitOK
}

// pauseWarning prints a failed step the way multilog does before it
// sleeps and tries again: "unable to write to ./d/current, pausing: out of
// disk space".
func (t *Tool) pauseWarning(err error) {
	var e fault.Error
	var fe *fault.Error
	var pe *fs.PathError
	switch {
	case errors.As(err, &fe):
		e = *fe
	case errors.As(err, &pe):
		e = fault.Error{Op: pe.Op, Path: pe.Path, Err: pe.Err}
	default:
		t.line("warning", err.Error()+", pausing")
		return
	}
	e.Pause = "pausing"
	t.line("warning", fault.Describe(&e))
}

// compressCommand finds the compressor helper: `mlog compress`, from the
// mlog binary beside this one (make install puts them together), else from
// PATH. The daemon itself does not link the compressors.
func compressCommand() ([]string, error) {
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			p := filepath.Join(filepath.Dir(exe), "mlog")
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && p != exe {
				return []string{p, "compress"}, nil
			}
			if filepath.Base(exe) == "mlog" {
				return []string{exe, "compress"}, nil
			}
		}
	}
	p, err := exec.LookPath("mlog")
	if err != nil {
		return nil, &fault.Error{Op: "find the compressor", Path: "mlog", Err: err}
	}
	return []string{p, "compress"}, nil
}
