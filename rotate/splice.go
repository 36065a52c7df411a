package rotate

import (
	"io"
	"os"
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
//
// splice(2) refuses a file opened O_APPEND (EINVAL), so Splice clears the
// flag and writes at its own offset, after checking that the file ends
// where its last write did (one lseek per splice, which moves up to 1 MiB).
// When it does not, something else has written to current (echo note >>
// current) or truncated it (: > current): from then until the next
// rotation every byte goes through Write's O_APPEND writes, which the
// kernel places at the real end, as multilog's are. What is left: a write
// or truncation by someone else in the instant between that check and the
// splice itself can still be overwritten, or leave a hole.

// SpliceRoom reports how many bytes Splice may move now: what current takes
// before its cut window.
func (d *Dir) SpliceRoom() int {
	if d.shared {
		return 0
	}
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
// pipe in into current. It returns how many moved: 0 when the pipe is
// empty, with io.EOF when no writer is left. A failed write (a full disk)
// is reported, paused on and retried, as Write does, while the bytes wait
// in the pipe. ok is false when the kernel cannot splice into current; the
// caller then reads and writes instead.
func (d *Dir) Splice(in, max int) (n int, ok bool, err error) {
	d.Flush()
	if room := d.SpliceRoom(); max > room {
		max = room
	}
	if max <= 0 {
		return 0, true, nil
	}
	fd := int(d.current.Fd())
	if d.appending {
		if setAppend(d.current, false) != nil {
			return 0, false, nil // an append-only file (chattr +a)
		}
		d.appending = false
	}
	if d.pos < 0 {
		pos, err := syscall.Seek(fd, 0, io.SeekCurrent)
		if err != nil {
			return 0, false, nil
		}
		d.pos = pos
	}
	for {
		// Before each try: a pause after a failed one is 5 s long.
		if end, err := syscall.Seek(fd, 0, io.SeekEnd); err != nil {
			return 0, false, nil
		} else if end != d.pos {
			d.shared = true // the caller goes on through Write
			return 0, true, nil
		}
		m, err := syscall.Splice(in, nil, fd, nil, max, spliceNonblock)
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
		d.pos += m
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
		n, err := syscall.Pread(int(d.current.Fd()), b[:], d.pos-1)
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

// setAppend sets or clears f's O_APPEND flag.
func setAppend(f *os.File, on bool) error {
	fd := f.Fd()
	fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	if e != 0 {
		return e
	}
	if on {
		fl |= syscall.O_APPEND
	} else {
		fl &^= syscall.O_APPEND
	}
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, fl); e != 0 {
		return e
	}
	return nil
}
