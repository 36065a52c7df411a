package rotate

import (
	"io"
	"syscall"
)

// Moving bytes from a pipe straight into current.
//
// A script that only copies bytes (no stamps, no selection) need not look
// at them until current nears its size limit: splice(2) moves them from
// the input pipe into current inside the kernel, one copy instead of the
// read and the write, and they leave the pipe only as they land in the
// file, so a kill in between neither loses nor repeats any. The last
// cutWindow bytes of each current go through Write, where the rotation
// rule sees every newline.

// SpliceRoom reports how many bytes Splice may move now: what current takes
// before its cut window.
func (d *Dir) SpliceRoom() int {
	room := d.cfg.Size - cutWindow - d.bytes - int64(len(d.buf))
	if room <= 0 {
		return 0
	}
	if room > 1<<30 {
		room = 1 << 30
	}
	return int(room)
}

// Splice moves up to max bytes (at most SpliceRoom) from the front of the
// pipe fd into current. It returns how many moved: 0 when the pipe is
// empty, with io.EOF when no writer is left. A failed write (a full disk)
// is reported, paused on and retried, as Write does, while the bytes wait
// in the pipe. ok is false when the kernel cannot splice into current; the
// caller then reads and writes instead.
func (d *Dir) Splice(fd, max int) (n int, ok bool, err error) {
	d.Flush()
	if room := d.SpliceRoom(); max > room {
		max = room
	}
	if max <= 0 {
		return 0, true, nil
	}
	for {
		m, err := syscall.Splice(fd, nil, int(d.current.Fd()), nil, max, spliceNonblock)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, true, nil
		case err == syscall.EINVAL || err == syscall.ENOSYS:
			return 0, false, nil
		case err != nil:
			d.cfg.Warn(d.pathErr("write to", "current", err))
			d.cfg.Sleep(pauseDelay)
			continue
		case m == 0:
			return 0, true, io.EOF
		}
		if d.bytes == 0 && d.cfg.MaxAge > 0 {
			d.started = d.cfg.Now()
		}
		d.bytes += m
		d.readLast()
		if d.bytes-d.kicked >= writebackChunk {
			d.startWriteback()
		}
		return int(m), true, nil
	}
}

// spliceNonblock is SPLICE_F_NONBLOCK: an empty pipe returns EAGAIN.
const spliceNonblock = 2

// readLast reads back the last byte of current, which splice wrote without
// showing it to us.
func (d *Dir) readLast() {
	var b [1]byte
	for {
		n, err := syscall.Pread(int(d.current.Fd()), b[:], d.bytes-1)
		if err == syscall.EINTR {
			continue
		}
		if n == 1 {
			d.last = b[0]
		}
		return
	}
}

// EndsLine reports whether the last byte written (to current or, before a
// rotation, to the file archived) was a newline, or nothing was written.
func (d *Dir) EndsLine() bool { return d.last == '\n' }
