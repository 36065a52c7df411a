package multilog

import (
	"syscall"
	"time"
	"unsafe"
)

// The multilog daemon calls poll through package syscall rather than
// golang.org/x/sys/unix: x/sys/unix pulls in reflect and makes the binary,
// and so the idle resident memory, about 0.2 MB larger.

type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const (
	pollIn  = 0x1
	pollHup = 0x10
)

// ppoll waits for the descriptors; timeout < 0 waits forever.
func ppoll(fds []pollFd, timeout time.Duration) error {
	var ts *syscall.Timespec
	if timeout >= 0 {
		t := syscall.NsecToTimespec(int64(timeout))
		ts = &t
	}
	_, _, e := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)),
		uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// The intake's pipe calls below go straight to the kernel, without telling
// the Go scheduler (RawSyscall): each of them returns at once (the pipe
// ones are asked not to block), and a scheduler-visible system call wakes
// the runtime's monitor thread whenever it sleeps, which it does whenever
// the logger waits for input. Under a trickle of lines, one wake-up of the
// logger then cost the monitor's wake-up and its 20 µs sleeps besides: about
// half the logger's CPU. Blocking waits stay scheduler-visible (see waiter).

// spliceNonblock is SPLICE_F_NONBLOCK: the pipes themselves do not block,
// whatever the (shared) open file description says.
const spliceNonblock = 2

func rawErr(e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// teeNow is tee(2) without blocking.
func teeNow(in, out, n int) (int, error) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_TEE, uintptr(in), uintptr(out), uintptr(n), spliceNonblock, 0, 0)
	return int(r), rawErr(e)
}

// spliceNow is splice(2) between descriptors without offsets, without
// blocking.
func spliceNow(in, out, n int) (int, error) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n), spliceNonblock)
	return int(r), rawErr(e)
}

// readNow is read(2) from a descriptor known to hold the bytes (the private
// pipe), so it does not block.
func readNow(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(r), rawErr(e)
}

// epollNow is epoll_wait(2) with a zero timeout.
func epollNow(epfd int, ev []syscall.EpollEvent) (int, error) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&ev[0])), uintptr(len(ev)), 0, 0, 0)
	return int(r), rawErr(e)
}
