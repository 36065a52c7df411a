package supervise

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Account is the part of a passwd entry that setuidgid and envuidgid use.
type Account struct {
	Name     string
	UID, GID int
}

// ErrUnknownAccount reports an account that getpwnam would not find.
var ErrUnknownAccount = errors.New("unknown account")

// passwdFile is the local account database.
const passwdFile = "/etc/passwd"

// getentPaths are tried, in order, for accounts not in passwdFile.
var getentPaths = []string{"/usr/bin/getent", "/bin/getent"}

// LookupAccount finds name as getpwnam does: /etc/passwd first, then, for
// accounts from other sources (LDAP, systemd-userdb), getent passwd. It
// does not link the C library's resolver: that would double the resident
// memory of every long-running program in the binary.
func LookupAccount(name string) (Account, error) {
	if name == "" {
		return Account{}, ErrUnknownAccount
	}
	if f, err := os.Open(passwdFile); err == nil {
		a, found, err := findAccount(f, name)
		f.Close()
		if err != nil {
			return Account{}, err
		}
		if found {
			return a, nil
		}
	}
	for _, g := range getentPaths {
		if unix.Access(g, unix.X_OK) != nil {
			continue
		}
		out, err := getent(g, name)
		if err != nil {
			return Account{}, err
		}
		if a, found, _ := findAccount(bytes.NewReader(out), name); found {
			return a, nil
		}
		break
	}
	return Account{}, ErrUnknownAccount
}

// findAccount reads passwd lines from r and returns the first entry named
// name. Malformed lines are skipped, as the C library does.
func findAccount(r io.Reader, name string) (Account, bool, error) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull { // no account line is this long
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		if a, ok := parsePasswd(line, name); ok {
			return a, true, nil
		}
		if err == io.EOF {
			return Account{}, false, nil
		}
		if err != nil {
			return Account{}, false, err
		}
	}
}

// parsePasswd reads "name:pw:uid:gid:..." and reports whether it is name's
// entry with numeric ids.
func parsePasswd(line []byte, name string) (Account, bool) {
	line = bytes.TrimRight(line, "\n")
	f := bytes.SplitN(line, []byte{':'}, 5)
	if len(f) < 4 || string(f[0]) != name {
		return Account{}, false
	}
	uid, err1 := strconv.ParseUint(string(f[2]), 10, 32)
	gid, err2 := strconv.ParseUint(string(f[3]), 10, 32)
	if err1 != nil || err2 != nil {
		return Account{}, false
	}
	return Account{Name: name, UID: int(uid), GID: int(gid)}, true
}

// getent runs "getent passwd name" and returns its output; a non-zero exit
// (2: not found) gives empty output.
func getent(prog, name string) ([]byte, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, err
	}
	pid, err := syscall.ForkExec(prog, []string{"getent", "passwd", name}, &syscall.ProcAttr{
		Env:   []string{"PATH=" + defaultPath},
		Files: []uintptr{uintptr(null), uintptr(p[1]), uintptr(null)},
	})
	unix.Close(p[1])
	unix.Close(null)
	if err != nil {
		unix.Close(p[0])
		return nil, err
	}
	f := os.NewFile(uintptr(p[0]), "getent")
	out, rerr := io.ReadAll(io.LimitReader(f, 1<<16))
	f.Close()
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			break
		}
	}
	return out, rerr
}

// SetUIDGID is setuidgid: it drops supplementary groups to the account's
// primary group (setgroups with that one gid, as daemontools' prot_gid
// does; initgroups is not called), sets the gid and the uid, and executes
// argv as [Exec] does. It returns only on failure: [ErrUnknownAccount],
// {setgid, ""}/{setuid, ""} path errors, or the exec error.
func SetUIDGID(account string, argv, env, search []string) error {
	a, err := LookupAccount(account)
	if err != nil {
		return err
	}
	if err := syscall.Setgroups([]int{a.GID}); err != nil {
		return &os.SyscallError{Syscall: "setgid", Err: err}
	}
	if err := syscall.Setgid(a.GID); err != nil {
		return &os.SyscallError{Syscall: "setgid", Err: err}
	}
	if err := syscall.Setuid(a.UID); err != nil {
		return &os.SyscallError{Syscall: "setuid", Err: err}
	}
	return Exec(argv, env, search)
}

// EnvUIDGID is envuidgid: it sets UID and GID to the account's numeric ids
// in the environment and executes argv as [Exec] does. It returns only on
// failure.
func EnvUIDGID(account string, argv, env, search []string) error {
	a, err := LookupAccount(account)
	if err != nil {
		return err
	}
	// GID first, as envuidgid.c does: the order shows in the environment.
	env = SetEnv(env, "GID", strconv.Itoa(a.GID), false)
	env = SetEnv(env, "UID", strconv.Itoa(a.UID), false)
	return Exec(argv, env, search)
}
