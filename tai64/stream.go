package tai64

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"time"
)

// defaultBufSize is the size of the read buffer of both filters. daemontools
// reads 1 KiB and writes 2 KiB at a time; larger buffers cost nothing in
// latency because output is flushed before every read that could block.
const defaultBufSize = 128 << 10

// readError and writeError wrap err so that it reads well after "unable to
// ": "read input: ..." and "write output: ...".
func readError(err error) error  { return &fs.PathError{Op: "read", Path: "input", Err: err} }
func writeError(err error) error { return &fs.PathError{Op: "write", Path: "output", Err: err} }

// StampConfig says how [StampLines] labels lines. The zero value is
// daemontools' tai64n.
type StampConfig struct {
	// Now is the clock. It is read once for each read of input: every line
	// that starts in the bytes one read returns arrived at once and gets the
	// same label. nil means [time.Now].
	Now func() time.Time
	// TAI writes true TAI labels, as s6-tai64n does, instead of daemontools'
	// (see [Time.ToTAI]).
	TAI bool

	bufSize int // read buffer size; 0 means defaultBufSize (tests set it)
}

// StampLines copies src to dst as tai64n does: each line is preceded by the
// label of the time its first byte was read (see [Stamp]) and a space. A
// last line with no newline is copied without one. Output is flushed
// before every read of src, so lines come out as soon as they go in when
// input is slow, and in large writes when it is fast.
//
// StampLines returns nil at the end of src. Errors are [*fs.PathError]s,
// "read input: ..." or "write output: ...". It allocates its buffers once
// and nothing per line.
func StampLines(dst io.Writer, src io.Reader, cfg StampConfig) error {
	size := cfg.bufSize
	if size <= 0 {
		size = defaultBufSize
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	in := make([]byte, size)
	// One read's worth of output fits unless lines are very short, so
	// there is usually one write per read.
	out := make([]byte, 0, 2*size+LabelLen+1)
	var label [LabelLen + 1]byte
	atStart := true // the next byte read starts a line
	for {
		if len(out) > 0 {
			if _, err := dst.Write(out); err != nil {
				return writeError(err)
			}
			out = out[:0]
		}
		n, rerr := src.Read(in)
		if n > 0 {
			t := Stamp(now())
			if cfg.TAI {
				t = t.ToTAI()
			}
			t.Put((*[LabelLen]byte)(label[:]))
			label[LabelLen] = ' '
			b := in[:n]
			for len(b) > 0 {
				i := indexNewline(b)
				line := b[:i]
				b = b[i:]
				if cap(out)-len(out) < len(label)+len(line) {
					if _, err := dst.Write(out); err != nil {
						return writeError(err)
					}
					out = out[:0]
				}
				if atStart {
					out = append(out, label[:]...)
				}
				out = append(out, line...)
				atStart = line[len(line)-1] == '\n'
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if len(out) > 0 {
				if _, err := dst.Write(out); err != nil {
					return writeError(err)
				}
			}
			return readError(rerr)
		}
	}
	if len(out) > 0 {
		if _, err := dst.Write(out); err != nil {
			return writeError(err)
		}
	}
	return nil
}

// indexNewline returns the length of the first line in b, its '\n'
// included, or len(b) if b holds no '\n'.
func indexNewline(b []byte) int {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i + 1
	}
	return len(b)
}

// outBuf is an output buffer that lines are appended to in place. The
// first write error is kept in err; once it is set nothing more is
// written.
type outBuf struct {
	w   io.Writer
	buf []byte // len(buf) bytes waiting; cap(buf) is fixed
	err error
}

func (o *outBuf) flush() error {
	if o.err == nil && len(o.buf) > 0 {
		_, o.err = o.w.Write(o.buf)
	}
	o.buf = o.buf[:0]
	return o.err
}

// reserve makes room for n more bytes, writing out what is waiting if need
// be. It returns false after a write error.
func (o *outBuf) reserve(n int) bool {
	if cap(o.buf)-len(o.buf) < n {
		o.flush()
	}
	return o.err == nil
}

// write appends b, which may be longer than the buffer.
func (o *outBuf) write(b []byte) {
	if o.reserve(len(b)) {
		if len(b) > cap(o.buf) {
			_, o.err = o.w.Write(b)
			return
		}
		o.buf = append(o.buf, b...)
	}
}

// flushReader reads from r, flushing o first, as multilog's and
// tai64nlocal's flushread do: a read may block, and what has been converted
// so far must not wait for it.
type flushReader struct {
	r io.Reader
	o *outBuf
}

func (f *flushReader) Read(b []byte) (int, error) {
	if err := f.o.flush(); err != nil {
		return 0, err
	}
	return f.r.Read(b)
}

// LocalLines copies src to dst as tai64nlocal does, converting the TAI64N
// label at the start of each line to a readable time as cfg says (see
// [Localizer.AppendLine] for which lines are converted and how). Lines may
// be of any length; output is flushed before every read of src.
//
// LocalLines returns nil at the end of src. Errors are [*fs.PathError]s,
// "read input: ..." or "write output: ...". It allocates its buffers once
// and nothing per line.
func LocalLines(dst io.Writer, src io.Reader, cfg LocalConfig) error {
	size := cfg.bufSize
	if size <= 0 {
		size = defaultBufSize
	}
	l := NewLocalizer(cfg)
	// A line from r (at most size bytes) and its stamp always fit.
	o := &outBuf{w: dst, buf: make([]byte, 0, 2*size+maxStamp)}
	r := bufio.NewReaderSize(&flushReader{r: src, o: o}, size)
	err := l.copy(o, r)
	o.flush()
	if o.err != nil {
		return writeError(o.err)
	}
	if err != nil {
		return readError(err)
	}
	return nil
}

// copy is LocalLines' loop. It returns nil at the end of r, or r's error,
// or nil with o.err set after a write error.
func (l *Localizer) copy(o *outBuf, r *bufio.Reader) error {
	var spill []byte // a label longer than r's buffer, for passing through
	mid := false     // the line's start has been written already
	for {
		if !mid {
			// The whole lines already buffered, in a tight loop: no
			// per-line ReadSlice. What is left is at most a part line.
			if !l.lines(o, r) {
				return nil
			}
		}
		line, err := r.ReadSlice('\n')
		if !o.reserve(len(line) + maxStamp) {
			return nil
		}
		if mid || len(line) == 0 || line[0] != '@' {
			o.buf = append(o.buf, line...)
		} else {
			secs, nsec, k := l.label(line[1:])
			k++
			if k < len(line) {
				o.buf = l.appendLabel(o.buf, line[:k], secs, nsec)
				o.buf = append(o.buf, line[k:]...)
			} else {
				// The label fills the whole buffer: read on to its end.
				if err != bufio.ErrBufferFull {
					// At the end of input tai64nlocal stops in mid-label
					// and writes nothing of it.
					return ignoreEOF(err)
				}
				spill = append(spill[:0], line...)
				for k == len(line) {
					line, err = r.ReadSlice('\n')
					secs, nsec, k = hexRun(line, secs, nsec)
					spill = append(spill, line[:k]...)
					if k == len(line) && err != bufio.ErrBufferFull {
						return ignoreEOF(err)
					}
				}
				if b, ok := l.appendRaw(l.scratch[:0], secs, nsec); ok {
					o.write(b)
				} else {
					o.write(spill)
				}
				o.write(line[k:])
			}
		}
		mid = err == bufio.ErrBufferFull
		if err != nil && !mid {
			return ignoreEOF(err)
		}
	}
}

// lines converts the whole lines in r's buffer and consumes them. It
// returns false after a write error.
func (l *Localizer) lines(o *outBuf, r *bufio.Reader) bool {
	buf, _ := r.Peek(r.Buffered()) // no error: it is all buffered
	n := 0
	for {
		i := bytes.IndexByte(buf[n:], '\n')
		if i < 0 {
			break
		}
		line := buf[n : n+i+1]
		n += i + 1
		if !o.reserve(len(line) + maxStamp) {
			return false
		}
		if line[0] != '@' {
			o.buf = append(o.buf, line...)
			continue
		}
		// The '\n' ends the label if nothing before it does.
		secs, nsec, k := l.label(line[1:])
		k++
		o.buf = l.appendLabel(o.buf, line[:k], secs, nsec)
		o.buf = append(o.buf, line[k:]...)
	}
	r.Discard(n)
	return true
}

func ignoreEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}
