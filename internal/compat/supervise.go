package compat

import (
	"bytes"
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/supervise"
)

// superviseMain is supervise: supervise dir.
func superviseMain(t *Tool, args []string) int {
	if len(args) != 1 {
		return t.Usage("dir")
	}
	cfg := supervise.Config{Dir: args[0], Env: os.Environ(), Warn: superviseWarn(t), Idle: trimMemory}
	cfg.Stdin, cfg.Stdout, cfg.Stderr = stdFiles(t)
	if err := supervise.Run(cfg); err != nil {
		return t.Fatal(err)
	}
	return ExitOK
}

// superviseWarn prints supervise's warnings. A ./run that cannot be
// executed is reported as daemontools' forked child reports it, as fatal.
func superviseWarn(t *Tool) func(error) {
	return func(err error) {
		var se *supervise.StartError
		if errors.As(err, &se) {
			t.line("fatal", Describe(se.Err))
			return
		}
		t.Warn(err)
	}
}

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
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	for len(maps) > 0 {
		line := maps
		if i := bytes.IndexByte(maps, '\n'); i >= 0 {
			line, maps = maps[:i], maps[i+1:]
		} else {
			maps = nil
		}
		// "start-end perms offset dev inode path"
		f := bytes.Fields(line)
		if len(f) < 6 || string(f[5]) != exe || f[1][1] == 'w' || f[1][3] != 'p' {
			continue
		}
		r := bytes.SplitN(f[0], []byte{'-'}, 2)
		start, err1 := strconv.ParseUint(string(r[0]), 16, 64)
		end, err2 := strconv.ParseUint(string(r[1]), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// Read-only private mappings hold clean file pages only: dropping
		// them loses nothing.
		unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	}
}

// stdFiles returns the tool's standard files that are real files, for
// programs that hand them on to children.
func stdFiles(t *Tool) (in, out, errf *os.File) {
	in, _ = t.Stdin.(*os.File)
	out, _ = t.Stdout.(*os.File)
	errf, _ = t.Stderr.(*os.File)
	return in, out, errf
}
