package supervise

import (
	"bytes"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// EnvVar is one change envdir makes: set Name to Value, or unset it.
type EnvVar struct {
	Name  string
	Value string
	Unset bool
}

// ReadEnvDir reads dir as envdir does and returns the changes in the order
// the directory lists its files (which decides the order of the child's
// environment, as in daemontools). For each file whose name does not start
// with a dot:
//
//   - an empty file (0 bytes) unsets the variable;
//   - otherwise the value is the first line, without its newline, with
//     trailing spaces and tabs removed and each NUL turned into a newline.
//     A file holding just a newline sets the variable to "".
//
// Errors: {switch to directory, DIR}, {read directory, DIR}, {read,
// DIR/NAME} (a subdirectory is EISDIR). A dangling symlink is skipped, where
// daemontools 0.76 reuses the previous file's value.
func ReadEnvDir(dir string) ([]EnvVar, error) {
	dfd, err := openDir(dir)
	if err != nil {
		return nil, &fs.PathError{Op: "switch to directory", Path: dir, Err: err}
	}
	defer unix.Close(dfd)
	fd, err := openat(dfd, ".", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "read directory", Path: dir, Err: err}
	}
	d := os.NewFile(uintptr(fd), dir)
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: "read directory", Path: dir, Err: err}
	}

	var out []EnvVar
	for _, name := range names {
		if name[0] == '.' {
			continue
		}
		b, err := readFile(dfd, name)
		if err == unix.ENOENT {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: dir + "/" + name, Err: err}
		}
		out = append(out, ParseEnvFile(name, b))
	}
	return out, nil
}

// ParseEnvFile applies envdir's rules to the content b of file name.
func ParseEnvFile(name string, b []byte) EnvVar {
	if len(b) == 0 {
		return EnvVar{Name: name, Unset: true}
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimRight(b, " \t")
	v := []byte(string(b))
	for i, c := range v {
		if c == 0 {
			v[i] = '\n'
		}
	}
	return EnvVar{Name: name, Value: string(v)}
}

// ApplyEnv returns env with vars applied in order, as pathexec_env does.
func ApplyEnv(env []string, vars []EnvVar) []string {
	for _, v := range vars {
		env = SetEnv(env, v.Name, v.Value, v.Unset)
	}
	return env
}

// EnvDir is envdir: it applies dir's variables to env and executes argv as
// [Exec] does. It returns only on failure.
func EnvDir(dir string, argv, env, search []string) error {
	vars, err := ReadEnvDir(dir)
	if err != nil {
		return err
	}
	return Exec(argv, ApplyEnv(env, vars), search)
}

// readFile reads a whole file relative to dfd.
func readFile(dfd int, name string) ([]byte, error) {
	fd, err := openat(dfd, name, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	b, err := io.ReadAll(f)
	if pe, ok := err.(*fs.PathError); ok {
		err = pe.Err
	}
	return b, err
}
