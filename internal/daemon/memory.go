package daemon

import (
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
// This is what keeps an idle supervise or multilog well under 2.5 MB
// resident: without it nearly the whole binary counts in VmRSS, through
// the kernel's fault-around, although those pages are shared with every
// other process of the same binary. (Forcing a collection with
// debug.FreeOSMemory as well was tried: the collector's own buffers cost
// more than it returned.)
//
// The segments come from the executable's own program headers, which the
// kernel maps and names in the auxiliary vector (AT_PHDR, AT_PHNUM), read
// once: no buffer, so no page of private memory, beyond that. It does not
// allocate.
func TrimMemory() {
	trim.once.Do(readAuxv)
	if trim.phdr == 0 || trim.phnum == 0 {
		return
	}
	const phdrSize = 56 // sizeof(Elf64_Phdr)
	// The headers are the kernel's mapping of the file, not Go memory.
	phdrs := unsafe.Slice((*[phdrSize]byte)(unsafe.Add(nil, trim.phdr)), trim.phnum)
	// The load bias (0 unless the executable is position-independent):
	// where PT_PHDR says the headers are against where they are.
	bias, ok := uintptr(0), false
	for i := range phdrs {
		if h := (*elfPhdr)(unsafe.Pointer(&phdrs[i])); h.typ == ptPhdr {
			bias, ok = trim.phdr-uintptr(h.vaddr), true
		}
	}
	if !ok {
		return
	}
	page := uintptr(syscall.Getpagesize())
	for i := range phdrs {
		h := (*elfPhdr)(unsafe.Pointer(&phdrs[i]))
		if h.typ != ptLoad || h.flags&pfW != 0 || h.memsz != h.filesz {
			continue // only pages that are all file: dropping them loses nothing
		}
		start := (bias + uintptr(h.vaddr)) &^ (page - 1)
		end := (bias + uintptr(h.vaddr+h.memsz) + page - 1) &^ (page - 1)
		syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_DONTNEED)
	}
}

// elfPhdr is Elf64_Phdr.
type elfPhdr struct {
	typ, flags           uint32
	off, vaddr, paddr    uint64
	filesz, memsz, align uint64
}

const (
	ptLoad  = 1 // PT_LOAD
	ptPhdr  = 6 // PT_PHDR
	pfW     = 2 // PF_W
	atPhdr  = 3 // AT_PHDR
	atPhnum = 5 // AT_PHNUM
)

// trim is what TrimMemory learns once from the auxiliary vector.
var trim struct {
	once        sync.Once
	phdr, phnum uintptr
}

// readAuxv reads AT_PHDR and AT_PHNUM from /proc/self/auxv into trim, with
// raw calls on a static name and a buffer on the stack (unix.Open would
// allocate a C string).
func readAuxv() {
	r, _, e := syscall.Syscall6(syscall.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(&procSelfAuxv[0])), syscall.O_RDONLY|syscall.O_CLOEXEC, 0, 0, 0)
	if e != 0 {
		return
	}
	fd := int(r)
	defer syscall.Close(fd)
	var auxv [64][2]uint64 // the kernel gives about 25 pairs
	b := unsafe.Slice((*byte)(unsafe.Pointer(&auxv[0])), unsafe.Sizeof(auxv))
	n := 0
	for n < len(b) {
		m, err := syscall.Read(fd, b[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || m <= 0 {
			break
		}
		n += m
	}
	for _, kv := range auxv[:n/16] {
		switch kv[0] {
		case atPhdr:
			trim.phdr = uintptr(kv[1])
		case atPhnum:
			trim.phnum = uintptr(kv[1])
		}
	}
}

var (
	procSelfAuxv = []byte("/proc/self/auxv\x00")
	atFDCWD      = uintptr(unix.AT_FDCWD & 0xffffffff) // the kernel reads an int
)

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
