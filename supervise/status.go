package supervise

import (
	"errors"
	"io/fs"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/tai64"
)

// StatusLen is the size of daemontools' supervise/status. runit writes 20
// bytes whose first 18 are the same; readers take the first StatusLen.
const StatusLen = 18

// Values of [Status.Want].
const (
	WantUp   = 'u'
	WantDown = 'd'
	WantOnce = 0 // after svc -o: run once, do not restart
)

// Status is the content of supervise/status.
type Status struct {
	Stamp  tai64.Time // when the pid last changed (a start or an exit, not an svc command)
	PID    int        // the service's pid; 0 when it is down
	Paused bool       // set by svc -p; supervise writes it only while up
	Want   byte       // WantUp, WantDown or WantOnce
}

// ErrBadFormat reports a status file shorter than [StatusLen], in svstat's
// words.
var ErrBadFormat = errors.New("bad format")

// ErrNotRunning reports that no supervise is running for a directory: the
// FIFO is there but nobody reads it.
var ErrNotRunning = errors.New("supervise not running")

// ErrCommandsNotWritten is the Kind of [Control]'s error when the control
// FIFO was opened but the commands could not be written to it (svc words
// that failure differently from one to reach supervise).
var ErrCommandsNotWritten = errors.New("commands not written")

// ParseStatus decodes a status file from the first [StatusLen] bytes of b
// and returns it with the bytes consumed. Bytes after the first StatusLen
// (runit's extra two) are ignored. It does no allocation.
func ParseStatus(b []byte) (Status, int, error) {
	if len(b) < StatusLen {
		return Status{}, 0, ErrBadFormat
	}
	var s Status
	for _, c := range b[0:8] {
		s.Stamp.Sec = s.Stamp.Sec<<8 | uint64(c)
	}
	for _, c := range b[8:12] {
		s.Stamp.Nsec = s.Stamp.Nsec<<8 | uint32(c)
	}
	s.PID = int(uint32(b[12]) | uint32(b[13])<<8 | uint32(b[14])<<16 | uint32(b[15])<<24)
	s.Paused = b[16] != 0
	s.Want = b[17]
	return s, StatusLen, nil
}

// Put writes s into b in daemontools' layout. It does no allocation.
func (s Status) Put(b *[StatusLen]byte) {
	sec := s.Stamp.Sec
	for i := 7; i >= 0; i-- {
		b[i] = byte(sec)
		sec >>= 8
	}
	n := s.Stamp.Nsec
	for i := 11; i >= 8; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	pid := uint32(s.PID)
	b[12], b[13], b[14], b[15] = byte(pid), byte(pid>>8), byte(pid>>16), byte(pid>>24)
	b[16] = 0
	if s.Paused {
		b[16] = 1
	}
	b[17] = s.Want
}

// Append appends the [StatusLen] bytes of s to dst.
func (s Status) Append(dst []byte) []byte {
	var b [StatusLen]byte
	s.Put(&b)
	return append(dst, b[:]...)
}

// State is what svstat reports about a service directory: its status file
// and whether a down file is present.
type State struct {
	Status
	NormallyUp bool // there is no down file
}

// Seconds returns the whole seconds from the status stamp to now, as svstat
// computes them: TAI64 seconds only, clamped at 0, and passed through a
// double (tai_approx in svstat.c), so that a corrupt stamp decades away
// prints the same rounded count as daemontools.
func (st State) Seconds(now time.Time) uint64 {
	n := tai64.FromTime(now).Sec
	if n < st.Stamp.Sec {
		return 0
	}
	// n < 2^63, so the double is below 2^63 too and converts back exactly.
	return uint64(float64(n - st.Stamp.Sec))
}

// Range of the stamps [Status.Since] accepts: the years 0 to 9999, what
// RFC 3339 (and so JSON's time) can write.
const (
	minSince = -62167219200 // 0000-01-01T00:00:00Z in Unix seconds
	maxSince = 253402300799 // 9999-12-31T23:59:59Z
)

// Since returns the stamp as a time, and false when the stamp is no time a
// supervise could have written: a year outside 0 to 9999, or nanoseconds
// of a second or more (a corrupt file, which svstat still prints).
func (s Status) Since() (time.Time, bool) {
	if s.Stamp.Sec >= 1<<63 || s.Stamp.Nsec > 999999999 {
		return time.Time{}, false
	}
	sec, nsec := s.Stamp.Unix()
	if sec < minSince || sec > maxSince {
		return time.Time{}, false
	}
	return time.Unix(sec, int64(nsec)), true
}

// Append appends svstat's text for st after "DIR: ", byte for byte as
// daemontools 0.76 prints it: "up (pid N) S seconds" or "down S seconds",
// then ", normally down" or ", normally up", ", paused", ", want up" or
// ", want down" where they apply.
func (st State) Append(dst []byte, now time.Time) []byte {
	up := st.PID != 0
	if up {
		dst = append(dst, "up (pid "...)
		dst = strconv.AppendUint(dst, uint64(uint32(st.PID)), 10)
		dst = append(dst, ") "...)
	} else {
		dst = append(dst, "down "...)
	}
	dst = strconv.AppendUint(dst, st.Seconds(now), 10)
	dst = append(dst, " seconds"...)
	if up && !st.NormallyUp {
		dst = append(dst, ", normally down"...)
	}
	if !up && st.NormallyUp {
		dst = append(dst, ", normally up"...)
	}
	if up && st.Paused {
		dst = append(dst, ", paused"...)
	}
	if !up && st.Want == WantUp {
		dst = append(dst, ", want up"...)
	}
	if up && st.Want == WantDown {
		dst = append(dst, ", want down"...)
	}
	return dst
}

// Stat reads the state of the service in dir as svstat does. Its errors are
// [*fs.PathError] values in svstat's words, with Path relative to dir:
// {chdir, ""}, {stat, down}, {open, supervise/ok}, {open, supervise/status},
// {read, supervise/status}; Err is [ErrNotRunning] when no supervise reads
// supervise/ok and [ErrBadFormat] for a short status file.
func Stat(dir string) (State, error) {
	var st State
	dfd, err := openDir(dir)
	if err != nil {
		return st, &fs.PathError{Op: "chdir", Err: err}
	}
	defer unix.Close(dfd)

	var sb unix.Stat_t
	switch err := unix.Fstatat(dfd, "down", &sb, 0); {
	case err == nil:
	case err == unix.ENOENT:
		st.NormallyUp = true
	default:
		return st, &fs.PathError{Op: "stat", Path: "down", Err: err}
	}

	if err := probeOK(dfd); err != nil {
		return st, &fs.PathError{Op: "open", Path: "supervise/ok", Err: err}
	}

	fd, err := openIn(dfd, "supervise/status", unix.O_RDONLY, 0, unix.S_IFREG)
	if err != nil {
		return st, &fs.PathError{Op: "open", Path: "supervise/status", Err: err}
	}
	var b [StatusLen]byte
	n, err := readFull(fd, b[:])
	unix.Close(fd)
	if err != nil {
		return st, &fs.PathError{Op: "read", Path: "supervise/status", Err: err}
	}
	st.Status, _, err = ParseStatus(b[:n])
	if err != nil {
		return st, &fs.PathError{Op: "read", Path: "supervise/status", Err: err}
	}
	return st, nil
}

// ReadStatus reads dir/supervise/status without asking whether supervise
// runs. A stale file says what the service was doing when its supervise
// stopped.
func ReadStatus(dir string) (Status, error) {
	name := dir + "/supervise/status"
	fd, err := openIn(unix.AT_FDCWD, name, unix.O_RDONLY, 0, unix.S_IFREG)
	if err != nil {
		return Status{}, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(fd)
	var b [StatusLen]byte
	n, err := readFull(fd, b[:])
	if err == nil {
		var s Status
		s, _, err = ParseStatus(b[:n])
		if err == nil {
			return s, nil
		}
	}
	return Status{}, &fs.PathError{Op: "read", Path: name, Err: err}
}

// Running reports whether a supervise runs for dir, as svok does: it opens
// supervise/ok for writing without blocking. A missing FIFO or one without
// a reader means no. Errors are {chdir to, dir} and {open, dir/supervise/ok}.
func Running(dir string) (bool, error) {
	dfd, err := openDir(dir)
	if err != nil {
		return false, &fs.PathError{Op: "chdir to", Path: dir, Err: err}
	}
	defer unix.Close(dfd)
	switch err := probeOK(dfd); err {
	case nil:
		return true, nil
	case ErrNotRunning, unix.ENOENT:
		return false, nil
	default:
		return false, &fs.PathError{Op: "open", Path: dir + "/supervise/ok", Err: err}
	}
}

// probeOK opens supervise/ok for writing without blocking and closes it.
// ENXIO (no reader) becomes ErrNotRunning.
//
// The readers (Stat, Running, Control, ReadStatus) follow supervise/ if it
// is a symbolic link, as daemontools' do (Debian points it into /run), but
// never a link in it, and open only a named pipe as control or ok and a
// regular file as status: whoever owns the service directory must not
// make root's svc write commands into a file of root's, nor svstat print
// one, nor any of them open a device.
func probeOK(dfd int) error {
	fd, err := openIn(dfd, "supervise/ok", unix.O_WRONLY, 0, unix.S_IFIFO)
	if err == unix.ENXIO {
		return ErrNotRunning
	}
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}

// Control sends cmds to the supervise of dir in one write, as svc does.
// Its errors are {chdir to, dir}, {control, dir} (Err is [ErrNotRunning]
// when nothing reads the FIFO) and {write commands to, dir}, the last of
// Kind [ErrCommandsNotWritten].
func Control(dir string, cmds []byte) error {
	dfd, err := openDir(dir)
	if err != nil {
		return &fs.PathError{Op: "chdir to", Path: dir, Err: err}
	}
	defer unix.Close(dfd)
	fd, err := openIn(dfd, "supervise/control", unix.O_WRONLY, 0, unix.S_IFIFO)
	if err == unix.ENXIO {
		err = ErrNotRunning
	}
	if err != nil {
		return &fs.PathError{Op: "control", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	// As svc does: block on a full FIFO rather than drop commands.
	if err := setBlocking(fd); err != nil {
		return &fault.Error{Op: "write commands to", Path: dir, Err: err, Kind: ErrCommandsNotWritten}
	}
	for len(cmds) > 0 {
		n, err := unix.Write(fd, cmds)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &fault.Error{Op: "write commands to", Path: dir, Err: err, Kind: ErrCommandsNotWritten}
		}
		cmds = cmds[n:]
	}
	return nil
}

// openat retries on EINTR and always sets close-on-exec.
func openat(dfd int, name string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Openat(dfd, name, flags|unix.O_CLOEXEC, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// readFull reads until b is full or end of file and returns the count.
func readFull(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Read(fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

func setBlocking(fd int) error {
	return unix.SetNonblock(fd, false)
}
