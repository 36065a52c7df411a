package rotate

import (
	"errors"
	"io/fs"
	"sort"
)

// prune deletes the oldest archives until fewer than Num remain, counting as
// multilog's filesfit does: every name that starts with '@' and is at least
// 25 bytes long, whatever it is. With a TotalSize cap it then deletes the
// oldest archives until the rest fit, always keeping the newest.
func (d *Dir) prune() {
	d.pruneMu.Lock()
	defer d.pruneMu.Unlock()
	for {
		names, err := d.names()
		if err != nil {
			d.cfg.Warn(&fs.PathError{Op: "read", Path: d.name, Err: unwrapErrno(err)})
			d.cfg.Sleep(pauseDelay)
			continue
		}
		var counted []string
		for _, n := range names {
			if countsForPruning(n) {
				counted = append(counted, n)
			}
		}
		if len(counted) < d.cfg.Num {
			if d.cfg.TotalSize > 0 {
				d.pruneTotal(counted)
			}
			return
		}
		// As multilog: the lowest first 25 bytes go first.
		oldest := counted[0]
		for _, n := range counted[1:] {
			if n[:25] < oldest[:25] {
				oldest = n
			}
		}
		if err := d.root.Remove(oldest); err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.cfg.Warn(d.pathErr("remove", oldest, unwrapErrno(err)))
			d.cfg.Sleep(pauseDelay)
		}
	}
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
		total -= sizes[i]
	}
}
