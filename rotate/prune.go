package rotate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"sort"
	"syscall"

	"github.com/mlog/mlog/tai64"
)

// prune deletes the oldest archives until fewer than Num remain, counting as
// multilog's filesfit does: every name that starts with '@' and is at least
// 25 bytes long, whatever it is. With a TotalSize cap it then deletes the
// oldest archives until the rest fit, always keeping the newest. What it
// deletes leaves the compression queue too ([finisher.pruned]).
func (d *Dir) prune() {
	d.pruneMu.Lock()
	defer d.pruneMu.Unlock()
	for {
		count, oldest, err := d.scanArchives()
		if err != nil {
			d.cfg.Warn(&fs.PathError{Op: "read", Path: d.name, Err: unwrapErrno(err)})
			d.cfg.Sleep(pauseDelay)
			continue
		}
		if count < d.cfg.Num {
			break
		}
		if err := d.root.Remove(oldest); err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.cfg.Warn(d.pathErr("remove", oldest, unwrapErrno(err)))
			d.cfg.Sleep(pauseDelay)
			continue
		}
		d.fin.pruned(oldest)
	}
	if d.cfg.TotalSize > 0 {
		names, err := d.names()
		if err != nil {
			return // the next prune tries again
		}
		var counted []string
		for _, n := range names {
			if countsForPruning(n) {
				counted = append(counted, n)
			}
		}
		d.pruneTotal(counted)
	}
}

// scanArchives reads the logdir as multilog's filesfit does: how many
// entries pruning counts, and the oldest of them (the lowest first 25
// bytes, the first found among equals). It reads the directory with
// getdents(2) into the Dir's own buffer, so that a rotation, which prunes,
// leaves no garbage behind: os.File.Readdirnames allocates every name, and
// so does unix.ParseDirent.
func (d *Dir) scanArchives() (count int, oldest string, err error) {
	if d.dents == nil {
		d.dents = make([]byte, 8192)
	}
	fd := int(d.dirf.Fd())
	if _, err := syscall.Seek(fd, 0, io.SeekStart); err != nil {
		return 0, "", err
	}
	d.oldest = d.oldest[:0]
	for {
		n, err := syscall.Getdents(fd, d.dents)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, "", err
		}
		if n <= 0 {
			break
		}
		// struct linux_dirent64: ino (8 bytes), off (8), reclen (2),
		// type (1), then the name, NUL-terminated and padded.
		for off := 0; off+19 <= n; {
			reclen := int(binary.NativeEndian.Uint16(d.dents[off+16:]))
			if reclen == 0 || off+reclen > n {
				break
			}
			name := d.dents[off+19 : off+reclen]
			off += reclen
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if !countsForPruning(name) {
				continue
			}
			count++
			if len(d.oldest) == 0 || bytes.Compare(name[:tai64.LabelLen], d.oldest[:tai64.LabelLen]) < 0 {
				d.oldest = append(d.oldest[:0], name...)
			}
		}
	}
	// The name is made a string only when one is to go.
	if count >= d.cfg.Num {
		oldest = string(d.oldest)
	}
	return count, oldest, nil
}

// pruneTotal deletes the oldest archives while their sizes add up to more
// than TotalSize. The newest archive is kept whatever its size.
func (d *Dir) pruneTotal(names []string) {
	sort.Strings(names)
	sizes := make([]int64, len(names))
	var total int64
	for i, n := range names {
		if st, err := d.root.Lstat(n); err == nil {
			sizes[i] = st.Size()
			total += sizes[i]
		}
	}
	for i := 0; i < len(names)-1 && total > d.cfg.TotalSize; i++ {
		if err := d.root.Remove(names[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.cfg.Warn(d.pathErr("remove", names[i], unwrapErrno(err)))
			continue
		}
		d.fin.pruned(names[i])
		total -= sizes[i]
	}
}
