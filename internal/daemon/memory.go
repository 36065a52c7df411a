package daemon

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TrimMemory drops the process's mappings of its own read-only code and
// data, which the kernel would evict under pressure anyway; pages the
// daemon touches again come back from the page cache with a minor fault.
// This is what keeps an idle supervise under 2.5 MB resident in a binary
// that also holds multilog and the rest: without it nearly the whole binary
// counts in VmRSS, through the kernel's fault-around, although those pages
// are shared with every other supervise. (Forcing a collection with
// debug.FreeOSMemory as well was tried: the collector's own buffers cost
// more than it returned.)
func TrimMemory() {
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

// trimBufs are TrimMemory's buffers, static because it runs after every
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
// (supervise) start its runtime with one P: it runs the program again
// (exec: same pid, arguments and descriptors) with GOMAXPROCS=1 in its
// environment env, unless env sets GOMAXPROCS already. Started that way,
// an idle supervise has about 150 kB less private memory than with
// runtime.GOMAXPROCS(1), which must first set up, then stop, the other Ps
// (15 MB for 100 supervise: benchmarks/supervise-rss.sh). In the program
// run again, OneProc returns env without both variables, the environment
// for its children (./run, ./finish), which must never see them; the
// runtime has read GOMAXPROCS by then and keeps it. The returned slice
// shares env's array, whose entries it may overwrite.
func OneProc(env []string) []string {
	if _, ok := lookup(env, oneProcMark); ok {
		out := env[:0] // in place: an allocation here costs pages
		for _, e := range env {
			if !isVar(e, oneProcMark) && !isVar(e, "GOMAXPROCS") {
				out = append(out, e)
			}
		}
		return out
	}
	if _, ok := lookup(env, "GOMAXPROCS"); ok {
		return env
	}
	exe, err := os.Executable()
	if err != nil {
		return env
	}
	syscall.Exec(exe, os.Args, append(env[:len(env):len(env)], "GOMAXPROCS=1", oneProcMark+"=1"))
	return env
}

// isVar reports whether e ("KEY=value") sets key.
func isVar(e, key string) bool {
	return len(e) > len(key) && e[len(key)] == '=' && e[:len(key)] == key
}

func lookup(env []string, key string) (string, bool) {
	for _, e := range env {
		if isVar(e, key) {
			return e[len(key)+1:], true
		}
	}
	return "", false
}

// Environ returns the environment the process was started with, every
// entry in the order execve gave them, as daemontools' supervise hands its
// environ on to ./run. It reads /proc/self/environ into one buffer that
// the strings share, where os.Environ would first build the syscall
// package's index of every variable: a map whose buckets take heap pages
// of size classes nothing else in supervise uses (25 kB of private memory
// per idle supervise, measured). Without /proc it is os.Environ.
func Environ() []string {
	fd, err := syscall.Open("/proc/self/environ", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return os.Environ()
	}
	defer syscall.Close(fd)
	b := make([]byte, 4096)
	n := 0
	for {
		if n == len(b) {
			b = append(b, make([]byte, len(b))...)
		}
		m, err := syscall.Read(fd, b[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return os.Environ()
		}
		if m == 0 {
			break
		}
		n += m
	}
	// b is never written again: the strings may share it.
	all := unsafe.String(unsafe.SliceData(b), n)
	env := make([]string, 0, strings.Count(all, "\x00"))
	for all != "" {
		i := strings.IndexByte(all, 0)
		if i < 0 {
			i = len(all)
		}
		if i > 0 {
			env = append(env, all[:i])
		}
		all = all[min(i+1, len(all)):]
	}
	return env
}

// Main is supervise as a program of its own (cmd/supervise, and
// mlog-tools called as supervise): os.Args, the environment it was started
// with, its standard files. It returns the exit code.
func Main() int {
	env := OneProc(Environ())
	return Supervise(Stderr{Name: "supervise"}, os.Args[1:], env, nil, nil, nil)
}
