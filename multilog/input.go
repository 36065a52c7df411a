package multilog

import (
	"golang.org/x/sys/unix"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// input reads the log stream. When it is a file it polls before reading, so
// the logger can flush its logdirs just before it would block, wake for
// signals, and rotate by age while idle. A plain io.Reader (tests) is read
// directly, with a flush before every read.
type input struct {
	r    io.Reader
	fd   int // -1 when r is not a file
	wake [2]int
	w    *waiter
	pw   *waiter // w when it watches a description of our own (ownPipe); never changes
	own  int     // that description, nonblocking; -1 if none
	// drained: the last tee took all the pipe held (see Logger.fill).
	drained bool

	term, alrm atomic.Bool

	// The tee path (peek.go), when stdin is a pipe.
	peek                  bool
	peekR, peekW, devNull int
	held                  int    // bytes at the front of stdin already processed, not yet written
	teed                  int    // bytes teed by the last peekRead, held ones included
	teedBuf               []byte // where they went; consumed reads the written ones over themselves
	lastTee               int    // what the last tee returned
}

func newInput(r io.Reader, signals <-chan os.Signal, plain bool) (*input, error) {
	in := &input{r: r, fd: -1, wake: [2]int{-1, -1}, own: -1}
	if f, ok := r.(*os.File); ok {
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
			return nil, err
		}
		in.fd, in.wake = int(f.Fd()), p
		if own := ownPipe(in.fd); own >= 0 {
			if in.pw = newPipeWaiter(own); in.pw != nil {
				in.w, in.own = in.pw, own
			}
		}
		if in.w == nil {
			in.w = newWaiter(in.fd, p[0])
		}
		if !plain {
			in.setupPeek()
		}
		if !in.peek && in.w != nil && in.w.own == nil {
			in.w.exact = true
		}
	}
	if signals != nil {
		go in.forward(signals)
	}
	return in, nil
}

// ownPipe opens a description of its own of the pipe fd reads from,
// nonblocking and close-on-exec, for the poller to watch (see waiter); -1
// if fd is not a pipe or the kernel refuses (no /proc, say). Opening the
// pipe through /proc gives a new open file description, so its O_NONBLOCK
// is ours alone: fd's, which the next reader of the pipe inherits, is left
// as it was.
func ownPipe(fd int) int {
	var st, own syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return -1
	}
	nfd, err := syscall.Open("/proc/self/fd/"+strconv.Itoa(fd), syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	if syscall.Fstat(nfd, &own) != nil || own.Mode&syscall.S_IFMT != syscall.S_IFIFO || own.Dev != st.Dev || own.Ino != st.Ino {
		syscall.Close(nfd)
		return -1
	}
	return nfd
}

// forward records each signal and wakes a poll in progress. The signals are
// acted on between reads, never in the middle of a line's write.
func (in *input) forward(signals <-chan os.Signal) {
	for s := range signals {
		switch s {
		case syscall.SIGALRM:
			in.alrm.Store(true)
		default: // TERM, HUP: finish the line and stop
			in.term.Store(true)
		}
		if in.wake[1] >= 0 {
			syscall.Write(in.wake[1], []byte{0})
		}
		in.pw.interrupt()
	}
}

func (in *input) close() {
	in.w.close()
	in.closePeek()
	for _, fd := range in.wake {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
}

// ready reports whether a read would not block, waiting at most timeout
// (negative: forever). It returns early, with false, when a signal arrives.
func (in *input) ready(timeout time.Duration) bool {
	return in.readyUntil(time.Time{}, timeout)
}

// readyUntil is ready until t, if t is not zero (timeout is then unused).
func (in *input) readyUntil(t time.Time, timeout time.Duration) bool {
	if in.w != nil {
		var ready, woken, ok bool
		if t.IsZero() {
			ready, woken, ok = in.w.wait(timeout)
		} else {
			ready, woken, ok = in.w.waitUntil(t)
		}
		if woken {
			in.drainWake()
		}
		if ok {
			return ready
		}
		in.w.close() // should never happen; ppoll from now on
		in.w = nil
	}
	if !t.IsZero() {
		timeout = max(time.Until(t), 0)
	}
	fds := []unix.PollFd{{Fd: int32(in.fd), Events: unix.POLLIN}, {Fd: int32(in.wake[0]), Events: unix.POLLIN}}
	for {
		err := ppoll(fds, timeout)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return true // let read report it
		}
		break
	}
	if fds[1].Revents != 0 {
		in.drainWake()
	}
	return fds[0].Revents != 0
}

// drainWake empties the wake pipe, whose bytes only meant "look at the
// signal flags".
func (in *input) drainWake() {
	var b [64]byte
	for {
		if n, _ := syscall.Read(in.wake[0], b[:]); n <= 0 {
			break
		}
	}
}

// read reads once into p. Errors count as the end of input, as in multilog
// (buffer_get returning <= 0 ends doit).
func (in *input) read(p []byte) int {
	if in.fd < 0 {
		for {
			n, err := in.r.Read(p)
			if n > 0 || err != nil {
				return n
			}
		}
	}
	for {
		n, err := syscall.Read(in.fd, p)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			in.ready(-1)
			continue
		}
		if n < 0 {
			return 0
		}
		return n
	}
}
