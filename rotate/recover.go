package rotate

import (
	"bytes"
	"os"
	"syscall"
	"unsafe"

	"github.com/mlog/mlog/tai64"
)

// A rotated file is named @<stamp>.u until the finisher has fsynced it
// and renamed it .s, so a kill -9 leaves every file still in the
// finisher's queue (up to queueLen, plus the batch being synced) named
// .u. After a kill they are whole: every byte was written before the
// rename, and the page cache outlives the process. After a power failure
// or a crash of the kernel they may not be: daemontools' .u means exactly
// that, and it stays so.
//
// To tell the two apart, each file gets, as it is rotated, an extended
// attribute holding the id of the running boot (the kernel makes a new
// random one at each boot). The next Open fsyncs and finishes to .s every
// .u that carries this boot's id; one from an earlier boot, or without the
// attribute (a current renamed .u by recovery, as daemontools does, a
// file system without user xattrs, daemontools' own), stays .u.
const bootAttr = "user.mlog.boot\x00"

// bootIDFile holds the kernel's random id of the running boot.
const bootIDFile = "/proc/sys/kernel/random/boot_id"

// readBootID returns the running boot's id, or nil if it cannot be read
// (no /proc): rotated files are then not marked, and a kill leaves them .u.
func readBootID() []byte {
	b, err := os.ReadFile(bootIDFile)
	if err != nil {
		return nil
	}
	b = bytes.TrimSpace(b)
	if len(b) != 36 { // a UUID: 8-4-4-4-12 hex digits
		return nil
	}
	return b
}

// markBoot stamps current, about to become a .u, with the boot's id. A
// failure (a file system without user xattrs) only means the next start
// leaves the file .u, as before.
func (d *Dir) markBoot() {
	if len(d.boot) == 0 {
		return
	}
	syscall.Syscall6(syscall.SYS_FSETXATTR, d.current.Fd(), uintptr(unsafe.Pointer(unsafe.StringData(bootAttr))),
		uintptr(unsafe.Pointer(&d.boot[0])), uintptr(len(d.boot)), 0, 0)
}

// sameBoot reports whether f was marked by markBoot during this boot.
func (d *Dir) sameBoot(f *os.File) bool {
	if len(d.boot) == 0 {
		return false
	}
	var buf [64]byte
	n, _, errno := syscall.Syscall6(syscall.SYS_FGETXATTR, f.Fd(), uintptr(unsafe.Pointer(unsafe.StringData(bootAttr))),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	return errno == 0 && bytes.Equal(buf[:n], d.boot)
}

// recoverUnfinished finishes the .u archives that a kill -9 left in the
// finisher's queue during this boot: mode 744, fsync, renamed .s, as the
// finisher would have, and in the same order of steps (see finishBatch):
// pruning first, so what it takes is not synced; every file on disk before
// any is renamed; the logdir fsynced once. Each is opened without following
// links and only if it is a regular file; anything else, and every .u from
// an earlier boot, is left as it is.
func (d *Dir) recoverUnfinished() {
	if len(d.boot) == 0 {
		return
	}
	names, err := d.names()
	if err != nil {
		return
	}
	var files []*os.File
	var stamps []tai64.Time
	for _, n := range names {
		a, ok := ParseArchiveName(n)
		if !ok || a.Code != 'u' {
			continue
		}
		f, err := d.openArchive(n)
		if err != nil {
			continue
		}
		if !d.sameBoot(f) {
			f.Close()
			continue
		}
		files = append(files, f)
		stamps = append(stamps, a.Stamp)
	}
	if len(files) == 0 {
		return
	}
	// Only after a kill, whose recovery prunes anyway (finish).
	d.prune()
	live := 0
	for i, f := range files {
		if unlinked(f) || f.Chmod(0744) != nil {
			f.Close()
			continue
		}
		startWriteback(f, 0, 0)
		files[live], stamps[live] = f, stamps[i]
		live++
	}
	renamed := false
	for i, f := range files[:live] {
		ok := f.Sync() == nil
		f.Close()
		if ok && d.rename(ArchiveName(stamps[i], 'u'), ArchiveName(stamps[i], 's')) == nil {
			renamed = true
		}
	}
	if renamed {
		d.syncDir()
	}
}
