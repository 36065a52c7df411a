package fault

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"
)

func TestError(t *testing.T) {
	errKind := errors.New("kind")
	tests := []struct {
		name string
		err  *Error
		want string // Error(): what follows "unable to "
	}{
		{"op path", &Error{Op: "lock directory", Path: "./main", Err: syscall.EAGAIN}, "lock directory ./main: temporary failure"},
		{"no path", &Error{Op: "create pipe", Err: syscall.EMFILE}, "create pipe: process cannot open more files"},
		{"rename in directory", &Error{Op: "rename", Path: "current", To: "previous", Dir: "./main", Err: syscall.EACCES},
			"rename current to previous in directory ./main: access denied"},
		{"pause", &Error{Op: "fork for", Path: "svc", Pause: "sleeping 60 seconds", Err: syscall.EAGAIN},
			"fork for svc, sleeping 60 seconds: temporary failure"},
		{"own cause", &Error{Op: "open", Path: "./d", Err: errors.New("not a logdir")}, "open ./d: not a logdir"},
		{"unknown errno", &Error{Op: "open", Path: "x", Err: syscall.Errno(4000)}, "open x: " + syscall.Errno(4000).Error()},
		{"kind", &Error{Op: "write commands to", Path: "s", Err: syscall.EPIPE, Kind: errKind}, "write commands to s: broken pipe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if got, want := Describe(tc.err), "unable to "+tc.want; got != want {
				t.Errorf("Describe = %q, want %q", got, want)
			}
			if got := errors.Is(tc.err, errKind); got != (tc.err.Kind != nil) {
				t.Errorf("errors.Is(err, Kind) = %v, want %v", got, !got)
			}
			if !errors.Is(tc.err, tc.err.Err) {
				t.Errorf("errors.Is(err, its cause) = false")
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"path error", &fs.PathError{Op: "open", Path: "./main/current", Err: syscall.ENOSPC}, "unable to open ./main/current: out of disk space"},
		{"path error without path", &fs.PathError{Op: "chdir", Err: syscall.ENOENT}, "unable to chdir: file does not exist"},
		{"link error", &os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EXDEV}, "unable to rename a to b: cross-device link"},
		{"errno", syscall.ENOENT, "file does not exist"},
		{"plain", errors.New("logdir keeps changing"), "logdir keeps changing"},
		{"usage", &UsageError{Msg: "no logdir"}, "no logdir"},
	}
	for _, tc := range tests {
		if got := Describe(tc.err); got != tc.want {
			t.Errorf("%s: Describe(%v) = %q, want %q", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{&UsageError{Msg: "no logdir"}, 100},
		{&Error{Op: "open", Path: "x", Err: &UsageError{Msg: "wrapped"}}, 100},
		{&Error{Op: "open", Path: "x", Err: syscall.ENOENT}, 111},
		{errors.New("anything else"), 111},
	}
	for _, tc := range tests {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
