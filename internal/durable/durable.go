// Package durable keeps small state files right: replaced whole, so that a
// crash or a power cut leaves either the old contents or the new, never a
// mix, and used by one run at a time: the cursors of mlog query and mlog
// ship, and mlog qmail's state beside them.
package durable

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/fault"
)

// WriteFile replaces the file at path with b: a temporary file path.new is
// written and fsynced, renamed over path, and the directory fsynced
// (google/renameio's order): the rename is durable once the directory is.
func WriteFile(path string, b []byte) error {
	return WriteFileFunc(path, func(f *os.File) error {
		_, err := f.Write(b)
		return err
	})
}

// WriteFileFunc is [WriteFile] for a file too big to hold in memory
// whole: write writes it to the temporary file f.
//
// A cursor may sit in a directory another account can write (beside the
// logdirs, which their owner controls), while root runs the command: a
// link planted at path.new must not make it write another file. So
// path.new is unlinked first (unlink never follows a link; a directory
// there stays and fails the save) and made afresh with O_EXCL and
// O_NOFOLLOW: a link planted between the two makes the open fail, and
// nothing is written.
func WriteFileFunc(path string, write func(f *os.File) error) error {
	tmp := path + ".new"
	if err := unix.Unlink(tmp); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "remove", Path: tmp, Err: err}
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		// Only a temporary file this call made and did not rename: after
		// the rename, path.new may already be someone else's.
		if !renamed {
			os.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	renamed = true
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Lock takes an exclusive lock on path + ".lock" without waiting, as
// multilog locks a logdir (lock_exnb): a state file replaced by rename
// cannot hold the lock itself. Two runs on one cursor would send or count
// everything twice; the second is refused.
//
// A link at path.lock is refused (O_NOFOLLOW), not followed: the lock file
// is made where a link's owner could otherwise have root create any file.
func Lock(path string) (unlock func(), err error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, &fault.Error{Op: "lock", Path: name, Err: err}
	}
	return func() { f.Close() }, nil
}
