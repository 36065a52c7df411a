package multilog

import (
	"golang.org/x/sys/unix"
	"syscall"
	"time"
	"unsafe"
)

// ppoll waits for the descriptors; timeout < 0 waits forever. It is a
// scheduler-visible call (the wait may be long).
func ppoll(fds []unix.PollFd, timeout time.Duration) error {
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(int64(timeout))
		ts = &t
	}
	_, err := unix.Ppoll(fds, ts, nil)
	return err
}

// The intake's pipe calls below go straight to the kernel, without telling
// the Go scheduler (RawSyscall): each of them returns at once (the pipe
// ones are asked not to block), and a scheduler-visible system call wakes
// the runtime's monitor thread whenever it sleeps, which it does whenever
// the logger waits for input. Under a trickle of lines, one wake-up of the
// logger then cost the monitor's wake-up and its 20 µs sleeps besides: about
// half the logger's CPU. Blocking waits stay scheduler-visible (see waiter).

// The pipe calls pass SPLICE_F_NONBLOCK: the pipes themselves do not
// block, whatever the (shared) open file description says.

func rawErr(e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// rawBelow is the most bytes a call moves raw. Only a trickle's small
// chunks gain (the monitor sleeps between them); under a steady stream the
// monitor is awake anyway, and raw calls of 256 KiB made bulk intake about
// 1.3x slower (128 MB with t through a pipe, median of 7 interleaved runs).
const rawBelow = 64 << 10

// sys6 makes the call raw when it moves fewer than rawBelow bytes (n).
func sys6(n int, trap, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, error) {
	var r uintptr
	var e syscall.Errno
	if n < rawBelow {
		r, _, e = syscall.RawSyscall6(trap, a1, a2, a3, a4, a5, a6)
	} else {
		r, _, e = syscall.Syscall6(trap, a1, a2, a3, a4, a5, a6)
	}
	return r, rawErr(e)
}

// teeNow is tee(2) without blocking; last is what the previous one
// returned, the best guess of what this one will.
func teeNow(in, out, n, last int) (int, error) {
	r, err := sys6(last, syscall.SYS_TEE, uintptr(in), uintptr(out), uintptr(n), unix.SPLICE_F_NONBLOCK, 0, 0)
	return int(r), err
}

// spliceNow is splice(2) between descriptors without offsets, without
// blocking.
func spliceNow(in, out, n int) (int, error) {
	r, err := sys6(n, syscall.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n), unix.SPLICE_F_NONBLOCK)
	return int(r), err
}

// readNow is read(2) from a descriptor known to hold the bytes (the private
// pipe), so it does not block.
func readNow(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, err := sys6(len(p), syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	return int(r), err
}

// ppollNow is ppoll(2) with a zero timeout, raw: it returns at once.
func ppollNow(fds []unix.PollFd) error {
	var ts unix.Timespec
	_, _, e := unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)),
		uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	return rawErr(e)
}
