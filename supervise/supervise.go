package supervise

import (
	"errors"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/tai64"
)

// Config is what supervise needs. The zero value of each field but Dir means
// daemontools' behaviour.
type Config struct {
	// Dir is the service directory as given on the command line. Messages
	// name files under it; supervise works through a descriptor for it, so
	// the directory may be renamed (to a dot-name, say) while it runs.
	Dir string

	// Env is the environment of ./run.
	Env []string

	// Stdin, Stdout and Stderr are ./run's standard files; nil means the
	// process's own descriptor 0, 1 or 2 (under svscan, stdout is the log
	// pipe).
	Stdin, Stdout, Stderr *os.File

	// Warn receives errors that do not stop supervise. See [StartError].
	Warn func(error)

	// StartPause is how long supervise sleeps after each start, deaf to
	// commands; 0 means daemontools' one second.
	StartPause time.Duration

	// Idle, if set, is called when supervise is about to wait after having
	// handled something (a start, an exit, a command). Programs use it to
	// give memory back while supervise sleeps.
	Idle func()
}

const (
	startPause = time.Second      // deepsleep(1) in supervise.c, after each start
	forkPause  = 60 * time.Second // after a failed fork, as supervise.c does
	// finishTimeout bounds ./finish, as s6's timeout-finish default does.
	finishTimeout = 5 * time.Second
	maxWait       = 3600 * 1000 // ms; supervise.c wakes at least once an hour
)

// StartError reports that ./run could not be executed. daemontools' forked
// child prints this as "supervise: fatal: unable to start DIR/run: ..." and
// exits 111; our supervise reports it through Warn, records the service as
// down, pauses and tries again.
type StartError struct{ Err *fs.PathError }

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// sv is one running supervise.
type sv struct {
	cfg      Config
	dfd      int    // the service directory
	childDir string // the directory ./run starts in; follows renames
	files    [3]uintptr
	ctl      int // supervise/control, read end, non-blocking
	ctlw     int // supervise/control, write end, held so ctl never sees EOF
	ok       int // supervise/ok, read end, held so writers can open it
	lock     int
	self     [2]int // SIGCHLD self-pipe
	sigs     chan os.Signal

	exit    bool // svc -x: exit once the service is down
	want    bool // false after svc -o
	wantUp  bool
	pid     int // 0 when down
	paused  bool
	stamp   tai64.Time // of the last pid change
	restart bool       // a start failed: try again on the next turn
}

// Run is supervise: it takes the service directory in cfg.Dir, starts
// ./run unless a down file exists, and obeys supervise/control until told
// to exit (svc -x) and the service is down. It returns an error only when it
// cannot start, with daemontools' words: {chdir to, DIR}, {stat, DIR/down},
// {acquire, DIR/supervise/lock}, {read, DIR/supervise/control},
// {write, DIR/supervise/control}, {read, DIR/supervise/ok}.
func Run(cfg Config) error {
	s := &sv{cfg: cfg, want: true, wantUp: true, dfd: -1, ctl: -1, ctlw: -1, ok: -1, lock: -1, self: [2]int{-1, -1}}
	defer s.close()
	if err := s.open(); err != nil {
		return err
	}
	s.loop()
	s.announce()
	return nil
}

func (s *sv) warn(err error) {
	if s.cfg.Warn != nil {
		s.cfg.Warn(err)
	}
}

func (s *sv) path(name string) string { return s.cfg.Dir + "/" + name }

func (s *sv) open() error {
	var err error
	if err = unix.Pipe2(s.self[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return &fs.PathError{Op: "create pipe for", Path: s.cfg.Dir, Err: err}
	}
	// SIGCHLD wakes the loop through the self-pipe, as in supervise.c.
	s.sigs = make(chan os.Signal, 1)
	signal.Notify(s.sigs, syscall.SIGCHLD)
	go func(c <-chan os.Signal, w int) {
		for range c {
			unix.Write(w, []byte{0})
		}
		unix.Close(w) // here, so no write can reach a reused descriptor
	}(s.sigs, s.self[1])

	if s.dfd, err = openDir(s.cfg.Dir); err != nil {
		return &fs.PathError{Op: "chdir to", Path: s.cfg.Dir, Err: err}
	}
	s.childDir = childDir(s.dfd, s.cfg.Dir)
	for i, f := range []*os.File{s.cfg.Stdin, s.cfg.Stdout, s.cfg.Stderr} {
		s.files[i] = uintptr(i)
		if f != nil {
			s.files[i] = f.Fd()
		}
	}

	var st unix.Stat_t
	switch err := unix.Fstatat(s.dfd, "down", &st, 0); err {
	case nil:
		s.wantUp = false
	case unix.ENOENT:
	default:
		return &fs.PathError{Op: "stat", Path: s.path("down"), Err: err}
	}

	unix.Mkdirat(s.dfd, "supervise", 0700) // as supervise.c: errors show up at the lock
	if s.lock, err = openat(s.dfd, "supervise/lock", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_APPEND|unix.O_CREAT, 0600); err == nil {
		err = unix.Flock(s.lock, unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		return &fs.PathError{Op: "acquire", Path: s.path("supervise/lock"), Err: err}
	}

	unix.Mkfifoat(s.dfd, "supervise/control", 0600)
	if s.ctl, err = openat(s.dfd, "supervise/control", unix.O_RDONLY|unix.O_NONBLOCK, 0); err != nil {
		return &fs.PathError{Op: "read", Path: s.path("supervise/control"), Err: err}
	}
	if s.ctlw, err = openat(s.dfd, "supervise/control", unix.O_WRONLY|unix.O_NONBLOCK, 0); err != nil {
		return &fs.PathError{Op: "write", Path: s.path("supervise/control"), Err: err}
	}

	s.pidchange()
	s.announce()

	unix.Mkfifoat(s.dfd, "supervise/ok", 0600)
	if s.ok, err = openat(s.dfd, "supervise/ok", unix.O_RDONLY|unix.O_NONBLOCK, 0); err != nil {
		return &fs.PathError{Op: "read", Path: s.path("supervise/ok"), Err: err}
	}

	if s.wantUp {
		s.trystart()
	}
	return nil
}

func (s *sv) close() {
	if s.sigs != nil {
		signal.Stop(s.sigs)
		close(s.sigs) // the forwarding goroutine closes self[1]
		s.self[1] = -1
	}
	for _, fd := range []int{s.dfd, s.ctl, s.ctlw, s.ok, s.lock, s.self[0], s.self[1]} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// childDir returns a path that names the directory open as dfd for as long
// as it stays open, even after a rename: the descriptor's entry in
// /proc/self/fd, which the forked child resolves before it closes the
// descriptor at exec. Without /proc it falls back to the absolute path.
func childDir(dfd int, dir string) string {
	p := "/proc/self/fd/" + strconv.Itoa(dfd)
	var st unix.Stat_t
	if unix.Stat(p, &st) == nil {
		return p
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

func (s *sv) pidchange() { s.stamp = tai64.Now() }

// announce writes supervise/status through status.new and a rename, as
// supervise.c does. Like daemontools it does not fsync: the file describes
// a running process and means nothing after a crash.
func (s *sv) announce() {
	st := Status{Stamp: s.stamp, PID: s.pid, Paused: s.pid != 0 && s.paused}
	switch {
	case !s.want:
		st.Want = WantOnce
	case s.wantUp:
		st.Want = WantUp
	default:
		st.Want = WantDown
	}
	var b [StatusLen]byte
	st.Put(&b)

	fd, err := openat(s.dfd, "supervise/status.new", unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0644)
	if err != nil {
		s.warn(&fs.PathError{Op: "open", Path: s.path("supervise/status.new"), Err: err})
		return
	}
	n, err := unix.Write(fd, b[:])
	unix.Close(fd)
	if err == nil && n < len(b) {
		err = errPartialWrite
	}
	if err != nil {
		s.warn(&fs.PathError{Op: "write", Path: s.path("supervise/status.new"), Err: err})
		unix.Unlinkat(s.dfd, "supervise/status.new", 0)
		return
	}
	if err := unix.Renameat(s.dfd, "supervise/status.new", s.dfd, "supervise/status"); err != nil {
		s.warn(&os.LinkError{Op: "rename", Old: s.path("supervise/status.new"), New: "status", Err: err})
	}
}

// trystart forks and executes ./run, then pauses as daemontools does.
func (s *sv) trystart() {
	argv := []string{"./run"}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Dir:   s.childDir,
		Env:   s.cfg.Env,
		Files: s.files[:],
	})
	if err != nil {
		s.restart = true
		if err == syscall.EAGAIN || err == syscall.ENOMEM {
			s.warn(&fs.PathError{Op: "fork for", Path: s.cfg.Dir + ", sleeping 60 seconds", Err: err})
			time.Sleep(forkPause)
		} else {
			s.warn(&StartError{&fs.PathError{Op: "start", Path: s.path("run"), Err: err}})
			s.pidchange()
			s.announce()
			s.pause()
		}
		unix.Write(s.self[1], []byte{0})
		return
	}
	s.paused = false
	s.pid = pid
	s.pidchange()
	s.announce()
	s.pause()
}

func (s *sv) pause() {
	d := s.cfg.StartPause
	if d <= 0 {
		d = startPause
	}
	time.Sleep(d)
}

func (s *sv) kill(sig unix.Signal) {
	if s.pid != 0 {
		unix.Kill(s.pid, sig)
	}
}

// loop is doit() in supervise.c: wait for a child or a control byte, handle
// it, repeat until told to exit and the service is down.
func (s *sv) loop() {
	fds := []unix.PollFd{{Fd: int32(s.self[0]), Events: unix.POLLIN}, {Fd: int32(s.ctl), Events: unix.POLLIN}}
	var buf [64]byte
	busy := true
	for {
		if s.exit && s.pid == 0 {
			return
		}
		if busy && s.cfg.Idle != nil {
			s.cfg.Idle()
		}
		busy = true
		if n, _ := unix.Poll(fds, maxWait); n <= 0 {
			busy = false // EINTR or the hourly timeout: nothing to do
		}
		for {
			if n, _ := unix.Read(s.self[0], buf[:]); n <= 0 {
				break
			}
		}

		for {
			var ws unix.WaitStatus
			r, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if err == unix.EINTR {
				continue
			}
			if r <= 0 {
				break
			}
			if r == s.pid {
				s.pid = 0
				s.pidchange()
				s.announce()
				s.finish(ws)
				if s.exit {
					return
				}
				if s.want && s.wantUp {
					s.trystart()
				}
				break
			}
		}

		if s.restart && s.pid == 0 {
			s.restart = false
			if s.want && s.wantUp && !s.exit {
				s.trystart()
			}
		}

		var c [1]byte
		if n, _ := unix.Read(s.ctl, c[:]); n == 1 {
			s.command(c[0])
		}
	}
}

// command obeys one control byte, with daemontools 0.76's meanings.
func (s *sv) command(c byte) {
	switch c {
	case 'd':
		s.want, s.wantUp = true, false
		if s.pid != 0 {
			s.kill(unix.SIGTERM)
			s.kill(unix.SIGCONT)
			s.paused = false
		}
		s.announce()
	case 'u':
		s.want, s.wantUp = true, true
		s.announce()
		if s.pid == 0 {
			s.trystart()
		}
	case 'o':
		s.want = false
		s.announce()
		if s.pid == 0 {
			s.trystart()
		}
	case 'a':
		s.kill(unix.SIGALRM)
	case 'h':
		s.kill(unix.SIGHUP)
	case 'k':
		s.kill(unix.SIGKILL)
	case 't':
		s.kill(unix.SIGTERM)
	case 'i':
		s.kill(unix.SIGINT)
	case 'p':
		s.paused = true
		s.announce()
		s.kill(unix.SIGSTOP)
	case 'c':
		s.paused = false
		s.announce()
		s.kill(unix.SIGCONT)
	case 'x':
		s.exit = true
		s.announce()
	}
}

// errPartialWrite is supervise.c's "partial write".
var errPartialWrite = errors.New("partial write")

// finish runs ./finish, if the service has one, after ./run has exited: an
// mlog addition (daemontools has none) with runit's arguments, the exit
// code (-1 if ./run was killed) and the signal number (0 if it exited).
// It runs synchronously, at most finishTimeout, before any restart; the
// status meanwhile says down.
func (s *sv) finish(ws unix.WaitStatus) {
	var st unix.Stat_t
	if unix.Fstatat(s.dfd, "finish", &st, 0) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0111 == 0 {
		return
	}
	code, sig := ws.ExitStatus(), 0
	if ws.Signaled() {
		code, sig = -1, int(ws.Signal())
	}
	argv := []string{"./finish", strconv.Itoa(code), strconv.Itoa(sig)}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Dir: s.childDir, Env: s.cfg.Env, Files: s.files[:]})
	if err != nil {
		s.warn(&fs.PathError{Op: "start", Path: s.path("finish"), Err: err})
		return
	}
	deadline := time.Now().Add(finishTimeout)
	for {
		var fws unix.WaitStatus
		r, err := unix.Wait4(pid, &fws, unix.WNOHANG, nil)
		if r == pid || err != nil && err != unix.EINTR {
			return
		}
		if time.Now().After(deadline) {
			unix.Kill(pid, unix.SIGKILL)
			unix.Wait4(pid, &fws, 0, nil)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
