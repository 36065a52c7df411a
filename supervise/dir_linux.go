package supervise

import "golang.org/x/sys/unix"

// openDir opens dir to work relative to it, as daemontools' chdir does. On
// Linux O_PATH needs the same permission as chdir (search on the path) and
// not read permission on dir itself.
func openDir(dir string) (int, error) {
	return openat(unix.AT_FDCWD, dir, unix.O_PATH|unix.O_DIRECTORY, 0)
}
