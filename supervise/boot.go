package supervise

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// BootConfig is what svscanboot needs. The zero value of each field means
// daemontools' svscanboot.
type BootConfig struct {
	// Dir is the scan directory; "" means daemontools' /service (Debian's
	// package uses /etc/service).
	Dir string

	// Path is the PATH of svscan and readproctitle, whose environment holds
	// nothing else; "" means svscanboot's.
	Path string

	// Svscan and Readproctitle name the programs; "" means daemontools'
	// names, looked up on Path. A name with a slash is used as it is
	// (the svscanboot program passes the ones installed beside it).
	Svscan, Readproctitle string
}

// BootPath is the PATH daemontools' svscanboot sets.
const BootPath = "/command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/X11R6/bin"

// TitleDots is the length of readproctitle's last argument in svscanboot:
// the room ps shows for svscan's errors.
const TitleDots = 400

// Boot is svscanboot: it tells any supervise left from a previous run in
// Dir/* and Dir/*/log to stop its service and exit (svc -dx), then runs
// "svscan DIR 2>&1 | readproctitle service errors: ...", each with an
// environment holding only PATH and with the rest of its standard files on
// /dev/null, and waits for both. It returns readproctitle's exit status,
// or an error when a program cannot be started.
func Boot(cfg BootConfig) (int, error) {
	dir := cfg.Dir
	if dir == "" {
		dir = "/service"
	}
	path := cfg.Path
	if path == "" {
		path = BootPath
	}
	env := []string{"PATH=" + path}
	svscan, proctitle := cfg.Svscan, cfg.Readproctitle
	if svscan == "" {
		svscan = "svscan"
	}
	if proctitle == "" {
		proctitle = "readproctitle"
	}

	for _, suffix := range []string{"", "/log"} {
		for _, d := range glob(dir, suffix) {
			Control(d, []byte("dx")) // errors went to /dev/null in svscanboot
		}
	}

	null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, &fs.PathError{Op: "open", Path: "/dev/null", Err: err}
	}
	defer unix.Close(null)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, &fs.PathError{Op: "create pipe for", Path: dir, Err: err}
	}

	title := "..." + strings.Repeat(".", TitleDots-3)
	pt, err := spawnOn(env, []string{proctitle, "service", "errors:", title}, [3]int{p[0], null, null})
	unix.Close(p[0])
	if err != nil {
		unix.Close(p[1])
		return 0, err
	}
	sv, err := spawnOn(env, []string{svscan, dir}, [3]int{null, p[1], p[1]})
	unix.Close(p[1])
	if err == nil {
		wait(sv)
	}
	ws := wait(pt)
	if err != nil {
		return 0, err
	}
	return ws.ExitStatus(), nil
}

// glob expands dir/*suffix as the shell does for svscanboot: sorted
// matches, no names starting with a dot.
func glob(dir, suffix string) []string {
	names, _ := filepath.Glob(filepath.Join(dir, "*") + suffix)
	out := names[:0]
	for _, p := range names {
		if strings.HasPrefix(filepath.Base(strings.TrimSuffix(p, suffix)), ".") {
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func spawnOn(env, argv []string, fds [3]int) (int, error) {
	prog, err := LookPath(env, argv[0])
	if err == nil {
		// The name alone as argv[0], as the shell's svscanboot passes it
		// (ps shows "readproctitle service errors: ..."), even when the
		// program is given by path.
		args := append([]string{filepath.Base(argv[0])}, argv[1:]...)
		var pid int
		pid, err = syscall.ForkExec(prog, args, &syscall.ProcAttr{
			Env:   env,
			Files: []uintptr{uintptr(fds[0]), uintptr(fds[1]), uintptr(fds[2])},
		})
		if err == nil {
			return pid, nil
		}
	}
	return 0, &fs.PathError{Op: "run", Path: argv[0], Err: err}
}

func wait(pid int) syscall.WaitStatus {
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			return ws
		}
	}
}
