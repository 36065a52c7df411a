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

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/tai64"
)

// Config is what supervise needs. The zero value of each field but Dir means
// daemontools' behaviour.
type Config struct {
	// Dir is the service directory. supervise works through a descriptor
	// for it, so the directory may be renamed (to a dot-name, say) while
	// it runs. The supervise program changes to the directory first, as
	// daemontools' does, and passes ".".
	Dir string

	// Name is the directory as messages name it (the command line's
	// argument); "" means Dir.
	Name string

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
	finishTick    = 10 * time.Millisecond // how often supervise looks whether ./finish has exited
	maxWait       = 3600 * 1000           // ms; supervise.c wakes at least once an hour
)

// StartError reports that ./run could not be executed. daemontools' forked
// child prints this as "supervise: fatal: unable to start DIR/run: ..." and
// exits 111; our supervise reports it through Warn, records the service as
// down, pauses and tries again.
type StartError struct{ Err *fs.PathError }

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// kernel is what supervise asks of the kernel about its children and about
// waiting: the calls that block or that act on processes. Run uses the real
// ones. Tests put a fake here, so that supervise's timing (the pause after
// each start, ./finish's bound, the commands it is deaf to meanwhile) runs
// in a testing/synctest bubble, whose clock moves only while every
// goroutine in it waits on time or a channel, never inside a system call.
// time.Sleep and time.Now need no such seam: the bubble fakes them.
type kernel struct {
	forkExec func(argv0 string, argv []string, attr *syscall.ProcAttr) (pid int, err error)
	poll     func(fds []unix.PollFd, timeout int) (n int, err error)
	wait4    func(pid int, ws *unix.WaitStatus, options int) (wpid int, err error)
	kill     func(pid int, sig unix.Signal) error
}

// realKernel is the kernel.
var realKernel = kernel{
	forkExec: syscall.ForkExec,
	poll:     unix.Poll,
	wait4:    func(pid int, ws *unix.WaitStatus, options int) (int, error) { return unix.Wait4(pid, ws, options, nil) },
	kill:     unix.Kill,
}

// sv is one running supervise.
type sv struct {
	cfg      Config
	k        kernel
	dfd      int    // the service directory
	sfd      int    // its supervise/, opened once (see openSuperviseDir)
	childDir string // the directory ./run starts in; follows renames
	files    [3]uintptr
	ctl      int // supervise/control, read end, non-blocking
	ctlw     int // supervise/control, write end, held so ctl never sees EOF
	ok       int // supervise/ok, read end, held so writers can open it
	lock     int
	self     [2]int // self-pipe: SIGCHLD (without pidfds), a failed start
	sigs     chan os.Signal
	childfd  int // a pidfd of the child ./run, -1 without one

	exit    bool // svc -x: exit once the service is down
	want    bool // false after svc -o
	wantUp  bool
	pid     int // 0 when down
	paused  bool
	stamp   tai64.Time // of the last pid change
	restart bool       // a start failed: try again on the next turn
	exits   uint64     // exits while wanted up (see recordExit)

	// Scratch for the loop's calls, here rather than on the stack: passed
	// through kernel's function values, locals would escape to the heap,
	// once per event.
	pfds  [3]unix.PollFd
	ws    unix.WaitStatus
	argv  [3]string
	attr  syscall.ProcAttr
	sys   syscall.SysProcAttr
	newfd int // the pidfd ForkExec gives for a new child

	// adopted is set while pid is a process that an earlier supervise
	// started and left running (see adopt): not our child, so its exit
	// comes through pidfd (or, without one, a poll every second).
	adopted bool
	pidfd   int // -1 unless adopted and pidfd_open worked
}

// Run is supervise: it takes the service directory in cfg.Dir, starts
// ./run unless a down file exists, and obeys supervise/control until told
// to exit (svc -x) and the service is down. It returns an error only when it
// cannot start, with daemontools' words: {chdir to, DIR}, {stat, DIR/down},
// {follow, DIR/supervise} (Err is [ErrUntrustedLink]),
// {acquire, DIR/supervise/lock}, {read, DIR/supervise/control},
// {write, DIR/supervise/control}, {read, DIR/supervise/ok}. A lock that is
// not a regular file stops it (Err [ErrSymlink] or [ErrNotRegular]);
// control and ok that are not named pipes are replaced, with a [Replaced]
// warning.
//
// If supervise/status names a process that an earlier supervise of this
// directory started and left running (it was killed with SIGKILL, say),
// Run adopts it instead of starting a second copy: see [Adopted].
func Run(cfg Config) error { return run(cfg, realKernel) }

// run is Run with the kernel k.
func run(cfg Config, k kernel) error {
	if cfg.Name == "" {
		cfg.Name = cfg.Dir
	}
	s := &sv{cfg: cfg, k: k, want: true, wantUp: true, dfd: -1, sfd: -1, ctl: -1, ctlw: -1, ok: -1, lock: -1, self: [2]int{-1, -1}, pidfd: -1, childfd: -1}
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

func (s *sv) path(name string) string { return s.cfg.Name + "/" + name }

func (s *sv) open() error {
	var err error
	if err = unix.Pipe2(s.self[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return &fs.PathError{Op: "create pipe for", Path: s.cfg.Name, Err: err}
	}

	if s.dfd, err = openDir(s.cfg.Dir); err != nil {
		return &fs.PathError{Op: "chdir to", Path: s.cfg.Name, Err: err}
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

	if s.sfd, err = openSuperviseDir(s.dfd); err != nil {
		if err == ErrUntrustedLink {
			return &fs.PathError{Op: "follow", Path: s.path("supervise"), Err: err}
		}
		// Where daemontools' supervise fails: at the lock.
		return &fs.PathError{Op: "acquire", Path: s.path("supervise/lock"), Err: err}
	}
	// The lock is never replaced: two supervise processes replacing it at
	// once could each hold a lock on a file of its own.
	if s.lock, err = openIn(s.sfd, "lock", unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT, 0600, unix.S_IFREG); err == nil {
		err = unix.Flock(s.lock, unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		return &fs.PathError{Op: "acquire", Path: s.path("supervise/lock"), Err: err}
	}

	s.fifo("control")
	if s.ctl, err = openIn(s.sfd, "control", unix.O_RDONLY, 0, unix.S_IFIFO); err != nil {
		return &fs.PathError{Op: "read", Path: s.path("supervise/control"), Err: err}
	}
	if s.ctlw, err = openIn(s.sfd, "control", unix.O_WRONLY, 0, unix.S_IFIFO); err == nil && !sameFile(s.ctl, s.ctlw) {
		// Swapped between the two opens: ctl would see end of file
		// whenever a writer leaves, and spin.
		err = errSwapped
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: s.path("supervise/control"), Err: err}
	}

	adopted := s.adopt()
	if !adopted {
		s.pidchange()
	}
	s.announce()

	s.fifo("ok")
	if s.ok, err = openIn(s.sfd, "ok", unix.O_RDONLY, 0, unix.S_IFIFO); err != nil {
		return &fs.PathError{Op: "read", Path: s.path("supervise/ok"), Err: err}
	}

	if s.wantUp && !adopted {
		s.trystart()
	}
	return nil
}

// watchSIGCHLD makes SIGCHLD wake the loop through the self-pipe, as in
// supervise.c, for a kernel that gives no pidfd for a child (Linux before
// 5.2). With pidfds it is never called: os/signal costs a goroutine and
// two threads of its own, each with its stacks, and supervise idles in the
// hundreds (benchmarks/supervise-rss.sh).
func (s *sv) watchSIGCHLD() {
	if s.sigs != nil {
		return
	}
	s.sigs = make(chan os.Signal, 1)
	signal.Notify(s.sigs, syscall.SIGCHLD)
	go func(c <-chan os.Signal, w int) {
		for range c {
			unix.Write(w, []byte{0})
		}
		unix.Close(w) // here, so no write can reach a reused descriptor
	}(s.sigs, s.self[1])
	// The child may have exited before Notify: look once anyway.
	unix.Write(s.self[1], []byte{0})
}

// dropChild closes the pidfd of a child that has been reaped.
func (s *sv) dropChild() {
	if s.childfd >= 0 {
		unix.Close(s.childfd)
		s.childfd = -1
	}
}

// errSwapped reports a file replaced between two opens.
var errSwapped = errors.New("file replaced while being opened")

// fifo makes supervise/name a named pipe, as supervise.c's fifo_make
// (whose errors show up at the open), but replaces a file of another kind
// (a symbolic link, a regular file) with a warning: supervise holds the
// lock, so these files are its own.
func (s *sv) fifo(name string) {
	if unix.Mkfifoat(s.sfd, name, 0600) != unix.EEXIST {
		return
	}
	var st unix.Stat_t
	if unix.Fstatat(s.sfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT == unix.S_IFIFO {
		return
	}
	s.warn(&Replaced{Path: s.path("supervise/" + name), Was: kindName(uint32(st.Mode))})
	if unix.Unlinkat(s.sfd, name, 0) == nil {
		unix.Mkfifoat(s.sfd, name, 0600)
	}
}

func (s *sv) close() {
	if s.sigs != nil {
		signal.Stop(s.sigs)
		close(s.sigs) // the forwarding goroutine closes self[1]
		s.self[1] = -1
	}
	for _, fd := range []int{s.dfd, s.sfd, s.ctl, s.ctlw, s.ok, s.lock, s.self[0], s.self[1], s.pidfd, s.childfd} {
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
// a running process and means nothing after a crash. Unlike daemontools it
// never writes through what the directory's owner may have left at
// status.new (a symbolic link to a file of root's, say): the name is
// removed and created anew, exclusively, without following links.
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

	var fd int
	var err error
	for try := 0; try < 3; try++ { // a racing owner may plant it again
		unix.Unlinkat(s.sfd, "status.new", 0)
		fd, err = openat(s.sfd, "status.new", unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW, 0644)
		if err != unix.EEXIST {
			break
		}
	}
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
		unix.Unlinkat(s.sfd, "status.new", 0)
		return
	}
	if err := unix.Renameat(s.sfd, "status.new", s.sfd, "status"); err != nil {
		s.warn(&os.LinkError{Op: "rename", Old: s.path("supervise/status.new"), New: "status", Err: err})
	}
}

// trystart forks and executes ./run, then pauses as daemontools does.
func (s *sv) trystart() {
	s.argv = [3]string{"./run"}
	s.newfd = -1
	s.attr = syscall.ProcAttr{Dir: s.childDir, Env: s.cfg.Env, Files: s.files[:], Sys: childAttr(&s.sys, &s.newfd)}
	pid, err := s.k.forkExec(s.argv[0], s.argv[:1], &s.attr)
	childfd := s.newfd
	if err != nil {
		s.restart = true
		if err == syscall.EAGAIN || err == syscall.ENOMEM {
			s.warn(&fault.Error{Op: "fork for", Path: s.cfg.Name, Pause: "sleeping 60 seconds", Err: err})
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
	// The child's exit wakes the loop through its pidfd.
	s.childfd = childfd
	if childfd < 0 {
		s.watchSIGCHLD()
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
	switch {
	case s.pid == 0:
	case s.adopted && s.pidfd >= 0:
		pidfdSignal(s.pidfd, sig)
	case s.adopted && !leftover(s.pid, s.stamp):
		// Gone, and the pid may be someone else's by now: the loop
		// notices the exit within a second.
	default:
		s.k.kill(s.pid, sig)
	}
}

// loop is doit() in supervise.c: wait for a child or a control byte, handle
// it, repeat until told to exit and the service is down.
func (s *sv) loop() {
	all := s.pfds[:]
	all[0] = unix.PollFd{Fd: int32(s.self[0]), Events: unix.POLLIN}
	all[1] = unix.PollFd{Fd: int32(s.ctl), Events: unix.POLLIN}
	all[2] = unix.PollFd{Events: unix.POLLIN}
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
		fds, wait := all[:2], maxWait
		switch {
		case s.adopted && s.pidfd >= 0:
			all[2].Fd = int32(s.pidfd)
			fds = all[:3]
		case s.adopted:
			wait = 1000 // no pidfd: look every second
		case s.childfd >= 0:
			all[2].Fd = int32(s.childfd)
			fds = all[:3]
		}
		all[2].Revents = 0
		if n, _ := s.k.poll(fds, wait); n <= 0 {
			busy = false // EINTR or the timeout: nothing to do
		}
		childGone := len(fds) == 3 && !s.adopted && all[2].Revents != 0
		if s.adopted && s.adoptedGone() {
			busy = true
			s.dropAdopted()
			s.pid = 0
			s.pidchange()
			s.announce()
			s.finish(-1, 0) // its exit status went to its new parent
			if s.exit {
				return
			}
			if s.want && s.wantUp {
				s.trystart()
			}
		}
		for {
			if n, _ := unix.Read(s.self[0], buf[:]); n <= 0 {
				break
			}
		}

		for {
			r, err := s.k.wait4(-1, &s.ws, unix.WNOHANG)
			ws := s.ws
			if err == unix.EINTR {
				continue
			}
			if r <= 0 {
				break
			}
			if r == s.pid {
				if s.adopted { // a child of ours after all (a test's)
					s.dropAdopted()
				}
				s.dropChild()
				childGone = false
				s.pid = 0
				s.pidchange()
				s.announce()
				code, sig := ws.ExitStatus(), 0
				if ws.Signaled() {
					code, sig = -1, int(ws.Signal())
				}
				s.recordExit(code, sig)
				s.finish(code, sig)
				if s.exit {
					return
				}
				if s.want && s.wantUp {
					s.trystart()
				}
				break
			}
		}

		if childGone && s.childfd >= 0 {
			// The child has exited but was not ours to reap (someone
			// else's wait took it): the pidfd would stay readable and
			// spin the loop, so SIGCHLD takes over.
			s.dropChild()
			s.watchSIGCHLD()
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
// code (-1 if ./run was killed) and the signal number (0 if it exited;
// -1 and 0 for an adopted process, whose status is unknown).
// It runs synchronously, at most finishTimeout, before any restart; the
// status meanwhile says down.
func (s *sv) finish(code, sig int) {
	var st unix.Stat_t
	if unix.Fstatat(s.dfd, "finish", &st, 0) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0111 == 0 {
		return
	}
	s.argv = [3]string{"./finish", strconv.Itoa(code), strconv.Itoa(sig)}
	s.attr = syscall.ProcAttr{Dir: s.childDir, Env: s.cfg.Env, Files: s.files[:]}
	pid, err := s.k.forkExec(s.argv[0], s.argv[:], &s.attr)
	if err != nil {
		s.warn(&fs.PathError{Op: "start", Path: s.path("finish"), Err: err})
		return
	}
	deadline := time.Now().Add(finishTimeout)
	for {
		r, err := s.k.wait4(pid, &s.ws, unix.WNOHANG)
		if r == pid || err != nil && err != unix.EINTR {
			return
		}
		if !time.Now().Before(deadline) {
			s.k.kill(pid, unix.SIGKILL)
			s.k.wait4(pid, &s.ws, 0)
			return
		}
		time.Sleep(finishTick)
	}
}
