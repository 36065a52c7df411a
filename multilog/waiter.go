package multilog

import (
	"errors"
	"os"
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
// stdin itself cannot go into the poller: that would need O_NONBLOCK on
// its open file description, which the next logger on the same pipe (under
// svscan, maybe daemontools' own multilog) would inherit. So an epoll
// instance of our own watches stdin and the wake pipe, level-triggered,
// and the poller watches that instance.
type waiter struct {
	epfd  int // the epoll instance, owned by ep
	ep    *os.File
	rc    syscall.RawConn
	poll  func(uintptr) bool // w.check, made once: a method value allocates
	dl    bool               // a read deadline is set
	input int32              // the descriptor whose readiness wait reports
	ready bool               // what the last check found for input
	woken bool               // ... and for any other descriptor
	err   error              // epoll_wait's, other than EINTR and EAGAIN
	ev    [2]syscall.EpollEvent
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
	w := &waiter{epfd: epfd, ep: os.NewFile(uintptr(epfd), "epoll"), input: int32(input)}
	if w.rc, err = w.ep.SyscallConn(); err != nil {
		w.ep.Close()
		return nil
	}
	w.poll = w.check
	return w
}

// check looks without waiting; false sends the poller to wait for the
// epoll instance to become readable (or the deadline).
func (w *waiter) check(fd uintptr) bool {
	n, err := epollNow(int(fd), w.ev[:])
	if err != nil {
		if err != syscall.EINTR && err != syscall.EAGAIN {
			w.err = err
			return true
		}
		return false
	}
	for _, ev := range w.ev[:n] {
		if ev.Fd == w.input {
			w.ready = true
		} else {
			w.woken = true
		}
	}
	return n > 0
}

// wait returns once a watched descriptor is readable or timeout has passed
// (0: just look; < 0: no limit). It reports whether input is readable (or
// at its end, or in error: a read will tell) and whether another descriptor
// was; ok is false if the waiter itself failed and must not be used again.
func (w *waiter) wait(timeout time.Duration) (ready, woken, ok bool) {
	w.ready, w.woken = false, false
	if timeout == 0 {
		w.check(uintptr(w.epfd)) // not ep.Fd(): that would make ep blocking
		return w.ready, w.woken, w.err == nil
	}
	// A deadline is a timer in the runtime: cleared only when one was set.
	if timeout > 0 {
		w.ep.SetReadDeadline(time.Now().Add(timeout))
		w.dl = true
	} else if w.dl {
		w.ep.SetReadDeadline(time.Time{})
		w.dl = false
	}
	// The looks before and after the wait in the poller (w.check) are
	// needed: parking without the first one was tried, and lost wake-ups
	// now and then under a steady stream (intake stalled until the next
	// deadline).
	err := w.rc.Read(w.poll)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && w.err == nil {
		w.err = err
	}
	return w.ready, w.woken, w.err == nil
}

func (w *waiter) close() {
	if w != nil {
		w.ep.Close()
	}
}
