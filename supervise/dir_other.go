//go:build !linux

package supervise

import "golang.org/x/sys/unix"

// oPath opens a directory only to work relative to it.
const oPath = unix.O_RDONLY

// openDir opens dir to work relative to it, as daemontools' chdir does.
func openDir(dir string) (int, error) {
	return openat(unix.AT_FDCWD, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
}

// readSuperviseLink returns the target and the owner of the symbolic link
// supervise in dfd. Without O_PATH the two are read by name, one after
// the other.
func readSuperviseLink(dfd int) (string, uint32, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, "supervise", &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return "", 0, err
	}
	if uint32(st.Mode)&unix.S_IFMT != unix.S_IFLNK {
		return "", 0, unix.ENOTDIR
	}
	target, err := readlinkAt(dfd, "supervise")
	return target, st.Uid, err
}
