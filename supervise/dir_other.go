//go:build !linux

package supervise

import "golang.org/x/sys/unix"

// openDir opens dir to work relative to it, as daemontools' chdir does.
func openDir(dir string) (int, error) {
	return openat(unix.AT_FDCWD, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
}
