package query

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// fileKind says what a file of a logdir is, in the order a logdir's lines
// were written: rotate owns the layout.
type fileKind = rotate.FileKind

const (
	kindArchive   = rotate.KindArchive
	kindPrevious  = rotate.KindPrevious
	kindProcessed = rotate.KindProcessed
	kindCurrent   = rotate.KindCurrent
)

// logFile is one file of a logdir that may hold lines.
type logFile struct {
	name     string
	kind     fileKind
	stamp    tai64.Time // archives: the name's stamp, when the file was finished
	comp     rotate.Compression
	f        *fdFile // open once the file is selected
	size     int64   // bytes to read: the size when the logdir was listed
	dev, ino uint64
}

// hasStamp reports whether the file's name bounds its lines from above.
func (lf *logFile) hasStamp() bool { return lf.kind == kindArchive }

func (lf *logFile) close() {
	if lf.f != nil {
		lf.f.Close()
		lf.f = nil
	}
}

// maxListTries bounds how often a listing is retried when the logdir
// changes while it is being opened (a rotation in the middle).
const maxListTries = 20

// listing is the files of a logdir that matter to a query, in the order
// their lines were written (see [rotate.Layout]), one per archive.
type listing []rotate.File

func (l listing) equal(m listing) bool { return slices.Equal(l, m) }

// holdsLines reports whether the listing is a logdir's: current, previous
// or an archive (processed alone is not enough, as before).
func (l listing) holdsLines() bool {
	for _, f := range l {
		if f.Kind != kindProcessed {
			return true
		}
	}
	return false
}

// parseListing reads the names in raw, the directory entries of a logdir
// as getdents(2) returns them. Where the same archive is there both plain
// and compressed (a compressor is running), it keeps the plain one: it is
// complete and can be searched.
func parseListing(raw []byte) listing {
	_, _, names := unix.ParseDirent(raw, -1, nil)
	files := rotate.Layout(names)
	out := files[:0]
	for i := range files {
		if i > 0 && files[i-1].Twin(&files[i]) {
			continue // Layout puts the plain one first
		}
		out = append(out, files[i])
	}
	return out
}

// readDir appends to dst the entries of the directory open at fd, from its
// offset to its end, as getdents(2) returns them.
func readDir(fd int, dst []byte) ([]byte, error) {
	for {
		if cap(dst)-len(dst) < dirBufSize/2 {
			dst = slices.Grow(dst, max(dirBufSize, cap(dst)))
		}
		n, err := unix.ReadDirent(fd, dst[len(dst):cap(dst)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return dst, err
		}
		if n <= 0 {
			return dst, nil
		}
		dst = dst[:len(dst)+n]
	}
}

// dirBufSize is the first getdents buffer: a logdir of 120 archives takes
// 6 KB.
const dirBufSize = 8 << 10

// openLogdir lists dir and opens the files that may hold lines at or after
// since (every file if since is zero), retrying while a rotation changes
// the listing under it. Holding the files open makes the set a snapshot:
// once open, a file renamed or unlinked by multilog can still be read.
//
// The files are returned in the order their lines were written. Files that
// are the same inode (multilog links before it unlinks) appear once.
//
// A file that is not a regular file (a symbolic link, a FIFO, a directory)
// is not opened, and one that cannot be opened is left out: report, if
// not nil, is given a [*SkipError] or an [*OpError] for each, once the
// listing is final. With follow, an empty directory is a logdir whose
// first file has not been written yet.
func openLogdir(dir string, since tai64.Time, follow bool, report func(error)) ([]*logFile, error) {
	for try := 0; ; try++ {
		files, problems, changed, err := tryOpenLogdir(dir, since, follow)
		if err == nil && !changed {
			if report != nil {
				for _, p := range problems {
					report(p)
				}
			}
			return files, nil
		}
		for _, lf := range files {
			lf.close()
		}
		if err != nil && (!errors.Is(err, fs.ErrNotExist) || try >= maxListTries) {
			return nil, err
		}
		if err == nil && try >= maxListTries {
			return nil, &OpError{Op: "list", Path: dir, Err: errors.New("logdir keeps changing")}
		}
	}
}

// tryOpenLogdir lists dir, opens the files, and lists it again; changed
// says the two listings differ. The files are opened relative to the
// directory: one name to look up each, not the whole path.
func tryOpenLogdir(dir string, since tai64.Time, follow bool) (files []*logFile, problems []error, changed bool, err error) {
	dfd, err := openFD(dir, unix.O_DIRECTORY)
	if err != nil {
		return nil, nil, false, &OpError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(dfd)
	raw, err := readDir(dfd, nil)
	if err != nil {
		return nil, nil, false, &OpError{Op: "read", Path: dir, Err: err}
	}
	l := parseListing(raw)
	if !l.holdsLines() && !follow {
		return nil, nil, false, &OpError{Op: "open", Path: dir, Err: errors.New("not a logdir: no current and no archives")}
	}
	// open reports whether lf is open or deliberately left out (skipped,
	// or unreadable and reported); a file gone since the listing is a
	// rotation under us.
	open := func(lf *logFile) (gone bool) {
		err := lf.open(dfd, dir)
		switch {
		case err == nil:
			return false
		case errors.Is(err, fs.ErrNotExist):
			return true
		}
		problems = append(problems, err)
		return false
	}
	for _, f := range l {
		lf := &logFile{name: f.Name, kind: f.Kind, stamp: f.Archive.Stamp, comp: f.Archive.Compression}
		if f.Kind == kindArchive && !isZero(since) && f.Archive.Stamp.Before(since) {
			files = append(files, lf) // not opened; kept for inode checks
			continue
		}
		if open(lf) {
			return files, nil, true, nil
		}
		files = append(files, lf)
	}
	// Unchanged entries are the same bytes; changed ones may still be the
	// same listing (a state file rewritten).
	_, err = unix.Seek(dfd, 0, io.SeekStart)
	raw2 := make([]byte, 0, len(raw)+dirBufSize/2)
	if err == nil {
		raw2, err = readDir(dfd, raw2)
	}
	if err != nil {
		return files, nil, false, &OpError{Op: "read", Path: dir, Err: err}
	}
	if !bytes.Equal(raw, raw2) {
		if m := parseListing(raw2); !l.equal(m) {
			return files, nil, true, nil
		}
	}
	return dedupe(dfd, files), problems, false, nil
}

// openFD opens path read-only, retrying on EINTR.
func openFD(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// open opens the file in the logdir open at dfd (path dir) and records its
// size and identity. It opens with openat(2) and fstat(2) directly: an
// os.File would cost a fcntl and a try at registering with the poller on
// each open, and a query may open a hundred archives to read one page of
// each.
//
// The logdir may belong to an account that root (running a query or
// ship) must not trust: a name there can be a symbolic link to a file
// that account may not read, or a FIFO that blocks an open or a read
// forever. So the name is opened without following a link (O_NOFOLLOW,
// relative to the logdir) and without waiting (O_NONBLOCK: a FIFO with no
// writer opens at once), and anything that fstat does not call a regular
// file is closed unread: a [*SkipError]. O_NONBLOCK is left set: Linux
// ignores it for regular files (read(2)), and clearing it would cost a
// fcntl per file.
func (lf *logFile) open(dfd int, dir string) error {
	var fd int
	var err error
	for {
		fd, err = unix.Openat(dfd, lf.name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if err != unix.EINTR {
			break
		}
	}
	path := filepath.Join(dir, lf.name)
	switch {
	case err == unix.ELOOP:
		return &SkipError{Path: path, Reason: "a symbolic link, not followed"}
	case err == unix.ENXIO:
		return &SkipError{Path: path, Reason: "not a regular file"} // a socket
	case err != nil:
		return &OpError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return &OpError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return &SkipError{Path: path, Reason: "not a regular file"}
	}
	lf.f = &fdFile{fd: fd}
	lf.size = st.Size
	lf.dev, lf.ino = uint64(st.Dev), uint64(st.Ino)
	if lf.kind == kindProcessed && !rotate.FinishedMode(st.Mode) {
		// The processor is still writing it; previous holds the lines.
		lf.close()
	}
	return nil
}

// dedupe drops the files a query must not read: those left unopened
// (archives before the range, files skipped), and those whose lines are
// in another file too, as [rotate.Unread] decides. dfd is the logdir.
func dedupe(dfd int, files []*logFile) []*logFile {
	copies := make([]rotate.Copy, len(files))
	for i, lf := range files {
		copies[i] = rotate.Copy{Kind: lf.kind, Open: lf.f != nil, Dev: lf.dev, Ino: lf.ino}
	}
	unread := rotate.Unread(copies, func(i int) (dev, ino uint64, ok bool) {
		var st unix.Stat_t
		if unix.Fstatat(dfd, files[i].name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			return 0, 0, false
		}
		return uint64(st.Dev), uint64(st.Ino), true
	})
	out := files[:0]
	for i, lf := range files {
		if unread[i] {
			lf.close()
		}
		if lf.f != nil {
			out = append(out, lf)
		}
	}
	return out
}

// OpError is a failed operation on a logdir, one of its files, or (for
// mlog ship) a collector: the toolkit's one error type. It reads well
// after "unable to ".
type OpError = fault.Error

// SkipError is a file of a logdir that is not read because it is not a
// regular file: a symbolic link (never followed), a FIFO, a directory.
// The query goes on without it.
type SkipError struct {
	Path   string
	Reason string
}

func (e *SkipError) Error() string { return "skipped " + e.Path + ": " + e.Reason }

// fdFile is a file read only with pread(2).
type fdFile struct {
	fd int
}

// ReadAt implements [io.ReaderAt].
func (f *fdFile) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		m, err := syscall.Pread(f.fd, b[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err // the caller names the file
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// Size returns the file's size now.
func (f *fdFile) Size() (int64, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(f.fd, &st); err != nil {
		return 0, err
	}
	return st.Size, nil
}

// Close closes the descriptor.
func (f *fdFile) Close() error { return syscall.Close(f.fd) }
