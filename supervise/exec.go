package supervise

import (
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultPath is the search path when the environment has no PATH, as in
// djb's pathexec_run.
const defaultPath = "/bin:/usr/bin"

// Getenv returns the value of key in env ("KEY=value" entries; the last
// one wins, as in the C library), or "" and false.
func Getenv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		e := env[i]
		if len(e) > len(key) && e[len(key)] == '=' && e[:len(key)] == key {
			return e[len(key)+1:], true
		}
	}
	return "", false
}

// searchPath returns the candidate file names for program as pathexec_run
// tries them: the name itself if it contains a slash, else each entry of
// PATH (an empty entry means the current directory) followed by the name.
func searchPath(env []string, program string) []string {
	if strings.IndexByte(program, '/') >= 0 {
		return []string{program}
	}
	path, ok := Getenv(env, "PATH")
	if !ok {
		path = defaultPath
	}
	var c []string
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		c = append(c, dir+"/"+program)
	}
	return c
}

// LookPath finds program as a fork-then-exec caller must: the first
// candidate on env's PATH that is an executable regular file. It returns
// ENOENT when there is none (or the error of a name with a slash).
func LookPath(env []string, program string) (string, error) {
	c := searchPath(env, program)
	if len(c) == 1 && strings.IndexByte(program, '/') >= 0 {
		return c[0], nil
	}
	for _, p := range c {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
	}
	return "", unix.ENOENT
}

// Exec replaces the process with argv[0] and environment env, looked up on
// the PATH of search as djb's pathexec_run does: try each candidate in turn,
// go on past ENOENT, EACCES, EPERM and EISDIR (remembering the last of
// those), stop at any other error. It returns only on failure.
//
// search is the environment the program was started with: in daemontools a
// PATH set by envdir changes the child's environment but not where the
// child is looked for.
func Exec(argv, env, search []string) error {
	var saved error = unix.ENOENT
	for _, p := range searchPath(search, argv[0]) {
		err := syscall.Exec(p, argv, env)
		if err == syscall.ENOENT {
			continue
		}
		saved = err
		if err != syscall.EACCES && err != syscall.EPERM && err != syscall.EISDIR {
			return err
		}
	}
	return saved
}

// SetEnv returns env with key set to value (or removed when unset is
// true) exactly as djb's pathexec_env and pathexec do, so that a child's
// environment lists its variables in daemontools' order: the first entry
// for key, if any, is replaced by the last entry, and then "key=value" is
// appended. Later duplicates of key are left alone. It does not modify env's
// backing array.
func SetEnv(env []string, key, value string, unset bool) []string {
	out := make([]string, len(env), len(env)+1)
	copy(out, env)
	for i, e := range out {
		if len(e) > len(key) && e[len(key)] == '=' && e[:len(key)] == key {
			last := len(out) - 1
			out[i] = out[last]
			out = out[:last]
			break
		}
	}
	if !unset {
		out = append(out, key+"="+value)
	}
	return out
}
