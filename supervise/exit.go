package supervise

import (
	"bytes"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/tai64"
)

// Exit is how a service last exited, from supervise/exit, a file mlog's
// supervise writes beside status (daemontools' 18-byte status has no room
// for it, and its tools never read this one): so that a service that
// keeps dying says why, not only that it is down.
type Exit struct {
	// Restarts counts the exits while the service was wanted up, since
	// this supervise started: each was followed by a restart.
	Restarts uint64
	Code     int        // the exit status, or -1 if a signal killed it
	Signal   int        // the signal that killed it, or 0
	At       tai64.Time // when supervise saw it exit
}

// exitMagic starts supervise/exit: "mlog-exit 1 RESTARTS CODE SIGNAL LABEL\n".
const exitMagic = "mlog-exit 1 "

// appendExit appends e as supervise/exit holds it.
func (e Exit) appendExit(b []byte) []byte {
	b = append(b, exitMagic...)
	b = strconv.AppendUint(b, e.Restarts, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(e.Code), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(e.Signal), 10)
	b = append(b, ' ')
	b = e.At.Append(b)
	return append(b, '\n')
}

// parseExit reads what appendExit wrote.
func parseExit(b []byte) (Exit, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(exitMagic))
	if !ok {
		return Exit{}, false
	}
	f := bytes.Fields(rest)
	if len(f) != 4 {
		return Exit{}, false
	}
	var e Exit
	var err [3]error
	e.Restarts, err[0] = strconv.ParseUint(string(f[0]), 10, 64)
	code, err1 := strconv.Atoi(string(f[1]))
	sig, err2 := strconv.Atoi(string(f[2]))
	err[1], err[2] = err1, err2
	at, n, err3 := tai64.Parse(f[3])
	if err[0] != nil || err[1] != nil || err[2] != nil || err3 != nil || n != len(f[3]) {
		return Exit{}, false
	}
	e.Code, e.Signal, e.At = code, sig, at
	return e, true
}

// recordExit notes that the service exited with code (or was killed by
// sig) and writes supervise/exit: a new file renamed over the old, so a
// reader sees one or the other whole. A failure costs only the record.
func (s *sv) recordExit(code, sig int) {
	if s.want && s.wantUp {
		s.exits++
	}
	var buf [96]byte
	b := Exit{Restarts: s.exits, Code: code, Signal: sig, At: s.stamp}.appendExit(buf[:0])
	unix.Unlinkat(s.sfd, "exit.new", 0)
	fd, err := openat(s.sfd, "exit.new", unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW, 0644)
	if err != nil {
		return
	}
	n, err := unix.Write(fd, b)
	unix.Close(fd)
	if err != nil || n != len(b) || unix.Renameat(s.sfd, "exit.new", s.sfd, "exit") != nil {
		unix.Unlinkat(s.sfd, "exit.new", 0)
	}
}

// ReadExit reads dir/supervise/exit. It reports false if there is none
// (no service exited under mlog's supervise yet, or daemontools'
// supervise runs it) or it cannot be read.
func ReadExit(dir string) (Exit, bool) {
	fd, err := openIn(unix.AT_FDCWD, dir+"/supervise/exit", unix.O_RDONLY, 0, unix.S_IFREG)
	if err != nil {
		return Exit{}, false
	}
	defer unix.Close(fd)
	var b [128]byte
	n, err := readFull(fd, b[:])
	if err != nil {
		return Exit{}, false
	}
	return parseExit(b[:n])
}
