package rotate

import (
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
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
// splice(2) refuses a file opened O_APPEND (EINVAL), so a splice writes at
// current's own offset, and another writer (echo note >> current) or a
// truncation (: > current) in the meantime would be overwritten or leave a
// hole of NUL bytes, where multilog's appending writes keep both right.
// So each splice holds a write lease on current (fcntl F_SETLEASE):
// granted only while no other process has the file open, and while it is
// held, anyone who opens or truncates current waits in open(2) or
// truncate(2) until it is released, right after the splice. Under the
// lease Splice seeks to the real end, so what others wrote between splices
// is kept, and nothing can come between the seek and the splice. Where no
// lease can be had (someone holds current open, as tail -f does; the file
// is not ours; the filesystem has no leases), the bytes go through Write's
// O_APPEND writes instead, and Splice tries again after leaseRetry bytes.
// An opener waits at most one splice (up to the pipe's size, into the page
// cache), or the kernel's lease-break-time (45 s) if multilog is stopped in
// that instant; after that the kernel revokes the lease and the old window
// is back for that one splice.

// leaseRetry is how many bytes go through Write after a lease was refused
// before Splice asks again: one fcntl per MiB is nothing, and a reader
// that has closed current gives the splice path back soon.
const leaseRetry = 1 << 20

// SpliceRoom reports how many bytes Splice may move now: what current takes
// before its cut window; 0 while bytes go through Write for want of a lease.
func (d *Dir) SpliceRoom() int {
	if d.bytes < d.leaseRetryAt {
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
// empty, with io.EOF when no writer is left, and 0 with SpliceRoom then 0
// when current could not be leased. A failed write (a full disk) is
// reported, paused on and retried, as Write does, while the bytes wait in
// the pipe. ok is false when the kernel cannot splice into current; the
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
	for {
		if setLease(fd, unix.F_WRLCK) != nil {
			d.leaseRetryAt = d.bytes + leaseRetry
			return 0, true, nil
		}
		end, err := unix.Seek(fd, 0, io.SeekEnd)
		if err != nil {
			setLease(fd, unix.F_UNLCK)
			return 0, false, nil
		}
		// The age of current counts from before its first bytes land,
		// as in writeOut: a clock read after the splice could be later.
		var start time.Time
		if d.bytes == 0 && d.cfg.MaxAge > 0 {
			start = d.cfg.Now()
		}
		if d.beforeSplice != nil {
			d.beforeSplice()
		}
		m, err := unix.Splice(in, nil, fd, nil, max, unix.SPLICE_F_NONBLOCK)
		setLease(fd, unix.F_UNLCK)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, true, nil
		case err == unix.EINVAL || err == unix.ENOSYS:
			return 0, false, nil
		case err != nil:
			d.cfg.Warn(d.pathErr("write to", "current", err))
			d.cfg.Sleep(pauseDelay)
			continue
		case m == 0:
			return 0, true, io.EOF
		}
		if d.bytes == 0 && d.cfg.MaxAge > 0 {
			d.started = start
		}
		d.bytes += m
		d.readLast(end + m)
		if d.bytes-d.kicked >= writebackChunk {
			d.startWriteback()
		}
		return int(m), true, nil
	}
}

// setLease takes (F_WRLCK) or releases (F_UNLCK) a lease on fd.
func setLease(fd, kind int) error {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, kind)
	return err
}

// readLast reads back the last byte of current, which splice wrote at end
// without showing it to us.
func (d *Dir) readLast(end int64) {
	var b [1]byte
	for {
		n, err := unix.Pread(int(d.current.Fd()), b[:], end-1)
		if err == unix.EINTR {
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
	fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		fl |= unix.O_APPEND
	} else {
		fl &^= unix.O_APPEND
	}
	_, err = unix.FcntlInt(fd, unix.F_SETFL, fl)
	return err
}
