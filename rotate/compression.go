package rotate

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"syscall"

	"github.com/mlog/mlog/internal/fault"
)

// tempPrefix starts the names of files being written by the compressor.
// They do not start with '@', so multilog's pruning does not count them.
const tempPrefix = "tmp."

// errNotArchive: an archive-named entry that is not a plain file with one
// link (the logdir's owner may make it a symlink, a FIFO, a hard link to
// someone else's file); it is never opened for reading or compressed.
var errNotArchive = errors.New("not a regular file")

// compression is one archive being compressed: multilog opens both files
// relative to the logdir and hands them to the helper as its stdin and
// stdout, so the helper, root's or not, resolves no name in a directory
// that someone else may control.
type compression struct {
	q   queued
	src *os.File // the plain archive, opened without following links
	tmp *os.File // tempPrefix+name+ext, created exclusively
	p   *os.Process
}

// close closes both files. It must come before the archive's release:
// a pruned or replaced archive's blocks are freed only at the last close.
func (c *compression) close() {
	if c.src != nil {
		c.src.Close()
		c.src = nil
	}
	if c.tmp != nil {
		c.tmp.Close()
		c.tmp = nil
	}
}

// openArchive opens a plain archive for reading without following a
// symlink and without blocking on a FIFO, and only if it is a regular file
// with one link ([errNotArchive] otherwise).
func (d *Dir) openArchive(name string) (*os.File, error) {
	fd, err := openat(int(d.dirf.Fd()), name, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		if err == syscall.ELOOP || err == syscall.ENXIO { // a symlink; a socket
			err = errNotArchive
		}
		return nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Nlink != 1 {
		syscall.Close(fd)
		return nil, errNotArchive
	}
	return os.NewFile(uintptr(fd), d.name+"/"+name), nil
}

// createTemp creates name afresh and exclusively: whatever has the name
// (a stale temporary, or a link the owner put there to have root write
// through it) is unlinked first, never opened, and O_EXCL refuses to follow
// a link that appears meanwhile.
func (d *Dir) createTemp(name string) (*os.File, error) {
	d.root.Remove(name)
	fd, err := openat(int(d.dirf.Fd()), name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0600)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), d.name+"/"+name), nil
}

func openat(dirfd int, name string, flags int, mode uint32) (int, error) {
	for {
		fd, err := syscall.Openat(dirfd, name, flags, mode)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// exists reports whether name is in the logdir (as a link itself, not
// followed). Errors other than "no such file" count as present.
func (d *Dir) exists(name string) bool {
	_, err := d.root.Lstat(name)
	return !isNotExist(err)
}

// settle ends q's turn in the queue without a compressed file.
func (f *finisher) settle(q queued) {
	f.mu.Lock()
	f.inflight, f.child = queued{}, nil
	f.mu.Unlock()
	f.release(q.fresh)
}

// start begins compressing q. It returns nil and no error when there is
// nothing to compress: the archive is gone (pruned), is not a regular
// file, or already holds compressed bytes (see alreadyCompressed).
func (f *finisher) start(q queued) (*compression, error) {
	d := f.d
	c := &compression{q: q}
	src, err := d.openArchive(q.name)
	if err == syscall.ENOENT || err == errNotArchive {
		f.settle(q)
		return nil, nil
	}
	if err != nil {
		return c, unwrapErrno(err)
	}
	c.src = src
	if d.cfg.Processor != "" {
		if ext, known := alreadyCompressed(src); known {
			src.Close()
			f.adopt(q, ext)
			return nil, nil
		}
	}
	if len(d.cfg.CompressCommand) == 0 {
		return c, errors.New("no compressor configured")
	}
	tmp := tempPrefix + q.name + d.cfg.Compression.Ext()
	if c.tmp, err = d.createTemp(tmp); err != nil {
		return c, &fs.PathError{Op: "create", Path: d.name + "/" + tmp, Err: unwrapErrno(err)}
	}
	argv := append(append([]string(nil), d.cfg.CompressCommand...), d.cfg.Compression.String())
	// The compressor dies with multilog. Left running after a kill -9, it
	// could go on writing its temporary file after the next multilog had
	// named it an archive. (A processor is left alone, as daemontools
	// does: the next start's recovery does not reuse its files.) It runs
	// in the logdir, as a processor does, but opens nothing there.
	p, err := startProcess(argv, d.name, []*os.File{c.src, c.tmp, d.cfg.Stderr}, &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL})
	if err != nil {
		return c, &fs.PathError{Op: "run compressor", Path: argv[0], Err: unwrapErrno(err)}
	}
	c.p = p
	f.mu.Lock()
	f.child = p
	f.mu.Unlock()
	return c, nil
}

// alreadyCompressed reads the first bytes of a processor's output: a
// processor that compresses (!gzip) already did the job, and compressing
// again would store gzip inside zstd, which readers would then print as
// lines. gzip and zstd output is named for what it is (.s.gz, .s.zst); other
// compressed formats are left as the processor wrote them.
func alreadyCompressed(f *os.File) (ext string, known bool) {
	var b [6]byte
	n, _ := f.ReadAt(b[:], 0)
	c, other := Sniff(b[:n])
	switch {
	case c != None:
		return c.Ext(), true
	case other != "":
		return "", true
	}
	return "", false
}

// Sniff tells from a file's first 6 bytes (or fewer, if the file is
// shorter) whether it holds compressed data: c is Gzip or Zstd for the
// formats mlog reads, and other names a format it does not read (xz,
// bzip2, lz4), as a processor such as !xz leaves it under a plain name.
func Sniff(h []byte) (c Compression, other string) {
	switch {
	case bytes.HasPrefix(h, []byte{0x1f, 0x8b}): // gzip
		return Gzip, ""
	case bytes.HasPrefix(h, []byte{0x28, 0xb5, 0x2f, 0xfd}): // zstd frame
		return Zstd, ""
	case bytes.HasPrefix(h, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return None, "xz"
	case bytes.HasPrefix(h, []byte("BZh")):
		return None, "bzip2"
	case bytes.HasPrefix(h, []byte{0x04, 0x22, 0x4d, 0x18}):
		return None, "lz4"
	}
	return None, ""
}

// adopt names a processor's already compressed archive for its format
// (nothing to do when ext is empty).
func (f *finisher) adopt(q queued, ext string) {
	d := f.d
	if ext != "" {
		d.pruneMu.Lock()
		err := d.rename(q.name, q.name+ext)
		d.pruneMu.Unlock()
		if err != nil && err != syscall.ENOENT {
			d.cfg.Warn(d.renameErr(q.name, q.name+ext, unwrapErrno(err)))
		}
		d.syncDir()
	}
	f.settle(q)
}

// compressed puts a finished compression in place: the compressed file
// takes the archive's name plus its suffix, and the plain file goes. If
// pruning took the plain archive meanwhile (and killed the helper), the
// compressed copy goes too, silently. It reports whether the archive was
// dealt with (false: the compression failed).
func (f *finisher) compressed(r compressResult) bool {
	d, c := f.d, r.c
	defer c.close()
	tmp := tempPrefix + c.q.name + d.cfg.Compression.Ext()
	final := c.q.name + d.cfg.Compression.Ext()
	f.mu.Lock()
	f.inflight, f.child = queued{}, nil
	f.mu.Unlock()

	// Under pruneMu, so that the plain archive is not pruned between the
	// check and the swap, and prune never counts both names.
	d.pruneMu.Lock()
	if !d.exists(c.q.name) {
		c.close()
		d.root.Remove(tmp)
		d.pruneMu.Unlock()
		f.release(c.q.fresh)
		return true
	}
	err := r.err
	if err == nil {
		if err = c.tmp.Chmod(0744); err != nil {
			err = &fs.PathError{Op: "set mode of", Path: d.name + "/" + tmp, Err: unwrapErrno(err)}
		}
	}
	if err == nil {
		if err = d.rename(tmp, final); err != nil {
			err = d.renameErr(tmp, final, unwrapErrno(err))
		}
	}
	if err == nil {
		if rerr := d.root.Remove(c.q.name); rerr != nil && !isNotExist(rerr) {
			// Both names stay; the next start's recovery removes
			// the plain one.
			d.cfg.Warn(d.pathErr("remove", c.q.name, unwrapErrno(rerr)))
		}
	}
	d.pruneMu.Unlock()
	c.close()
	if err != nil {
		return f.failed(c, err)
	}
	d.syncDir()
	f.release(c.q.fresh)
	d.prune()
	return true
}

// failed reports a compression that could not be done: the helper could
// not start or failed (its own message says why), or the temporary could
// not be made. Like every failed step, it warns and pauses; then the
// archive waits at the back of the queue (no longer holding rotations up)
// and is tried again later, or, once stop has begun, at the next start. It
// returns false.
func (f *finisher) failed(c *compression, err error) bool {
	d := f.d
	c.close()
	d.root.Remove(tempPrefix + c.q.name + d.cfg.Compression.Ext())
	f.mu.Lock()
	f.inflight, f.child = queued{}, nil
	draining := f.draining
	f.mu.Unlock()
	var fe *fault.Error
	if pe := (*fs.PathError)(nil); !errors.As(err, &pe) && !errors.As(err, &fe) {
		err = d.pathErr("compress", c.q.name, err)
	}
	d.cfg.Warn(err)
	f.release(c.q.fresh)
	if draining {
		return false
	}
	d.cfg.Sleep(pauseDelay)
	f.compress(c.q.name, false)
	return false
}
