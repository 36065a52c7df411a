package rotate

import (
	"errors"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/internal/pagebuf"
	"github.com/mlog/mlog/tai64"
	"golang.org/x/sys/unix"
)

// bufSize is the write buffer of each logdir. daemontools uses 512 bytes;
// a larger buffer gives the same file contents with far fewer writes. Its
// pages go back to the kernel while the logger idles (Idle).
const bufSize = 256 << 10

// Dir is one open, locked logdir. Its methods are not safe for concurrent
// use; a background goroutine (the finisher) owns archiving, compression
// and pruning and is synchronised internally.
type Dir struct {
	name string // as written in the script: messages and paths use it
	cfg  Config

	root    *os.Root
	dirf    *os.File // the logdir itself, for fsync and listing
	lock    *os.File
	current *os.File
	// bytes counts what this logger wrote to current (with current's size
	// at Open): multilog's d->bytes, which the size rule follows. Bytes
	// someone else appends do not count, and a truncation does not reset
	// it, exactly as in daemontools. 0 <= bytes <= cfg.Size.
	bytes int64
	// appending: current's O_APPEND flag is set, as it is for every write
	// through Write; Splice clears it, since splice(2) refuses O_APPEND.
	appending bool
	// leaseRetryAt: current could not be leased (see splice.go); bytes go
	// through Write until this logger has written this many to it.
	leaseRetryAt int64
	// beforeSplice, when set (by tests), runs between Splice's seek to
	// the end and the splice itself.
	beforeSplice func()

	kicked  int64  // bytes of current already handed to writeback; <= bytes
	buf     []byte // written but not yet in current; cap bufSize
	last    byte   // the last byte written, '\n' before any
	started time.Time
	rotated int // rotations since Open

	stampMu   sync.Mutex
	lastStamp tai64.Time // archive names never go backwards

	// hi is the stamp of the last stamped line written to current (or
	// to the file current was before a rotation by size), read back
	// from current at Open: see Stamp.
	hi tai64.Time

	fin             *finisher
	pendingCompress []string // found at Open, handed to the finisher
	pruneMu         sync.Mutex
	dents, oldest   []byte // scanArchives' buffers, under pruneMu

	boot []byte // this boot's id, NUL-terminated; nil if unknown (see markBoot)
}

// pathErr names file inside the logdir the way multilog's messages do.
func (d *Dir) pathErr(op, file string, err error) error {
	return &fault.Error{Op: op, Path: d.name + "/" + file, Err: err}
}

// syncErr is a failed fsync of file in the logdir, or of the logdir
// itself when file is "": "write ./main/current to disk".
func (d *Dir) syncErr(file string, err error) error {
	p := d.name
	if file != "" {
		p += "/" + file
	}
	return &fault.Error{Op: "write", Path: p, To: "disk", Err: err}
}

// renameErr is a failed rename of from to to, both names in the logdir,
// in multilog's words: "rename current to previous in directory ./main".
func (d *Dir) renameErr(from, to string, err error) error {
	return &fault.Error{Op: "rename", Path: from, To: to, Dir: d.name, Err: err}
}

// retry runs step until it succeeds, warning and pausing after each
// failure, as every multilog step after start-up does. Nothing is skipped.
func (d *Dir) retry(step func() error) {
	for {
		err := step()
		if err == nil {
			return
		}
		d.cfg.Warn(err)
		d.cfg.Sleep(pauseDelay)
	}
}

// Open makes logdir name if it is missing (mode 0700), locks it, and
// finishes whatever a previous run left half-done, exactly as multilog's
// restart(): a current finished cleanly (mode 744) is appended to; after a
// crash, processed or previous and then current become archives (.s when
// the processor had finished, .u otherwise) and state is reset. Beyond
// daemontools, it finishes the .u files a kill left in the finisher's queue
// during this boot (see recoverUnfinished) and queues plain archives for
// compression. name is relative to the process's working directory, which
// Open never changes.
// Errors here are fatal to multilog.
func Open(name string, cfg Config) (*Dir, error) {
	cfg.fill()
	d := &Dir{name: name, cfg: cfg, buf: pagebuf.New(bufSize)[:0], last: '\n', boot: readBootID()}
	if err := d.open(); err != nil {
		d.closeFiles()
		return nil, err
	}
	d.fin = newFinisher(d)
	return d, nil
}

func (d *Dir) open() error {
	os.Mkdir(d.name, 0700)
	root, err := os.OpenRoot(d.name)
	if err != nil {
		return &fs.PathError{Op: "open directory", Path: d.name, Err: unwrapErrno(err)}
	}
	d.root = root
	if d.dirf, err = root.Open("."); err != nil {
		return &fs.PathError{Op: "open directory", Path: d.name, Err: unwrapErrno(err)}
	}
	d.lock, err = root.OpenFile("lock", os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK, 0600)
	if err == nil {
		err = flockRetryEINTR(int(d.lock.Fd()))
	}
	if err != nil {
		return &fs.PathError{Op: "lock directory", Path: d.name, Err: unwrapErrno(err)}
	}
	d.lastStamp = d.newestArchive()
	d.recoverUnfinished()

	st, err := root.Lstat("current")
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return d.pathErr("stat", "current", unwrapErrno(err))
	case err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0100 != 0:
		// Finished cleanly: carry on appending. A current at or over
		// the new size rotates on the first write.
		f, err := root.OpenFile("current", currentFlags, 0)
		if err != nil {
			return d.pathErr("append to", "current", unwrapErrno(err))
		}
		d.current, d.appending = f, true
		if err := f.Chmod(0644); err != nil {
			return d.pathErr("set mode of", "current", unwrapErrno(err))
		}
		d.bytes = st.Size()
		if d.bytes > 0 {
			// The age of a current an earlier run left is not known:
			// count it from now, or rotation by age would wait for it
			// forever (writeOut starts the clock only at a first byte).
			d.started = d.cfg.Now()
		}
		d.hi = lastStamp(f, d.bytes)
		d.recoverExtras()
		return nil
	}

	// A crash, or the first run.
	root.Remove("state")
	root.Remove("newstate")
	processedDone := false
	if st, err := root.Lstat("processed"); err == nil {
		processedDone = Finished(st.Mode())
	} else if !errors.Is(err, fs.ErrNotExist) {
		return d.pathErr("stat", "processed", unwrapErrno(err))
	}
	if processedDone {
		root.Remove("previous")
		d.finish("processed", 's')
	} else {
		root.Remove("processed")
		d.finish("previous", 'u')
	}
	d.finish("current", 'u')
	d.recoverExtras()

	f, err := root.OpenFile("state", os.O_WRONLY|os.O_TRUNC|os.O_CREATE|syscall.O_NONBLOCK, 0644)
	if err != nil {
		return d.pathErr("write to", "state", unwrapErrno(err))
	}
	f.Close()
	if d.current, err = d.createCurrent(); err != nil {
		return d.pathErr("write to", "current", unwrapErrno(err))
	}
	d.appending = true
	return nil
}

// currentFlags open current: O_APPEND as multilog has it, so that a line
// an operator appends (echo note >> current) is kept and a truncation
// (: > current, a copy-and-truncate rotation) leaves no hole of NUL bytes;
// readable, for readLast. Splice clears O_APPEND while it moves bytes (see
// splice.go).
const currentFlags = os.O_RDWR | os.O_APPEND

// createCurrent makes a new empty current: created 0600 and then set to
// 644, as multilog does, so it is never briefly readable with other bits.
func (d *Dir) createCurrent() (*os.File, error) {
	f, err := d.root.OpenFile("current", currentFlags|os.O_CREATE|syscall.O_NONBLOCK, 0600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0644); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// flockRetryEINTR takes multilog's non-blocking exclusive lock.
func flockRetryEINTR(fd int) error {
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}

// unwrapErrno strips the os layer's own op and path so the message names
// the step the way multilog does.
func unwrapErrno(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	// os.Root refuses a symbolic link that leads out of the logdir with an
	// unexported error whose words are Go's; say what happened instead.
	if err != nil && err.Error() == "path escapes from parent" {
		return ErrLinkOut
	}
	return err
}

// ErrLinkOut is the reason given for a name in the logdir that is a
// symbolic link leading out of it: rotate never follows one.
var ErrLinkOut = errors.New("symbolic link out of the logdir, not followed")

// Write appends p to the logdir's buffer; full buffers go to current under
// multilog's size rule. It never fails: a failed write is retried after a
// pause until it succeeds.
func (d *Dir) Write(p []byte) {
	if len(d.buf)+len(p) <= cap(d.buf) {
		d.buf = append(d.buf, p...)
		return
	}
	d.Flush()
	if len(p) >= bufSize/2 {
		d.writeOut(p)
		return
	}
	d.buf = append(d.buf, p...)
}

// WritePair writes a and then b, as two Writes would, with one check for
// room: it is how a stamp and its line go out.
func (d *Dir) WritePair(a, b []byte) {
	if n := len(d.buf); n+len(a)+len(b) <= cap(d.buf) {
		d.buf = d.buf[:n+len(a)+len(b)]
		copy(d.buf[n+copy(d.buf[n:], a):], b)
		return
	}
	d.Write(a)
	d.Write(b)
}

// Flush writes the buffer to current.
func (d *Dir) Flush() {
	if len(d.buf) > 0 {
		d.writeOut(d.buf)
		d.buf = d.buf[:0]
	}
}

// Idle writes the buffer out and gives its memory back to the kernel until
// the next write: for a logger whose input has gone quiet.
func (d *Dir) Idle() {
	d.Flush()
	pagebuf.Release(d.buf)
}

// Pending reports whether current or the buffer holds any bytes.
func (d *Dir) Pending() bool { return d.bytes > 0 || len(d.buf) > 0 }

// writeOut writes p to current with multilog's rule (c_write): never pass
// Size; once a write would reach the last cutWindow bytes, end it after its
// last newline and rotate after it. A line that crosses Size with no
// newline in reach is cut hard at Size and continues in the next current.
func (d *Dir) writeOut(p []byte) {
	size := d.cfg.Size
	for len(p) > 0 {
		if d.bytes >= size {
			d.rotate()
		}
		n := len(p)
		if room := size - d.bytes; int64(n) > room {
			n = int(room)
		}
		if d.bytes+int64(n) >= size-cutWindow {
			if i := lastNewline(p[:n]); i >= 0 {
				n = i + 1
			}
		}
		if d.bytes == 0 && d.cfg.MaxAge > 0 {
			d.started = d.cfg.Now()
		}
		w := d.writeCurrent(p[:n])
		d.bytes += int64(w)
		if d.bytes-d.kicked >= writebackChunk {
			d.startWriteback()
		}
		last := p[w-1]
		d.last = last
		p = p[w:]
		if d.bytes >= size-cutWindow && last == '\n' {
			d.rotate()
		}
	}
}

// writeCurrent writes at least one byte of p to current, pausing and
// retrying on errors (a full disk blocks here, and so the writer upstream).
// The write appends (O_APPEND), wherever others have moved the end.
func (d *Dir) writeCurrent(p []byte) int {
	if !d.appending {
		d.appending = setAppend(d.current, true) == nil
	}
	for {
		n, err := rawWrite(d.current, p)
		if n > 0 {
			return n
		}
		if err == nil {
			err = syscall.EIO
		}
		d.cfg.Warn(d.pathErr("write to", "current", unwrapErrno(err)))
		d.cfg.Sleep(pauseDelay)
	}
}

func lastNewline(p []byte) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '\n' {
			return i
		}
	}
	return -1
}

// Rotate flushes and, if current is not empty, archives it (multilog's
// ALRM).
func (d *Dir) Rotate() {
	d.Flush()
	if d.bytes > 0 {
		d.rotate()
	}
}

// Due reports whether current has been open longer than the MaxAge, when
// rotation by age is on, and returns when it will be due otherwise.
func (d *Dir) Due(now time.Time) (due bool, at time.Time) {
	if d.cfg.MaxAge <= 0 || !d.Pending() || d.started.IsZero() && len(d.buf) == 0 {
		return false, time.Time{}
	}
	start := d.started
	if d.bytes == 0 {
		start = now // only buffered bytes: the clock starts at the flush
	}
	at = start.Add(d.cfg.MaxAge)
	return !now.Before(at), at
}

// rotate finishes current and opens a new one (fullcurrent). Without a
// processor the slow part (fsync, naming the archive .s, compressing,
// pruning) happens in the finisher so input is not held up; the file is
// named @<stamp>.u until it is on disk, so a crash leaves it honestly marked
// unfinished. With a processor every step is synchronous, as in multilog.
func (d *Dir) rotate() {
	// A compressing logdir waits here while compression is behind (see
	// compressBacklog), so plain archives cannot fill its disk.
	fresh := d.cfg.Compression != None
	if fresh {
		d.fin.reserve()
	}
	if d.cfg.Processor != "" {
		d.rotateProcessor(fresh)
		return
	}
	stamp := d.nextStamp(d.hi)
	name := ArchiveName(stamp, 'u')
	d.markBoot()
	d.retry(func() error {
		if err := d.rename("current", name); err != nil {
			return d.renameErr("current", name, unwrapErrno(err))
		}
		return nil
	})
	old := d.current
	d.newCurrent()
	d.fin.archive(old, stamp, fresh)
}

// Rotations reports how many times current was rotated since Open.
func (d *Dir) Rotations() int { return d.rotated }

// newCurrent replaces current, just renamed away, with a new empty one.
func (d *Dir) newCurrent() {
	d.rotated++
	d.retry(func() error {
		f, err := d.createCurrent()
		if err != nil {
			return d.pathErr("create", "current", unwrapErrno(err))
		}
		d.current = f
		return nil
	})
	d.bytes, d.kicked = 0, 0
	d.appending, d.leaseRetryAt = true, 0
	d.started = time.Time{}
}

// nextStamp returns the time for a new archive name (see archiveStamp):
// now, but never before last, the latest stamp in the file, and always
// after the newest archive.
func (d *Dir) nextStamp(last tai64.Time) tai64.Time {
	d.stampMu.Lock()
	defer d.stampMu.Unlock()
	t := archiveStamp(tai64.Stamp(d.cfg.Now()), last, d.lastStamp)
	d.lastStamp = t
	return t
}

// newestArchive returns the stamp of the newest archive present.
func (d *Dir) newestArchive() tai64.Time {
	var newest tai64.Time
	names, _ := d.names()
	for _, n := range names {
		if a, ok := ParseArchiveName(n); ok && newest.Before(a.Stamp) {
			newest = a.Stamp
		}
	}
	return newest
}

func (d *Dir) names() ([]string, error) {
	if _, err := d.dirf.Seek(0, 0); err != nil {
		return nil, err
	}
	return d.dirf.Readdirnames(-1)
}

// finish archives file as @<now>.code (link, then unlink, so a crash in
// between leaves a second link that the next finish just removes), then
// prunes (finish in multilog.c).
func (d *Dir) finish(file string, code byte) string {
	var st os.FileInfo
	for {
		var err error
		if st, err = d.root.Lstat(file); err == nil {
			break
		}
		if errors.Is(err, fs.ErrNotExist) {
			return ""
		}
		d.cfg.Warn(d.pathErr("stat", file, unwrapErrno(err)))
		d.cfg.Sleep(pauseDelay)
	}
	name := ""
	if nlink(st) == 1 {
		last := d.lastStampOf(file)
		if last.Before(d.hi) {
			last = d.hi
		}
		d.retry(func() error {
			name = ArchiveName(d.nextStamp(last), code)
			if err := d.root.Link(file, name); err != nil {
				return d.pathErr("link to", name, unwrapErrno(err))
			}
			return nil
		})
	}
	d.retry(func() error {
		if err := d.root.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return d.pathErr("remove", file, unwrapErrno(err))
		}
		return nil
	})
	d.prune()
	return name
}

func nlink(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Nlink)
	}
	return 1
}

// rename renames a file inside the logdir. The names are single path
// components, so renameat(2) on the logdir's descriptor is as safe as
// os.Root's Rename, which also stats and joins paths: a rotation allocates
// less (see scanArchives).
func (d *Dir) rename(from, to string) error {
	return syscall.Renameat(int(d.dirf.Fd()), from, int(d.dirf.Fd()), to)
}

// syncDir makes the logdir's names durable.
func (d *Dir) syncDir() {
	d.retry(func() error {
		if err := d.dirf.Sync(); err != nil {
			return d.syncErr("", unwrapErrno(err))
		}
		return nil
	})
}

// Close flushes, waits for the finisher, and leaves current finished
// (fsync, then mode 744), as multilog does at the end of input or on TERM.
// A later Open appends to it.
func (d *Dir) Close() {
	d.Flush()
	startWriteback(d.current, d.kicked, 0)
	d.fin.stop()
	d.retry(func() error {
		if err := d.current.Sync(); err != nil {
			return d.syncErr("current", unwrapErrno(err))
		}
		return nil
	})
	d.retry(func() error {
		if err := d.current.Chmod(0744); err != nil {
			return d.pathErr("set mode of", "current", unwrapErrno(err))
		}
		return nil
	})
	d.closeFiles()
}

func (d *Dir) closeFiles() {
	pagebuf.Free(d.buf)
	d.buf = nil
	for _, f := range []*os.File{d.current, d.dirf, d.lock} {
		if f != nil {
			f.Close()
		}
	}
	if d.root != nil {
		d.root.Close()
	}
}

// writebackChunk: every this many bytes written to current, the kernel is
// asked to start writing them to disk (sync_file_range, which does not
// wait). The fsync at rotation or exit then finds little left to do, and
// disk writes overlap intake instead of following it.
const writebackChunk = 4 << 20

func (d *Dir) startWriteback() {
	startWriteback(d.current, d.kicked, d.bytes-d.kicked)
	d.kicked = d.bytes
}

// startWriteback asks the kernel to start writing n bytes of f from off to
// disk (all of it from off when n is 0), without waiting for them.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
