package query

import (
	"bytes"
	"io"

	"github.com/mlog/mlog/tai64"
)

// readBufSize is the line reader's buffer: a few preads cover an hour of
// a busy log. Lines longer than this grow it.
const readBufSize = 256 << 10

// lineReader splits a stream into lines. It is bufio.Reader.ReadSlice with
// the long-line case handled by growing, and with the stream offset kept.
type lineReader struct {
	r     io.Reader
	buf   []byte
	start int   // buf[start:end] is not yet returned
	end   int   //
	off   int64 // stream offset of buf[start]
	eof   bool
	err   error // the first read error other than io.EOF
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
}

// next returns the next line without its newline, whether it had one,
// and the offset of its first byte. At the end it returns a nil line. The
// line aliases the reader's buffer: it is valid until the next call.
func (lr *lineReader) next() (line []byte, nl bool, off int64) {
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
			if lr.start == lr.end {
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
			nb := make([]byte, 2*len(lr.buf))
			copy(nb, lr.buf[:lr.end])
			lr.buf = nb
		}
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err != nil {
			lr.eof = true
			if err != io.EOF {
				lr.err = err
			}
		}
	}
}

// unhex maps a byte to its hex value, or 0xff. Both cases are accepted,
// as by [tai64.Parse].
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := byte(0); i < 10; i++ {
		t['0'+i] = i
	}
	for i := byte(0); i < 6; i++ {
		t['a'+i] = 10 + i
		t['A'+i] = 10 + i
	}
	return t
}()

// hex8 decodes 8 hex digits. The digits are independent loads and the
// validity test is one OR at the end, so there is no branch per digit: this
// is a third of the cost of a line on the hot path otherwise.
func hex8(b []byte) (uint32, bool) {
	_ = b[7]
	v0, v1, v2, v3 := unhex[b[0]], unhex[b[1]], unhex[b[2]], unhex[b[3]]
	v4, v5, v6, v7 := unhex[b[4]], unhex[b[5]], unhex[b[6]], unhex[b[7]]
	bad := v0 | v1 | v2 | v3 | v4 | v5 | v6 | v7
	v := uint32(v0)<<28 | uint32(v1)<<24 | uint32(v2)<<20 | uint32(v3)<<16 |
		uint32(v4)<<12 | uint32(v5)<<8 | uint32(v6)<<4 | uint32(v7)
	return v, bad&0xf0 == 0
}

// stampOf returns the TAI64N label a line starts with. It agrees with
// [tai64.Parse] (the tests check) and does no allocation.
func stampOf(line []byte) (tai64.Time, bool) {
	if len(line) < tai64.LabelLen || line[0] != '@' {
		return tai64.Time{}, false
	}
	hi, ok1 := hex8(line[1:9])
	lo, ok2 := hex8(line[9:17])
	ns, ok3 := hex8(line[17:25])
	if !(ok1 && ok2 && ok3) {
		return tai64.Time{}, false
	}
	return tai64.Time{Sec: uint64(hi)<<32 | uint64(lo), Nsec: ns}, true
}

func isZero(t tai64.Time) bool { return t == tai64.Time{} }
