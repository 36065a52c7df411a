package query

import (
	"bytes"
	"io"

	"github.com/mlog/mlog/tai64"
)

// readBufSize is the line reader's buffer. Lines longer than this grow it.
// Small beats large here: an hour of a busy log (2.6 MB) was read in 0.58
// ms through 32 KB preads, 0.66 ms through 64 KB and 1.6 ms through 256 KB,
// in a fresh process on the development VM, where each new page of memory
// costs a fault of 10-20 us and a buffer that stays in the CPU's cache
// wins over fewer system calls.
const readBufSize = 32 << 10

// MaxLine is the longest line a query holds in memory: a longer one is
// read in pieces of this size and printed as it is read, so that a query's
// memory does not grow with its longest line (multilog's c lets a file,
// and so a line, reach 1 TiB). Such a line is matched (patterns, JSON's
// time) by its first MaxLine bytes; [Lines] gives only those.
const MaxLine = 1 << 20

// maxLineBuf is MaxLine, smaller in tests.
var maxLineBuf = MaxLine

// lineReader splits a stream into lines. It is bufio.Reader.ReadSlice with
// the long-line case handled by growing up to maxLineBuf, then by handing
// the line over in pieces, and with the stream offset kept.
type lineReader struct {
	r     io.Reader
	buf   []byte
	start int   // buf[start:end] is not yet returned
	end   int   //
	off   int64 // stream offset of buf[start]
	eof   bool
	err   error // the first read error other than io.EOF

	// partial says the last line next returned was the first piece of a
	// line longer than the buffer: rest returns the others, and the next
	// call of next skips what rest did not take.
	partial bool
}

func (lr *lineReader) reset(r io.Reader, off int64) {
	if lr.buf == nil {
		lr.buf = make([]byte, readBufSize)
	}
	lr.r = r
	lr.start, lr.end = 0, 0
	lr.off = off
	lr.eof = false
	lr.err = nil
	lr.partial = false
}

// next returns the next line without its newline, whether it had one,
// and the offset of its first byte. At the end it returns a nil line. The
// line aliases the reader's buffer: it is valid until the next call. A
// line longer than maxLineBuf comes as its first maxLineBuf bytes, with
// lr.partial set and nl false.
func (lr *lineReader) next() (line []byte, nl bool, off int64) {
	if lr.partial {
		lr.skipRest()
	}
	scan := lr.start
	for {
		if i := bytes.IndexByte(lr.buf[scan:lr.end], '\n'); i >= 0 {
			j := scan + i
			line = lr.buf[lr.start:j]
			off = lr.off
			lr.off += int64(j + 1 - lr.start)
			lr.start = j + 1
			return line, true, off
		}
		scan = lr.end
		if lr.eof {
			// After a read error the bytes since the last newline are
			// not a line: the rest of it is what could not be read.
			if lr.start == lr.end || lr.err != nil {
				return nil, false, lr.off
			}
			line = lr.buf[lr.start:lr.end]
			off = lr.off
			lr.off += int64(lr.end - lr.start)
			lr.start = lr.end
			return line, false, off
		}
		if lr.start > 0 {
			n := copy(lr.buf, lr.buf[lr.start:lr.end])
			scan -= lr.start
			lr.start, lr.end = 0, n
		}
		if lr.end == len(lr.buf) {
			if len(lr.buf) >= maxLineBuf {
				// The buffer is one line: hand it over as the line's
				// first piece.
				line = lr.buf[:lr.end]
				off = lr.off
				lr.off += int64(lr.end)
				lr.start = lr.end
				lr.partial = true
				return line, false, off
			}
			nb := make([]byte, min(2*len(lr.buf), maxLineBuf))
			copy(nb, lr.buf[:lr.end])
			lr.buf = nb
		}
		lr.fill()
	}
}

// fill reads into the free end of the buffer.
func (lr *lineReader) fill() {
	n, err := lr.r.Read(lr.buf[lr.end:])
	lr.end += n
	if err != nil {
		lr.eof = true
		if err != io.EOF {
			lr.err = err
		}
	}
}

// rest returns the next piece of the line whose first piece next
// returned, and whether it is the last (then nl says whether the line
// ended with a newline, which is not in the piece). A piece aliases the
// buffer until the next call. After a read error the last piece is empty.
func (lr *lineReader) rest() (piece []byte, last, nl bool) {
	if !lr.partial {
		return nil, true, false
	}
	for {
		if i := bytes.IndexByte(lr.buf[lr.start:lr.end], '\n'); i >= 0 {
			piece = lr.buf[lr.start : lr.start+i]
			lr.off += int64(i + 1)
			lr.start += i + 1
			lr.partial = false
			return piece, true, true
		}
		if lr.start < lr.end {
			piece = lr.buf[lr.start:lr.end]
			lr.off += int64(lr.end - lr.start)
			lr.start = lr.end
			return piece, false, false
		}
		if lr.eof {
			lr.partial = false
			return nil, true, false
		}
		lr.start, lr.end = 0, 0
		lr.fill()
	}
}

// skipRest reads past the rest of a long line.
func (lr *lineReader) skipRest() {
	for {
		if _, last, _ := lr.rest(); last {
			return
		}
	}
}

func isZero(t tai64.Time) bool { return t == tai64.Time{} }
