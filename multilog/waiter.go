package multilog

import (
	"errors"
	"golang.org/x/sys/unix"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// waiter waits for stdin or the wake pipe to be readable inside Go's
// network poller instead of in a blocking ppoll(2). A goroutine blocked in
// a system call keeps its thread and P in limbo: the runtime's monitor
// wakes every 20 µs to hand the P over, and each wake-up of the logger then
// costs several thread switches. Parked in the poller, the goroutine costs
// nothing while it waits and wakes on the thread that polls.
//
// stdin's own open file description cannot go into the poller: that would
// need O_NONBLOCK on it, which the next logger on the same pipe (under
// svscan, maybe daemontools' own multilog) would inherit. When stdin is a
// pipe, the logger opens a description of its own of the same pipe
// (ownPipe) and the poller watches that one: a wait then costs one raw
// ppoll before parking (see look) besides the poller's own epoll_wait
// calls. Otherwise (stdin is not a pipe, or, the usual case under
// setuidgid, the pipe is root's and mode 0600, so the logger may not open
// it again) an epoll instance of our own watches stdin and the wake pipe,
// level-triggered, and the poller watches that instance: a wait then costs
// the same one raw ppoll, of stdin and the wake pipe themselves.
type waiter struct {
	// With a description of our own (own != nil): signals interrupt the
	// wait with a past deadline (interrupt).
	own  *os.File
	intr atomic.Bool // interrupt was called since the last wait saw it

	ep *os.File // the nested epoll instance (own == nil)

	rc    syscall.RawConn
	poll  func(uintptr) bool // w.look, made once: a method value allocates
	armed time.Time          // the read deadline set (zero: none) ...
	stale bool               // ... unless it passed or interrupt replaced it
	watch []unix.PollFd      // what look looks at: input first, then the others
	ready bool               // what the last look found for input
	woken bool               // ... and for any other descriptor
	first bool               // look: the call before the wait
	exact bool               // the caller reads stdin after a wait (no tee): look after it too
	err   error              // the poller's, other than a deadline
}

// newWaiter watches input and the others for reading; nil if the kernel
// refuses (the caller then polls with ppoll).
func newWaiter(input int, others ...int) *waiter {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	for _, fd := range append([]int{input}, others...) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
		if syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fd, &ev) != nil {
			syscall.Close(epfd)
			return nil
		}
	}
	if syscall.SetNonblock(epfd, true) != nil {
		syscall.Close(epfd)
		return nil
	}
	w := &waiter{ep: os.NewFile(uintptr(epfd), "epoll")}
	if w.rc, err = w.ep.SyscallConn(); err != nil {
		w.ep.Close()
		return nil
	}
	w.watching(append([]int{input}, others...))
	return w
}

// newPipeWaiter watches own, a nonblocking description of stdin's pipe
// that nothing else holds (ownPipe), in the poller itself; nil if the
// poller refuses it. Signals reach a wait through interrupt.
func newPipeWaiter(own int) *waiter {
	w := &waiter{own: os.NewFile(uintptr(own), "stdin")}
	var err error
	if w.rc, err = w.own.SyscallConn(); err != nil {
		w.own.Close()
		return nil
	}
	w.watching([]int{own})
	return w
}

// watching sets what look looks at, input first.
func (w *waiter) watching(fds []int) {
	for _, fd := range fds {
		w.watch = append(w.watch, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	w.poll = w.look
}

// look is the poll function of both kinds of waiter. Its first call,
// before the wait, looks at the watched descriptors themselves (one raw
// ppoll): rc.Read forgets any edge the poller saw before it began, so
// whatever arrived since the caller's last read or tee must be seen here.
// The call after the wait does not look: anything written after the look
// raises an edge that ends the wait (on our own description directly; on
// the nested instance because every write to a watched descriptor wakes
// the instance's waiters, the poller's registration among them, whether or
// not its ready list already holds that descriptor), and the caller's tee
// or read tells what came; a stale edge costs one more empty look and
// wait. On the nested instance the edge may be the wake pipe's (a signal,
// seen by the look before the next wait): a caller that reads stdin
// without a tee (exact) would block on it, so then the call after the
// wait looks too. The nested instance itself is never asked (epoll_wait)
// what is ready; the poller's wait re-checks its list, so a stale entry
// costs nothing.
func (w *waiter) look(uintptr) bool {
	if !w.first && !w.exact {
		w.ready = true
		return true
	}
	w.first = false
	for i := range w.watch {
		w.watch[i].Revents = 0
	}
	if ppollNow(w.watch) != nil {
		return false
	}
	w.ready = w.watch[0].Revents != 0
	for _, p := range w.watch[1:] {
		if p.Revents != 0 {
			w.woken = true
		}
	}
	return w.ready || w.woken
}

// interrupt makes a wait in progress, or the next one, return at once, for
// a signal. It may be called from any goroutine.
func (w *waiter) interrupt() {
	if w != nil && w.own != nil {
		w.intr.Store(true)
		w.own.SetReadDeadline(time.Unix(0, 1))
	}
}

// wait returns once a watched descriptor is readable or timeout has passed
// (0: just look; < 0: no limit). It reports whether input is readable (or
// at its end, or in error: a read will tell) and whether another descriptor
// was; ok is false if the waiter itself failed and must not be used again.
func (w *waiter) wait(timeout time.Duration) (ready, woken, ok bool) {
	if timeout == 0 {
		w.ready, w.woken, w.first = false, false, true
		w.look(0)
		return w.ready, w.woken, true
	}
	var t time.Time
	if timeout > 0 {
		t = time.Now().Add(timeout)
	}
	return w.waitUntil(t)
}

// waitUntil is wait until t (zero: no limit). The same t again costs no
// new deadline: a logger waiting for its idle second between the lines
// of a trickle keeps one.
func (w *waiter) waitUntil(t time.Time) (ready, woken, ok bool) {
	w.ready, w.woken = false, false
	// A deadline is a timer in the runtime: changed only when it must be.
	f := w.ep
	if w.own != nil {
		f = w.own
	}
	if w.stale || !t.Equal(w.armed) {
		f.SetReadDeadline(t)
		w.armed, w.stale = t, false
	}
	if w.own != nil {
		// After the deadline is set: an interrupt before it set its own
		// deadline, which this one replaced, is seen here; one after it
		// ends the wait.
		if w.intr.Swap(false) {
			w.stale = true
			return false, true, true
		}
	}
	w.first = true
	err := w.rc.Read(w.poll)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			w.stale = true // passed, or interrupt's
			if w.own != nil {
				w.woken = w.intr.Swap(false)
			}
		} else if w.err == nil {
			w.err = err
		}
	}
	return w.ready, w.woken, w.err == nil
}

func (w *waiter) close() {
	if w == nil {
		return
	}
	if w.own != nil {
		w.own.Close()
	} else {
		w.ep.Close()
	}
}
