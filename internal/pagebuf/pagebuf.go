// Package pagebuf gives a long-running daemon big I/O buffers whose memory
// it can hand back to the kernel while it idles: a logger reads and writes
// in large chunks when busy (fewer, larger system calls), and should idle
// small (the 2.5 MB bar of README "Memory").
package pagebuf

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// New returns a buffer of n bytes mapped from the kernel, outside the Go
// heap, so Release can give its pages back. It falls back to the heap if
// the mapping fails.
func New(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]byte, n)
	}
	return b[:n:n]
}

// Release gives the pages of b back to the kernel: b stays usable, reads
// zeros, and takes pages again as it is written. Only pages wholly inside b
// are given back, so it is safe on any buffer (a heap one included).
func Release(b []byte) {
	if cap(b) == 0 {
		return
	}
	page := uintptr(unix.Getpagesize())
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + page - 1) &^ (page - 1)
	end := (p + uintptr(cap(b))) &^ (page - 1)
	if end > start {
		unix.Madvise(b[start-p:end-p:end-p], unix.MADV_DONTNEED)
	}
}

// Free unmaps b (from New); b must not be used again. A heap buffer is
// left to the collector.
func Free(b []byte) {
	if cap(b) > 0 {
		syscall.Munmap(b[:cap(b)])
	}
}
