package supervise

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// lockHolder returns the pid of the process that holds the flock on path
// (relative to dfd): a supervise that svscan did not start, such as the
// one Debian's svscan started before the hand-over, or 0 when the lock is
// free or cannot be told. It only stats and reads /proc, so it never
// takes the lock (a supervise starting meanwhile would fail on it) and
// never opens anything in the service directory.
func lockHolder(dfd int, path string) int {
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, path, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0
	}
	ino := strconv.FormatUint(st.Ino, 10)
	// "1: FLOCK  ADVISORY  WRITE 1234 fe:00:9977917 0 EOF"; waiters read
	// "1: -> FLOCK ..." and hold nothing. The device is compared through
	// the holder's descriptors below, not here: on overlayfs the numbers
	// in /proc/locks are the upper layer's, not what stat returns.
	for _, line := range bytes.Split(locks, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) < 6 || string(f[1]) != "FLOCK" {
			continue
		}
		id := f[5]
		if i := bytes.LastIndexByte(id, ':'); i < 0 || string(id[i+1:]) != ino {
			continue
		}
		pid, err := strconv.Atoi(string(f[4]))
		if err == nil && pid > 0 && holds(pid, &st) {
			return pid
		}
	}
	return 0
}

// holds reports whether process pid has a descriptor open on the file st
// describes.
func holds(pid int, st *unix.Stat_t) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	fds, _ := f.Readdirnames(-1)
	f.Close()
	for _, fd := range fds {
		var fst unix.Stat_t
		if unix.Stat(dir+fd, &fst) == nil && fst.Dev == st.Dev && fst.Ino == st.Ino {
			return true
		}
	}
	return false
}

// pipeOf opens both ends of the pipe that is descriptor fd of process pid
// (Linux lets /proc/PID/fd/N of a pipe be opened like a named pipe), with
// close-on-exec, as svscan's own pipes are. It refuses anything but a
// pipe: opening a device could act on it.
func pipeOf(pid, fd int) (p [2]int, ok bool) {
	path := "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd)
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return p, false
	}
	// O_NONBLOCK: opening a FIFO for reading alone would otherwise wait
	// for a writer. The read end is opened first, so that the write end's
	// open finds a reader.
	for i, mode := range []int{unix.O_RDONLY, unix.O_WRONLY} {
		n, err := unix.Open(path, mode|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		var nst unix.Stat_t
		if err == nil && (unix.Fstat(n, &nst) != nil || nst.Dev != st.Dev || nst.Ino != st.Ino) {
			unix.Close(n)
			err = unix.ENXIO
		}
		if err != nil {
			if i == 1 {
				unix.Close(p[0])
			}
			return p, false
		}
		p[i] = n
	}
	// The supervise processes get the descriptors as their own stdin and
	// stdout, which blocking programs expect to block.
	for _, n := range p {
		if fl, err := unix.FcntlInt(uintptr(n), unix.F_GETFL, 0); err == nil {
			unix.FcntlInt(uintptr(n), unix.F_SETFL, fl&^unix.O_NONBLOCK)
		}
	}
	return p, true
}
