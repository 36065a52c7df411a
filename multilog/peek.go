package multilog

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Reading a pipe without losing anything to a kill.
//
// daemontools' multilog (and a plain read) takes bytes out of the pipe
// before writing them; a kill -9 in between loses them, up to one read
// buffer. When stdin is a pipe, ours copies the bytes out with tee(2),
// which leaves them in the pipe, writes what they produce to the logdirs,
// and only then removes them from the pipe (consumed: a read(2) of a few
// bytes, a splice(2) of many to /dev/null). A
// kill before the removal means the next multilog reads the same bytes
// again: at most one chunk (256 KiB) is then written twice, and nothing is
// lost. The first bytes of a line that is still being selected (held in
// memory until its newline or 1000 bytes) stay in the pipe until the line
// is written, so they survive a kill too.

// peekPipeSize is what the private pipe is asked to hold: a whole chunk
// plus a held line head.
const peekPipeSize = 512 << 10

// stdinPipeSize is what stdin's pipe is asked to hold: the most an
// unprivileged process may ask for (/proc/sys/fs/pipe-max-size).
const stdinPipeSize = 1 << 20

// setupPeek prepares the tee path when stdin is a pipe; otherwise, or when
// the kernel refuses, stdin is read plainly.
func (in *input) setupPeek() {
	var st syscall.Stat_t
	if syscall.Fstat(in.fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return
	}
	var p [2]int
	if syscall.Pipe2(p[:], syscall.O_CLOEXEC) != nil {
		return
	}
	unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, peekPipeSize)
	// A bigger stdin pipe lets the writer run ahead while a chunk is being
	// written, instead of the two taking turns (8% faster through a pipe
	// here). Best effort: the user's pipe quota may refuse it.
	unix.FcntlInt(uintptr(in.fd), unix.F_SETPIPE_SZ, stdinPipeSize)
	null, err := syscall.Open("/dev/null", syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		syscall.Close(p[0])
		syscall.Close(p[1])
		return
	}
	in.peek, in.peekR, in.peekW, in.devNull = true, p[0], p[1], null
}

func (in *input) closePeek() {
	if in.peek {
		syscall.Close(in.peekR)
		syscall.Close(in.peekW)
		syscall.Close(in.devNull)
		in.peek = false
	}
}

// peekRead copies up to max new bytes (after the held ones) from the front
// of stdin into buf, leaving them in the pipe. It returns the new bytes;
// more is false at the end of input. A nil slice with more true means
// nothing new has arrived yet; if block is not nil, *block then says
// whether stdin was empty (instead of waiting for it, as a nil block does).
func (in *input) peekRead(buf []byte, max int, block *bool) (p []byte, more bool) {
	want := in.held + max
	if want > len(buf) {
		want = len(buf)
	}
	var k int
	for {
		n, err := teeNow(in.fd, in.peekW, want, in.lastTee)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			if block == nil {
				in.ready(-1)
				continue
			}
			// The caller flushes and waits its own way.
			*block = true
			return nil, true
		}
		if err != nil {
			return nil, false // as a read error: the end of input
		}
		k = n
		in.lastTee = n
		break
	}
	if k == 0 {
		return nil, false
	}
	for got := 0; got < k; {
		n, err := readNow(in.peekR, buf[got:k])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			panic("multilog: private pipe lost teed bytes")
		}
		got += n
	}
	in.teed, in.teedBuf = k, buf
	// Fewer bytes than asked for: the pipe held no more when teed.
	in.drained = k < want
	if k <= in.held {
		// Only the held head is there: the writer has not sent more.
		if in.hungUp() {
			return nil, false
		}
		return nil, true
	}
	return buf[in.held:k], true
}

// hungUp reports whether every writer has closed stdin.
func (in *input) hungUp() bool {
	fds := []unix.PollFd{{Fd: int32(in.fd), Events: unix.POLLIN}}
	if ppoll(fds, 0) != nil {
		return false
	}
	return fds[0].Revents&unix.POLLHUP != 0
}

// waitMore waits for more than the held bytes to arrive: poll cannot tell,
// since the held bytes keep stdin readable, so it sleeps a little, longer
// each time, and wakes at once for signals.
func (in *input) waitMore(idle *time.Duration) {
	if *idle < time.Millisecond {
		*idle = time.Millisecond
	} else if *idle < 100*time.Millisecond {
		*idle *= 2
	}
	fds := []unix.PollFd{{Fd: int32(in.wake[0]), Events: unix.POLLIN}}
	ppoll(fds, *idle)
	if fds[0].Revents != 0 {
		var b [64]byte
		syscall.Read(in.wake[0], b[:])
	}
}

// consumed removes from stdin the teed bytes that are now written, keeping
// the last keep bytes (a line head not yet written) in the pipe.
//
// A few bytes are read from our own nonblocking description of the pipe,
// over the copy of themselves in the intake buffer (the copy is written:
// nothing needs it any more), rather than spliced to /dev/null: splice
// wakes the pipe's writer queue each time, where the poller's registration
// sits, and under a trickle of lines that cost more than the copy; read
// wakes it only when the pipe was full. A big chunk is spliced: copying it
// would cost more.
func (in *input) consumed(keep int) {
	drop := in.teed - keep
	for in.own >= 0 && drop > 0 && drop < rawBelow {
		n, err := readNow(in.own, in.teedBuf[:drop])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break // the ways below
		}
		drop -= n
	}
	for drop > 0 {
		n, err := spliceNow(in.fd, in.devNull, drop)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			// Never expected (the bytes were teed from there), but a
			// blocking call must be visible to the scheduler.
			var n64 int64
			n64, err = syscall.Splice(in.fd, nil, in.devNull, nil, drop, 0)
			n = int(n64)
			if err == syscall.EINTR {
				continue
			}
		}
		if err != nil || n <= 0 {
			// No splice to /dev/null here: read the bytes away instead.
			var scratch [4096]byte
			m, rerr := syscall.Read(in.fd, scratch[:min(drop, len(scratch))])
			if rerr == syscall.EINTR {
				continue
			}
			if rerr != nil || m <= 0 {
				panic("multilog: stdin lost teed bytes")
			}
			n = m
		}
		drop -= n
	}
	in.held, in.teed = keep, 0
}
