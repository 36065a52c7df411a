package supervise

import (
	"errors"

	"golang.org/x/sys/unix"
)

// The files of supervise/ are opened by name relative to a descriptor for
// the directory, never through a symbolic link, without blocking, and only
// when they are the kind of file supervise keeps there: whoever owns a
// service directory may have planted anything in it, and root supervises
// directories that users own. These errors say what was found instead.
var (
	// ErrSymlink reports a symbolic link where supervise keeps a file.
	ErrSymlink = errors.New("symbolic link, not followed")
	// ErrNotRegular reports that lock or status is not a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrNotFIFO reports that control or ok is not a named pipe.
	ErrNotFIFO = errors.New("not a named pipe")
)

// ErrUntrustedLink reports a supervise/ that is a symbolic link made by
// another account (neither root nor supervise's own) to a directory that
// account does not own. Following it would let the owner of a service
// directory make root create and replace files named lock, control, ok and
// status in any directory (supervise -> /var/lib/dpkg replaces dpkg's
// status file).
var ErrUntrustedLink = errors.New("symbolic link of another account to a directory that account does not own")

// kindError returns the error for a file of mode m where a file of type
// want (S_IFREG or S_IFIFO) belongs.
func kindError(m uint32, want uint32) error {
	switch {
	case m&unix.S_IFMT == unix.S_IFLNK:
		return ErrSymlink
	case want == unix.S_IFIFO:
		return ErrNotFIFO
	}
	return ErrNotRegular
}

// kindName names the kind of file of mode m, for messages.
func kindName(m uint32) string {
	switch m & unix.S_IFMT {
	case unix.S_IFLNK:
		return "a symbolic link"
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFIFO:
		return "a named pipe"
	case unix.S_IFSOCK:
		return "a socket"
	}
	return "a device"
}

// openIn opens name in the directory dfd as a file of type typ (S_IFREG or
// S_IFIFO): never through a symbolic link (O_NOFOLLOW), never blocking on a
// FIFO (O_NONBLOCK: the caller clears it where it wants blocking writes),
// and only after checking the type of what it opened (fstat, so that a
// file swapped in after a look is still caught). A file of another kind
// already there is not opened at all, so no device is ever opened.
func openIn(dfd int, name string, flags int, mode uint32, typ uint32) (int, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && uint32(st.Mode)&unix.S_IFMT != typ {
		return -1, kindError(uint32(st.Mode), typ)
	}
	fd, err := openat(dfd, name, flags|unix.O_NOFOLLOW|unix.O_NONBLOCK, mode)
	if err == unix.ELOOP {
		return -1, ErrSymlink
	}
	if err != nil {
		return -1, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if uint32(st.Mode)&unix.S_IFMT != typ {
		unix.Close(fd)
		return -1, kindError(uint32(st.Mode), typ)
	}
	return fd, nil
}

// sameFile reports whether descriptors a and b are open on the same file.
func sameFile(a, b int) bool {
	var sa, sb unix.Stat_t
	return unix.Fstat(a, &sa) == nil && unix.Fstat(b, &sb) == nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// Replaced reports that supervise replaced a file of supervise/ that was
// not a named pipe (a symbolic link, say) by a new named pipe. supervise
// does this only for control and ok, and only once it holds the lock, so
// no other supervise uses them.
type Replaced struct {
	Path string // as messages name it: DIR/supervise/control
	Was  string // "a symbolic link", "a regular file", ...
}

func (r *Replaced) Error() string {
	return "replacing " + r.Path + " with a named pipe: it was " + r.Was
}

// openSuperviseDir opens the supervise directory of the service directory
// dfd, creating it as daemontools does (0700; errors show up later).
// Every later operation on its files goes through the returned descriptor,
// so a supervise/ renamed or replaced after this call changes nothing.
//
// supervise/ may be a symbolic link: Debian's read-only service trees
// point it into /run. The link is followed, as Debian's supervise does,
// and a dangling one gets its target created (one level, 0700), as
// Debian's does. Only a link owned by root or by supervise's own account
// is trusted that far; a link of another account is followed only to a
// directory that same account owns (the rule of Linux's
// protected_symlinks), and its target is never created: otherwise the
// owner of the service directory could make root write in any directory.
// The link is read through a descriptor of its own (O_PATH|O_NOFOLLOW),
// so its owner and its target are those of one and the same link.
func openSuperviseDir(dfd int) (int, error) {
	unix.Mkdirat(dfd, "supervise", 0700) // as supervise.c: errors show up at the lock
	fd, err := openat(dfd, "supervise", oPath|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != unix.ENOTDIR && err != unix.ELOOP {
		return fd, err
	}
	target, owner, err := readSuperviseLink(dfd)
	if err != nil {
		return -1, err
	}
	trusted := owner == 0 || int(owner) == unix.Geteuid()
	// A relative target is relative to the directory holding the link:
	// the service directory, dfd.
	fd, err = openat(dfd, target, oPath|unix.O_DIRECTORY, 0)
	if err == unix.ENOENT && trusted {
		if err := unix.Mkdirat(dfd, target, 0700); err != nil && err != unix.EEXIST {
			return -1, err
		}
		fd, err = openat(dfd, target, oPath|unix.O_DIRECTORY, 0)
	}
	if err != nil {
		return -1, err
	}
	if !trusted {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || st.Uid != owner {
			unix.Close(fd)
			return -1, ErrUntrustedLink
		}
	}
	return fd, nil
}

// readlinkAt reads the target of the symbolic link name in dfd.
func readlinkAt(dfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		b := make([]byte, size)
		n, err := unix.Readlinkat(dfd, name, b)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(b[:n]), nil
		}
	}
}
