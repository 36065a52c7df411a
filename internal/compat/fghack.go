package compat

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

// fghackPipes is how many copies of the pipe's write end the child gets:
// the pipe's own descriptor and the 30 dups of daemontools 0.76's fghack.c.
const fghackPipes = 31

// fghackMain is fghack: fghack child... It runs child with 31 copies of the
// write end of a pipe on its lowest free descriptors, reads the pipe until
// every copy is closed (by child and by whatever child forked off into the
// background, which inherits them), then waits for child and exits with its
// exit code. So a program that insists on putting itself in the
// background stays in the foreground for supervise, as long as it does not
// close descriptors it did not open.
func fghackMain(t *Tool, args []string) int {
	if len(args) < 1 {
		return t.Usage("child")
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return t.Fatal(&fault.Error{Op: "create pipe", Err: err})
	}
	r, w := p[0], p[1]
	env := os.Environ()
	attr := &syscall.ProcAttr{Env: env, Files: fghackFiles(uintptr(w))}
	pid, err := fghackStart(args, attr)
	syscall.Close(w)
	if err != nil {
		// In daemontools the child prints this and exits 111; fghack then
		// sees the pipe close and exits with the child's 111.
		return t.Fatal(&fault.Error{Op: "run", Path: args[0], Err: err})
	}
	var b [1]byte
	for {
		n, err := syscall.Read(r, b[:])
		if err == syscall.EINTR || n == 1 {
			continue
		}
		break
	}
	var ws syscall.WaitStatus
	for {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		t.line("fatal", "wait failed: "+fault.Reason(err))
		return ExitTemporary
	}
	if ws.Signaled() {
		t.line("fatal", "child crashed")
		return ExitTemporary
	}
	return ws.ExitStatus()
}

// fghackStart forks and runs argv[0] looked up as djb's pathexec_run does
// (see [supervise.Candidates]), and returns the child's pid.
func fghackStart(argv []string, attr *syscall.ProcAttr) (int, error) {
	var saved error = syscall.ENOENT
	for _, path := range supervise.Candidates(attr.Env, argv[0]) {
		pid, err := syscall.ForkExec(path, argv, attr)
		if err == nil {
			return pid, nil
		}
		if err == syscall.ENOENT {
			continue
		}
		saved = err
		if err != syscall.EACCES && err != syscall.EPERM && err != syscall.EISDIR {
			break
		}
	}
	return 0, saved
}

// fghackFiles returns the child's descriptor table: 0, 1 and 2 as they
// are, then w on each of the lowest fghackPipes descriptors that this
// process did not inherit open across exec. In fghack.c the pipe and its
// dups take the lowest free numbers, and a descriptor inherited from
// fghack's caller stays where it is; ours are all close-on-exec, so their
// numbers count as free.
func fghackFiles(w uintptr) []uintptr {
	files := []uintptr{0, 1, 2}
	for fd, placed := 3, 0; placed < fghackPipes; fd++ {
		flags, err := fcntlGetfd(fd)
		if err == nil && flags&syscall.FD_CLOEXEC == 0 {
			files = append(files, uintptr(fd)) // inherited: keep it
			continue
		}
		files = append(files, w)
		placed++
	}
	return files
}

// fcntlGetfd is fcntl(fd, F_GETFD): the descriptor's flags, or an error
// when fd is not open.
func fcntlGetfd(fd int) (int, error) {
	return unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
}
