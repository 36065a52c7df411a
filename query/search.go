package query

import (
	"bytes"
	"io"

	"github.com/mlog/mlog/tai64"
)

// probeSize is how much a probe reads: a page holds a few dozen lines.
const probeSize = 4096

// bisectMin is the stretch below which bisection gives way to reading.
var bisectMin int64 = 16 << 10

// prober reads small pieces of a plain file at any offset with pread, so
// that a stamp can be found in the middle of a file without reading up to
// it.
type prober struct {
	st   *Stamper
	f    io.ReaderAt
	size int64
	buf  []byte

	// buf[:held] is the file from heldAt: the head of a file is read
	// twice in a row (for its magic number, then for its first stamp).
	heldAt int64
	held   int
}

func (p *prober) reset(f io.ReaderAt, size int64) {
	p.f, p.size = f, size
	if p.buf == nil {
		p.buf = make([]byte, probeSize+maxStampLen)
	}
	p.held = 0
}

// read returns the bytes [lo, hi) of the file, cut at its size. The slice
// is valid until the next read.
func (p *prober) read(lo, hi int64) ([]byte, error) {
	hi = min(hi, p.size)
	if hi <= lo {
		return nil, nil
	}
	if lo == p.heldAt && int(hi-lo) <= p.held {
		return p.buf[:hi-lo], nil
	}
	if n := int(hi - lo); n > len(p.buf) {
		p.buf = make([]byte, n)
	}
	b := p.buf[:hi-lo]
	n, err := p.f.ReadAt(b, lo)
	p.heldAt, p.held = lo, n
	if n == len(b) {
		return b, nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // the file shrank under us
	}
	return b[:n], err
}

// lineStart returns the first line start at or after off: off itself if it
// is 0 or follows a newline, else the byte after the next newline, or the
// size.
func (p *prober) lineStart(off int64) (int64, error) {
	if off <= 0 {
		return 0, nil
	}
	for c := off - 1; c < p.size; {
		b, err := p.read(c, c+probeSize)
		if err != nil {
			return 0, err
		}
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return c + int64(i) + 1, nil
		}
		c += int64(len(b))
	}
	return p.size, nil
}

// firstStamped returns the first line starting in [from, limit) that
// begins with a TAI64N label, and its stamp. from must be a line start.
func (p *prober) firstStamped(from, limit int64) (int64, tai64.Time, bool, error) {
	c, atStart := from, true
	for c < limit {
		b, err := p.read(c, c+probeSize)
		if err != nil || len(b) == 0 {
			return 0, tai64.Time{}, false, err
		}
		i := 0
		if !atStart {
			j := bytes.IndexByte(b, '\n')
			if j < 0 {
				c += int64(len(b))
				continue
			}
			i = j + 1
			atStart = true
		}
		for {
			if c+int64(i) >= limit {
				return 0, tai64.Time{}, false, nil
			}
			if len(b)-i < maxStampLen && c+int64(len(b)) < p.size {
				break // read again from this line start
			}
			if t, ok := p.st.of(b[i:]); ok {
				return c + int64(i), t, true, nil
			}
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				i = len(b)
				atStart = false
				break
			}
			i += j + 1
			atStart = true
		}
		if i == 0 && atStart {
			// A chunk shorter than a label at a line start: only at the end.
			return 0, tai64.Time{}, false, nil
		}
		c += int64(i)
	}
	return 0, tai64.Time{}, false, nil
}

// lastStamp returns the stamp of the last line that has one, reading the
// file backwards from its end.
func (p *prober) lastStamp() (tai64.Time, bool, error) {
	pos := p.size // the line starts still to check are < pos
	for pos > 0 {
		lo := max(0, pos-probeSize)
		b, err := p.read(lo, pos+maxStampLen)
		if err != nil {
			return tai64.Time{}, false, err
		}
		end := int(pos - lo) // candidate starts are lo+c with c < end
		for end > 1 {
			i := bytes.LastIndexByte(b[:end-1], '\n')
			if i < 0 {
				break
			}
			if t, ok := p.st.of(b[i+1:]); ok {
				return t, true, nil
			}
			end = i + 1
		}
		if lo == 0 {
			t, ok := p.st.of(b)
			return t, ok, nil
		}
		// lo itself is a line start if the byte before it is a newline:
		// the next chunk, which ends at lo+1, checks it.
		pos = lo + 1
	}
	return tai64.Time{}, false, nil
}

// lowerBound returns the offset of the first line at or after from with
// a stamp at or after t, and that stamp; or the size and last if there is
// none. from is a line start whose stamp (or the first after it) is
// fromT; last is the file's last stamp. Every stamp it reads must lie
// between the stamps read before and after it; if one does not, it reports
// ok false: the file is out of order and bisecting it could skip lines.
func (p *prober) lowerBound(t tai64.Time, from int64, fromT, last tai64.Time, lr *lineReader) (off int64, at tai64.Time, ok bool, err error) {
	lo, hi := from, p.size
	loT, hiT := fromT, last
	for hi-lo > bisectMin {
		mid := lo + (hi-lo)/2
		s, err := p.lineStart(mid)
		if err != nil {
			return 0, at, false, err
		}
		x, xt, found, err := p.firstStamped(s, hi)
		if err != nil {
			return 0, at, false, err
		}
		if !found {
			break // a stretch with no stamps: read from lo
		}
		if xt.Before(loT) || hiT.Before(xt) {
			return 0, at, false, nil
		}
		if xt.Before(t) {
			lo, loT = x+1, xt
		} else {
			hi, hiT = x, xt
		}
	}
	s, err := p.lineStart(lo)
	if err != nil {
		return 0, at, false, err
	}
	// Read no further than the label of a line that starts before hi: the
	// line reader's first read would otherwise fill its whole buffer, many
	// times the stretch bisection left.
	end := max(s, min(p.size, hi+maxStampLen))
	lr.reset(io.NewSectionReader(p.f, s, end-s), s)
	prev := loT
	for {
		line, _, off := lr.next()
		if line == nil || off >= hi {
			if lr.err != nil {
				return 0, at, false, lr.err
			}
			return hi, hiT, true, nil
		}
		st, stamped := p.st.of(line)
		if !stamped {
			continue
		}
		if st.Before(prev) || hiT.Before(st) {
			return 0, at, false, nil
		}
		prev = st
		if !st.Before(t) {
			return off, st, true, nil
		}
	}
}
