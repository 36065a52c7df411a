package compat

import (
	"bytes"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// trimMemory drops the process's mappings of its own read-only code and
// data, which the kernel would evict under pressure anyway; pages the
// daemon touches again come back from the page cache with a minor fault.
// This is what keeps an idle supervise under 2.5 MB resident in a binary
// that also holds multilog and the rest: without it nearly the whole binary
// counts in VmRSS, through the kernel's fault-around, although those pages
// are shared with every other supervise. (Forcing a collection with
// debug.FreeOSMemory as well was tried: the collector's own buffers cost
// more than it returned.)
func trimMemory() {
	trimBufs.Lock()
	defer trimBufs.Unlock()
	exe, buf := trimBufs.exe[:], trimBufs.maps[:]
	// Raw calls on static NUL-terminated names: unix.Readlinkat and
	// unix.Openat take a Go string and allocate a C string each time.
	r, _, e := syscall.Syscall6(syscall.SYS_READLINKAT, atFDCWD, uintptr(unsafe.Pointer(&procSelfExe[0])), uintptr(unsafe.Pointer(&exe[0])), uintptr(len(exe)), 0, 0)
	n := int(r)
	if e != 0 || n <= 0 || n == len(exe) {
		return
	}
	r, _, e = syscall.Syscall6(syscall.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(&procSelfMaps[0])), syscall.O_RDONLY|syscall.O_CLOEXEC, 0, 0, 0)
	if e != 0 {
		return
	}
	fd := int(r)
	defer syscall.Close(fd)
	have := 0
	for {
		m, err := syscall.Read(fd, buf[have:])
		if err == syscall.EINTR {
			continue
		}
		if m > 0 {
			have += m
		}
		// Handle the complete lines; keep a partial one for the next read.
		lines := buf[:have]
		for {
			i := bytes.IndexByte(lines, '\n')
			if i < 0 {
				break
			}
			dropMapping(lines[:i], exe[:n])
			lines = lines[i+1:]
		}
		have = copy(buf, lines)
		if m <= 0 || have == len(buf) {
			return
		}
	}
}

var (
	procSelfExe  = []byte("/proc/self/exe\x00")
	procSelfMaps = []byte("/proc/self/maps\x00")
	atFDCWD      = uintptr(unix.AT_FDCWD & 0xffffffff) // the kernel reads an int
)

// trimBufs are trimMemory's buffers, static because it runs after every
// event: allocating them would leave more dirty heap pages than they take.
var trimBufs struct {
	sync.Mutex
	exe  [4096]byte
	maps [16384]byte
}

// dropMapping drops one /proc/self/maps line's pages ("start-end perms
// offset dev inode path") if it maps the executable read-only and private.
// Such mappings hold clean file pages only: dropping them loses nothing.
func dropMapping(line, exe []byte) {
	var start, end uint64
	i := 0
	for ; i < len(line) && line[i] != '-'; i++ {
		start = start<<4 | uint64(unhex(line[i]))
	}
	for i++; i < len(line) && line[i] != ' '; i++ {
		end = end<<4 | uint64(unhex(line[i]))
	}
	i++
	if i+4 > len(line) || line[i+1] == 'w' || line[i+3] != 'p' || len(line) <= len(exe) || !bytes.HasSuffix(line, exe) || line[len(line)-len(exe)-1] != ' ' || end <= start {
		return
	}
	syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), syscall.MADV_DONTNEED)
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}

// oneProcMark is set, beside GOMAXPROCS=1, by OneProc: both are then the
// program's own, not its caller's.
const oneProcMark = "MLOG_ONE_PROC"

// OneProc makes a long-running program that needs one thread at a time
// (supervise, multilog) start its runtime with one P: it runs the program
// again (exec: same pid, arguments and descriptors) with GOMAXPROCS=1 in
// its environment, unless GOMAXPROCS is set already. Started that way, an
// idle supervise has about 150 kB less private memory than with
// runtime.GOMAXPROCS(1), which must first set up, then stop, the other Ps
// (15 MB for 100 supervise: benchmarks/supervise-rss.sh). In the program
// run again, OneProc takes both variables out of its environment, so that
// its children (./run, a processor, a compressor) never see them; the
// runtime has read GOMAXPROCS by then and keeps it.
func OneProc() {
	if os.Getenv(oneProcMark) != "" {
		os.Unsetenv(oneProcMark)
		os.Unsetenv("GOMAXPROCS")
		return
	}
	if _, ok := os.LookupEnv("GOMAXPROCS"); ok {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	syscall.Exec(exe, os.Args, append(os.Environ(), "GOMAXPROCS=1", oneProcMark+"=1"))
}
