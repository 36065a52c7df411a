// Package durable replaces small state files whole, so that a crash or a
// power cut leaves either the old contents or the new, never a mix: the
// cursors of mlog query and mlog ship, and mlog qmail's state beside them.
package durable

import (
	"os"
	"path/filepath"
)

// WriteFile replaces the file at path with b: a temporary file path.new is
// written and fsynced, renamed over path, and the directory fsynced
// (google/renameio's order): the rename is durable once the directory is.
func WriteFile(path string, b []byte) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
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
	if _, err := f.Write(b); err != nil {
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
