package rotate

import (
	"os"
	"syscall"
	"unsafe"
)

// rawWrite writes p to f with a write(2) the Go scheduler does not see
// (RawSyscall). multilog waits for input parked in Go's poller; the
// runtime's monitor thread then sleeps, and a scheduler-visible system call
// wakes it, to sleep again in 20 µs steps until the logger parks: under a
// trickle of lines that doubled the logger's CPU per wake-up
// (benchmarks/trickle.sh). A write to current goes to the page cache and
// returns at once; when it does block (writeback throttling; a full disk is
// an error instead), the runtime cannot hand this thread's P to another
// goroutine meanwhile: multilog runs two Ps, so the finisher keeps the other.
//
// Only small writes go raw: under a steady stream the monitor is awake
// anyway, and raw 256 KiB writes made bulk intake slower.
func rawWrite(f *os.File, p []byte) (int, error) {
	if len(p) == 0 || len(p) >= 64<<10 {
		return f.Write(p)
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, f.Fd(), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: e}
	}
	return int(r), nil
}
