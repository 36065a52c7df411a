package supervise

import "golang.org/x/sys/unix"

// oPath opens a directory only to work relative to it.
const oPath = unix.O_PATH

// openDir opens dir to work relative to it, as daemontools' chdir does. On
// Linux O_PATH needs the same permission as chdir (search on the path) and
// not read permission on dir itself.
func openDir(dir string) (int, error) {
	return openat(unix.AT_FDCWD, dir, unix.O_PATH|unix.O_DIRECTORY, 0)
}

// readSuperviseLink returns the target and the owner of the symbolic link
// supervise in dfd, both read from one descriptor of the link itself
// (O_PATH|O_NOFOLLOW), so that they belong to the same link even if the
// name is replaced meanwhile.
func readSuperviseLink(dfd int) (string, uint32, error) {
	lfd, err := openat(dfd, "supervise", unix.O_PATH|unix.O_NOFOLLOW, 0)
	if err != nil {
		return "", 0, err
	}
	defer unix.Close(lfd)
	var st unix.Stat_t
	if err := unix.Fstat(lfd, &st); err != nil {
		return "", 0, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return "", 0, unix.ENOTDIR
	}
	target, err := readlinkAt(lfd, "")
	return target, st.Uid, err
}
