package rotate

import (
	"io"
	"os"
	"syscall"
	"time"

	"github.com/mlog/mlog/tai64"
)

// A clock that steps back (an NTP step, a VM resumed, an admin's date)
// makes multilog stamp a line earlier than the one before it. Readers that
// bisect a file by its stamps (mlog query) would then skip lines. So every
// file this package writes keeps two promises, whatever the clock does:
//
//   - the stamps inside one file never go backwards: a line stamped
//     earlier than the last stamped line of current starts a new current
//     (Stamp rotates first);
//   - an archive's name is never earlier than a stamp inside it, and names
//     sort in the order the files were written (archiveStamp).
//
// daemontools keeps neither; ours differs from it only after a step back.

// Stamp tells the logdir that the next bytes written start a line stamped
// t. If t is earlier than the last stamp written to current, current is
// rotated first (if it holds anything), so that the stamps of a file never
// go backwards. It costs a comparison per line; it does no allocation.
func (d *Dir) Stamp(t tai64.Time) {
	if t.Sec < d.hi.Sec || t.Sec == d.hi.Sec && t.Nsec < d.hi.Nsec {
		d.stepBack(t)
		return
	}
	d.hi = t
}

// stepBack is Stamp's rare path, kept out of line so Stamp inlines.
//
//go:noinline
func (d *Dir) stepBack(t tai64.Time) {
	d.Rotate()
	d.hi = t
}

// tailChunk is how much lastStamp reads at a time, from the end backwards.
const tailChunk = 4096

// tailMax bounds how far back lastStamp looks: a file can be up to 1 TiB
// (c), and one whose last MiB holds no stamp is a logdir written without
// t or i, taken to have none.
const tailMax = 1 << 20

// isoLen is the length of the ISO stamp multilog's i writes, without its
// space: "2006-01-02T15:04:05.000000Z".
const isoLen = 27

// lastStamp returns the stamp of the last line of the first size bytes of
// f that begins with one (a TAI64N label, or the ISO stamp of i), or the
// zero time if none does within the last tailMax bytes. It reads
// backwards from the end, so a file of stamped lines costs one read.
func lastStamp(f io.ReaderAt, size int64) tai64.Time {
	buf := make([]byte, tailChunk+isoLen)
	pos := size // the line starts still to check are < pos
	floor := max(0, size-tailMax)
	for pos > floor {
		lo := max(floor, pos-tailChunk)
		hi := min(size, pos+isoLen)
		b := buf[:hi-lo]
		if n, err := f.ReadAt(b, lo); n < len(b) {
			if err == nil || err == io.EOF {
				b = b[:n]
			} else {
				return tai64.Time{}
			}
		}
		for i := min(int(pos-lo), len(b)) - 1; i >= 0; i-- {
			if i == 0 && lo > 0 {
				break // whether lo starts a line is in the next chunk
			}
			if i > 0 && b[i-1] != '\n' {
				continue
			}
			if t, ok := lineStamp(b[i:]); ok {
				return t
			}
		}
		if lo == floor {
			break
		}
		pos = lo + 1
	}
	return tai64.Time{}
}

// lineStamp reads the stamp at the start of a line: a TAI64N label as t
// writes it, or the ISO stamp of i, as the label of the same microsecond
// (the label t would have written at that moment).
func lineStamp(b []byte) (tai64.Time, bool) {
	if t, _, err := tai64.Parse(b); err == nil {
		return t, true
	}
	iso, _, err := tai64.ParseISO(b)
	if err != nil || !iso.Zoned { // multilog i writes UTC, with its Z
		return tai64.Time{}, false
	}
	// The same label setStamp gives the line's microsecond (tai64.Stamp
	// puts it mid-microsecond, as multilog t does).
	return tai64.Stamp(time.Unix(iso.Sec, int64(iso.Nsec))), true
}

// lastStampOf returns the last stamp in file, a regular file of the
// logdir, or the zero time if it has none or cannot be read. It opens
// without blocking and without following a link, as the logdir may belong
// to someone else.
func (d *Dir) lastStampOf(file string) tai64.Time {
	f, err := d.root.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return tai64.Time{}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return tai64.Time{}
	}
	return lastStamp(f, st.Size())
}
