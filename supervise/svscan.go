package supervise

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ScanConfig is what svscan needs. The zero value of each field means
// daemontools' behaviour.
type ScanConfig struct {
	// Dir is the scan directory; "" means the current directory.
	Dir string

	// Env is the environment of the supervise processes. Supervise is
	// looked up on its PATH before each start, as execvp does.
	Env []string

	// Supervise is the program started for each service; "" means
	// "supervise". A name with a slash is used as it is (the svscan
	// program passes the supervise installed beside it).
	Supervise string

	// Stdin, Stdout and Stderr are passed on as daemontools' svscan passes
	// its own: a service's supervise gets stdin (and the log pipe as stdout
	// when there is a log), a log's supervise gets stdout, both get stderr.
	// nil means the process's own descriptor.
	Stdin, Stdout, Stderr *os.File

	// Warn receives every warning; svscan never stops on its own.
	Warn func(error)

	// Interval is the pause between scans; 0 means daemontools' 5 seconds.
	Interval time.Duration

	// Done, when closed, makes Scan return after the current pause. The
	// supervise processes keep running, as when svscan is killed.
	Done <-chan struct{}

	// Idle, if set, is called after each scan, before the pause. See
	// [Config.Idle].
	Idle func()
}

const (
	scanInterval = 5 * time.Second // svscan.c sleeps 5 s between scans
	maxServices  = 1000            // SERVICES in svscan.c
)

// service is one entry of the scan directory, known by device and inode.
type service struct {
	dev, ino uint64
	active   bool   // seen in the latest scan
	log      bool   // has a log; pipe is valid
	pid      int    // supervise NAME, 0 if not running
	pidLog   int    // supervise log, 0 if not running
	pipe     [2]int // held for svscan's whole life: no line is lost when either side restarts
	// waiting and waitingLog: another supervise holds the lock (told once).
	waiting, waitingLog bool
}

type scanner struct {
	cfg      ScanConfig
	dfd      int
	childDir string
	std      [3]uintptr
	svcs     []service
}

// Scan is svscan: it scans cfg.Dir every five seconds and makes sure a
// supervise runs for each subdirectory (and one for its log subdirectory,
// connected by a pipe), skipping names that start with a dot. It returns
// only when it cannot open the directory ({chdir to, DIR}) or when cfg.Done
// is closed.
func Scan(cfg ScanConfig) error {
	dir := cfg.Dir
	if dir == "" {
		dir = "."
	}
	dfd, err := openDir(dir)
	if err != nil {
		return &fs.PathError{Op: "chdir to", Path: dir, Err: err}
	}
	defer unix.Close(dfd)
	sc := &scanner{cfg: cfg, dfd: dfd, childDir: childDir(dfd, dir)}
	defer sc.closePipes()
	for i, f := range []*os.File{cfg.Stdin, cfg.Stdout, cfg.Stderr} {
		sc.std[i] = uintptr(i)
		if f != nil {
			sc.std[i] = f.Fd()
		}
	}
	interval := cfg.Interval
	if interval <= 0 {
		interval = scanInterval
	}
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		sc.scan()
		if cfg.Idle != nil {
			cfg.Idle()
		}
		t.Reset(interval)
		select {
		case <-cfg.Done:
			return nil
		case <-t.C:
		}
	}
}

func (sc *scanner) warn(err error) {
	if sc.cfg.Warn != nil {
		sc.cfg.Warn(err)
	}
}

func (sc *scanner) closePipes() {
	for _, s := range sc.svcs {
		if s.log {
			unix.Close(s.pipe[0])
			unix.Close(s.pipe[1])
		}
	}
}

// scan is doit() in svscan.c: reap, start what is missing, forget entries
// that are gone and whose supervise processes have both exited.
func (sc *scanner) scan() {
	for {
		var ws unix.WaitStatus
		r, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if r <= 0 {
			break
		}
		for i := range sc.svcs {
			if sc.svcs[i].pid == r {
				sc.svcs[i].pid = 0
				break
			}
			if sc.svcs[i].pidLog == r {
				sc.svcs[i].pidLog = 0
				break
			}
		}
	}

	for i := range sc.svcs {
		sc.svcs[i].active = false
	}
	names, err := sc.readDir()
	if err != nil {
		sc.warn(&fs.PathError{Op: "read", Path: "directory", Err: err})
		return
	}
	for _, name := range names {
		sc.start(name)
	}

	for i := 0; i < len(sc.svcs); {
		s := &sc.svcs[i]
		if !s.active && s.pid == 0 && s.pidLog == 0 {
			if s.log {
				unix.Close(s.pipe[0])
				unix.Close(s.pipe[1])
			}
			last := len(sc.svcs) - 1
			sc.svcs[i] = sc.svcs[last]
			sc.svcs = sc.svcs[:last]
			continue
		}
		i++
	}
}

func (sc *scanner) readDir() ([]string, error) {
	fd, err := openat(sc.dfd, ".", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), ".")
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if pe, ok := err.(*fs.PathError); ok {
		err = pe.Err
	}
	return names, err
}

// start is start() in svscan.c for one directory entry.
func (sc *scanner) start(name string) {
	if name[0] == '.' {
		return
	}
	var st unix.Stat_t
	if err := unix.Fstatat(sc.dfd, name, &st, 0); err != nil {
		sc.warn(&fs.PathError{Op: "stat", Path: name, Err: err})
		return
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return
	}
	i := 0
	for i < len(sc.svcs) && (sc.svcs[i].ino != uint64(st.Ino) || sc.svcs[i].dev != uint64(st.Dev)) {
		i++
	}
	if i == len(sc.svcs) {
		if len(sc.svcs) >= maxServices {
			sc.warn(&fs.PathError{Op: "start", Path: name, Err: errTooMany})
			return
		}
		s := service{dev: uint64(st.Dev), ino: uint64(st.Ino)}
		var lst unix.Stat_t
		switch err := unix.Fstatat(sc.dfd, name+"/log", &lst, 0); err {
		case nil:
			s.log = true
		case unix.ENOENT:
		default:
			sc.warn(&fs.PathError{Op: "stat", Path: name + "/log", Err: err})
			return
		}
		if s.log && !sc.adoptPipe(name, &s) {
			if err := unix.Pipe2(s.pipe[:], unix.O_CLOEXEC); err != nil {
				sc.warn(&fs.PathError{Op: "create pipe for", Path: name, Err: err})
				return
			}
		}
		sc.svcs = append(sc.svcs, s)
	}
	s := &sc.svcs[i]
	s.active = true

	if s.pid == 0 && sc.held(name, &s.waiting) {
		// Taken over when that one exits: see [heldError].
	} else if s.pid == 0 {
		files := sc.std
		if s.log {
			files[1] = uintptr(s.pipe[1])
		}
		pid, err := sc.spawn(sc.childDir, name, files)
		if err != nil {
			sc.warn(err)
			return
		}
		s.pid = pid
	}
	if s.log && s.pidLog == 0 && !sc.held(name+"/log", &s.waitingLog) {
		files := sc.std
		files[0] = uintptr(s.pipe[0])
		pid, err := sc.spawn(sc.childDir+"/"+name, "log", files)
		if err != nil {
			if pe, ok := err.(*fs.PathError); ok {
				pe.Path = name + "/log"
			}
			sc.warn(err)
			return
		}
		s.pidLog = pid
	}
}

// held reports whether a supervise that svscan did not start holds
// dir/supervise/lock, as after Debian's svscan was stopped over the same
// tree, and says so once (noted remembers it) instead of starting a
// supervise that would fail on the lock at every scan.
func (sc *scanner) held(dir string, noted *bool) bool {
	pid := lockHolder(sc.dfd, dir+"/supervise/lock")
	if pid == 0 {
		*noted = false
		return false
	}
	if !*noted {
		sc.warn(&heldError{dir, pid})
		*noted = true
	}
	return true
}

// heldError is the note for a service another supervise runs.
type heldError struct {
	dir string
	pid int
}

func (e *heldError) Error() string {
	return e.dir + " is supervised by pid " + strconv.Itoa(e.pid) + " (it holds " + e.dir +
		"/supervise/lock): starting supervise when it exits (svc -dx " + e.dir + ")"
}

// adoptPipe takes over the log pipe of a service that another supervise
// runs (after a hand-over from another svscan, or a restart of svscan
// itself): the pipe the running service writes to (its supervise's
// stdout), or else the one the running logger reads (its supervise's
// stdin). Lines written before the hand-over and not yet read stay in that
// pipe, and the supervise processes svscan starts later get the same pipe,
// so none is lost or read twice.
func (sc *scanner) adoptPipe(name string, s *service) bool {
	for _, c := range []struct {
		dir string
		fd  int
	}{{name, 1}, {name + "/log", 0}} {
		if pid := lockHolder(sc.dfd, c.dir+"/supervise/lock"); pid != 0 {
			if p, ok := pipeOf(pid, c.fd); ok {
				s.pipe = p
				return true
			}
		}
	}
	return false
}

// spawn starts "supervise arg" in dir, looking the program up on the PATH
// at each start as svscan's execvp does.
func (sc *scanner) spawn(dir, arg string, files [3]uintptr) (int, error) {
	prog := sc.cfg.Supervise
	if prog == "" {
		prog = "supervise"
	}
	path, err := LookPath(sc.cfg.Env, prog)
	if err == nil {
		var pid int
		// argv[0] is the name alone, as execvp gives it in svscan.c.
		pid, err = syscall.ForkExec(path, []string{filepath.Base(prog), arg}, &syscall.ProcAttr{Dir: dir, Env: sc.cfg.Env, Files: files[:]})
		if err == nil {
			return pid, nil
		}
	}
	if err == syscall.EAGAIN || err == syscall.ENOMEM {
		return 0, &fs.PathError{Op: "fork for", Path: arg, Err: err}
	}
	return 0, &fs.PathError{Op: "start supervise", Path: arg, Err: err}
}

// errTooMany is svscan.c's "running too many services".
var errTooMany = errors.New("running too many services")
