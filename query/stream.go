package query

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// Line is one line of a logdir.
type Line struct {
	Logdir  string     // the logdir as given
	Time    tai64.Time // the line's stamp, or the one it takes (see the package doc)
	Stamped bool       // whether the line starts with a stamp of its own (see [Stamper])
	Text    []byte     // the line without its newline

	// StampLen is the length of the stamp Text starts with, if Stamped:
	// 25 for a TAI64N label, more for an ISO 8601 time.
	StampLen int

	// more, for a line longer than MaxLine, reads the rest of it: Text
	// holds its first MaxLine bytes.
	more *lineReader
}

// timeRange is [since, until); a zero until is no end. In scan mode no
// file is trusted to be in order.
type timeRange struct {
	since, until tai64.Time
	scan         bool
}

func (r *timeRange) contains(t tai64.Time) bool {
	return !t.Before(r.since) && (isZero(r.until) || t.Before(r.until))
}

// segment is the part of one file a stream reads.
type segment struct {
	lf      *logFile
	start   int64      // plain files: the first byte to read
	end     int64      // plain files: the byte after the last to read
	stop    bool       // end at the first stamp at or after until, while in order
	inherit tai64.Time // the time of lines before the first stamp
	first   tai64.Time // the file's first stamp

	// skipBelow, in a compressed archive where a cursor or a follow
	// resumes, is the position's offset in the decompressed stream: the
	// lines before it are read (for their stamps) but not returned.
	skipBelow int64

	// bisected says the segment is a region found by bisection. If its
	// stamps go backwards, the file is out of order and the bisection may
	// have skipped lines of the range: the stream then reads the rest of
	// the file and the part before the region too, testing every line.
	bisected bool
}

// stream yields the lines of one logdir within a range, file after file,
// in the order they were written.
type stream struct {
	dir   string
	rng   *timeRange
	files []*logFile // still to read, in order
	seg   segment
	extra []segment // more of seg's file to read after seg
	open  bool      // seg is being read
	lr    lineReader
	pr    prober
	dec   decoder
	st    *Stamper

	last      tai64.Time // the stamp of the last stamped line read in seg
	decreased bool       // seg's stamps went backwards

	// long says the line returned is longer than maxLineBuf: its rest is
	// still in lr (see finishLine).
	long bool
	// completeAt is the end of the last complete line of completeOf when
	// it had completeSize bytes (a followed current grows).
	completeOf   *logFile
	completeSize int64
	completeAt   int64

	// hold leaves a partial last line of current unread, for --follow and
	// --cursor: the rest of it is still to come.
	hold bool

	// skip drops lines until one is past a cursor's (time, count) position;
	// see Cursor.
	skip     bool
	skipTime tai64.Time
	skipN    int64

	// startFile is read from startOff on, its lines before the first
	// stamp taking startTime: where a cursor left off.
	startFile *logFile
	startOff  int64
	startTime tai64.Time

	started func(*logFile) // called as each file is begun (progress)
	// tick, if set, is called every tickLines lines with the bytes of the
	// file read so far (of a compressed one, its compressed bytes).
	tick    func(lf *logFile, read int64)
	tickN   int
	counted countingReader // a compressed file's bytes, for tick

	// report is given the files that cannot be read or are skipped.
	report func(error)

	line Line
	pos  Position // just after the line last returned
	done Position // just after the line last taken by the merge
	err  error

	// tail is current once the stream has read it, for follow; tailOff is
	// the offset after its last complete line.
	tail     *logFile
	tailOff  int64
	tailLast tai64.Time // the last stamp read in tail

	// after is a current that was rotated: once it is read, the files
	// that followed it are looked for.
	after *logFile

	// The start of the file last read, for positions (see Position.Head):
	// headBuf[:headN] are its first bytes (of a compressed archive, as they
	// were decompressed), and headHash hashes the first headLen of them.
	headOf   *logFile
	headBuf  [headSize]byte
	headN    int64
	headLen  int64
	headHash uint64
}

func newStream(dir string, rng *timeRange, files []*logFile, st *Stamper) *stream {
	s := &stream{dir: dir, rng: rng, files: files, st: st, line: Line{Logdir: dir}, pos: Position{Logdir: dir}}
	s.pr.st = st
	return s
}

// close releases every file the stream still holds, except its tail.
func (s *stream) close() {
	s.endSegment()
	for _, lf := range s.files {
		lf.close()
	}
	s.files = nil
	s.dec.close()
}

func (s *stream) endSegment() {
	if !s.open {
		return
	}
	s.open = false
	if s.seg.lf != s.tail && s.seg.lf != s.after {
		s.seg.lf.close()
	}
}

// next advances to the next line in range and reports whether there is
// one. After false, s.err says why.
func (s *stream) next() bool {
	for {
		s.finishLine()
		if !s.open {
			if len(s.files) == 0 && s.after != nil {
				old := s.after
				s.after = nil
				if err := s.successorsOf(old); err != nil {
					s.err = err
					return false
				}
			}
			if len(s.files) == 0 {
				return false
			}
			lf := s.files[0]
			s.files = s.files[1:]
			if s.started != nil {
				s.started(lf)
			}
			ok, err := s.plan(lf)
			if err != nil {
				s.fail(lf, err)
				continue
			}
			if !ok {
				s.finishFile(lf)
				if lf != s.tail && lf != s.after {
					lf.close()
				}
				continue
			}
			if err := s.startSegment(); err != nil {
				s.fail(lf, err)
				continue
			}
		}
		text, nl, off := s.lr.next()
		if text != nil && off < headSize && s.seg.lf.comp != rotate.None {
			s.collectHead(text, nl, off)
		}
		if text == nil {
			if s.lr.err != nil {
				s.fail(s.seg.lf, s.lr.err)
				continue
			}
			if s.seg.skipBelow > s.lr.off {
				// The archive ends before the position: it was not the
				// position's file after all. Go on by time.
				s.skip, s.skipTime, s.skipN = true, s.pos.Time, s.pos.N
			}
			if len(s.extra) > 0 {
				s.seg = s.extra[0]
				s.extra = s.extra[1:]
				if err := s.startSegment(); err != nil {
					s.fail(s.seg.lf, err)
				}
				continue
			}
			s.finishFile(s.seg.lf)
			s.endSegment()
			continue
		}
		if s.tick != nil {
			if s.tickN--; s.tickN <= 0 {
				s.tickN = tickLines
				read := s.lr.off
				if s.seg.lf.comp != rotate.None {
					read = s.counted.n
				}
				s.tick(s.seg.lf, read)
			}
		}
		long := s.lr.partial
		if !nl && s.hold && s.seg.lf.kind == kindCurrent && (!long || !s.complete(off)) {
			s.finishFile(s.seg.lf)
			s.endSegment()
			continue
		}
		t, n, stamped := s.st.Parse(text)
		if stamped {
			if t.Before(s.last) {
				s.decreased = true
				if s.seg.bisected {
					s.reread(off)
					continue
				}
			}
			s.last = t
		} else {
			t = s.last
		}
		if off < s.seg.skipBelow {
			continue // before the position a compressed archive resumes at
		}
		// Every line is tested against the range, even in a region found
		// by bisection: it costs a comparison, and it keeps lines out of
		// range from showing where a file is out of order.
		if stamped && s.seg.stop && !s.decreased && !isZero(s.rng.until) && !t.Before(s.rng.until) {
			s.finishFile(s.seg.lf)
			s.endSegment()
			continue
		}
		if !s.rng.contains(t) {
			continue
		}
		end := off + int64(len(text))
		if nl {
			end++
		}
		s.advance(t, end)
		s.long = long
		s.line.Time = t
		s.line.Stamped, s.line.StampLen = stamped, n
		s.line.Text = text
		s.line.more = nil
		if long {
			s.line.more = &s.lr
		}
		if s.skip {
			if t.Before(s.skipTime) {
				continue
			}
			if t == s.skipTime && s.skipN > 0 {
				s.skipN--
				continue
			}
			s.skip = false
		}
		return true
	}
}

// finishLine reads past the rest of a line longer than maxLineBuf that
// the stream returned (the printer may have read it already), and moves
// the stream's position to its end.
func (s *stream) finishLine() {
	if !s.long {
		return
	}
	s.long = false
	s.line.more = nil
	s.lr.skipRest()
	s.pos.Offset = s.lr.off
}

// complete reports whether the line at off in current ends with a
// newline: whether it starts before the end of the last complete line.
// It is asked only of lines longer than maxLineBuf, once per file and
// size.
func (s *stream) complete(off int64) bool {
	lf := s.seg.lf
	if s.completeOf != lf || s.completeSize != lf.size {
		end, err := completeEnd(lf)
		if err != nil {
			return false
		}
		s.completeOf, s.completeSize, s.completeAt = lf, lf.size, end
	}
	return off < s.completeAt
}

// fail gives up on lf, which could not be read: it is reported, and the
// stream goes on with the next file, as grep goes on after a file it
// cannot read. The lines read from it before the failure stay printed.
func (s *stream) fail(lf *logFile, err error) {
	if s.report != nil {
		s.report(&OpError{Op: "read", Path: s.path(lf), Err: err})
	}
	s.extra = nil
	if s.open && s.seg.lf == lf {
		s.endSegment()
	} else if lf != s.tail && lf != s.after {
		lf.close()
	}
}

// path returns the path of lf, for messages.
func (s *stream) path(lf *logFile) string { return filepath.Join(s.dir, lf.name) }

// reread turns a bisected region found out of order at off into reads of
// the rest of the file from off, then of the part before the region, every
// line tested. The lines of the range before the region then come after
// those in it, but none is lost or repeated.
func (s *stream) reread(off int64) {
	lf := s.seg.lf
	before := segment{lf: lf, start: 0, end: s.seg.start, inherit: s.seg.first, first: s.seg.first}
	s.seg = segment{lf: lf, start: off, end: lf.size, inherit: s.last, first: s.seg.first}
	s.extra = append(s.extra, before)
	s.lr.reset(io.NewSectionReader(lf.f, off, lf.size-off), off)
}

// advance moves the stream's position past a line with time t ending at
// end.
func (s *stream) advance(t tai64.Time, end int64) {
	lf := s.seg.lf
	s.pos.Dev, s.pos.Ino, s.pos.Offset = lf.dev, lf.ino, end
	s.noteHead(lf, end)
	if t == s.pos.Time {
		s.pos.N++
	} else {
		s.pos.Time, s.pos.N = t, 1
	}
}

// finishFile records that current has been read, for follow.
func (s *stream) finishFile(lf *logFile) {
	if lf.kind != kindCurrent || !s.hold {
		return
	}
	s.tail = lf
	s.tailLast = s.last
	off, err := completeEnd(lf)
	if err != nil {
		s.err = &OpError{Op: "read", Path: s.path(lf), Err: err}
	}
	s.tailOff = off
	s.pos.Dev, s.pos.Ino, s.pos.Offset = lf.dev, lf.ino, off
	s.noteHead(lf, off)
}

// noteHead puts into the position the hash of the first min(end,
// headSize) bytes of lf, the file it is in. It reads them (a plain file)
// or takes them as they were decompressed, once per file and length: for
// the first lines of a file only.
func (s *stream) noteHead(lf *logFile, end int64) {
	want := min(end, headSize)
	if s.headOf != lf || s.headLen != want {
		if lf.comp == rotate.None && (s.headOf != lf || s.headN < want) {
			n, _ := lf.f.ReadAt(s.headBuf[:want], 0)
			s.headOf, s.headN = lf, int64(n)
		}
		if s.headOf != lf {
			s.headN = 0
		}
		s.headLen = min(want, s.headN)
		s.headHash = headHash(s.headBuf[:s.headLen])
	}
	s.pos.HeadLen, s.pos.Head = s.headLen, s.headHash
}

// collectHead keeps the first bytes of a compressed archive as they are
// decompressed, for noteHead: the line text at off, and its newline.
func (s *stream) collectHead(text []byte, nl bool, off int64) {
	if s.headOf != s.seg.lf || off > s.headN {
		return
	}
	n := copy(s.headBuf[off:], text)
	if nl && n == len(text) && off+int64(n) < headSize {
		s.headBuf[off+int64(n)] = '\n'
		n++
	}
	s.headN = max(s.headN, off+int64(n))
}

// tickLines is how many lines a stream reads between progress ticks: a
// few milliseconds' worth.
const tickLines = 16384

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// completeEnd returns the offset after the last newline of the part of lf
// the stream was given.
func completeEnd(lf *logFile) (int64, error) {
	var buf [probeSize]byte
	for pos := lf.size; pos > 0; {
		lo := max(0, pos-probeSize)
		b := buf[:pos-lo]
		if _, err := lf.f.ReadAt(b, lo); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return lo + int64(i) + 1, nil
		}
		pos = lo
	}
	return 0, nil
}

// startSegment opens the reader for s.seg.
func (s *stream) startSegment() error {
	lf := s.seg.lf
	s.open = true
	s.last = s.seg.inherit
	s.decreased = false
	if lf.comp != rotate.None {
		s.counted = countingReader{r: io.NewSectionReader(lf.f, 0, lf.size)}
		d, err := s.dec.reader(lf.comp, &s.counted)
		if err != nil {
			return err
		}
		s.lr.reset(d, 0)
		s.headOf, s.headN, s.headLen = lf, 0, -1
		return nil
	}
	s.lr.reset(io.NewSectionReader(lf.f, s.seg.start, s.seg.end-s.seg.start), s.seg.start)
	return nil
}

// plan chooses what to read of lf, and reports false if nothing.
func (s *stream) plan(lf *logFile) (bool, error) {
	rng := s.rng
	s.seg = segment{lf: lf, start: 0, end: lf.size}
	if lf.size == 0 {
		if lf.comp != rotate.None && lf.f != nil { // not one left out (narrowToLast)
			return false, errEmptyArchive
		}
		return false, nil
	}
	if lf == s.startFile {
		s.seg.inherit = s.startTime
		if lf.comp != rotate.None {
			// No seeking in a compressed stream: read it from the start,
			// returning the lines after the position.
			s.seg.skipBelow = s.startOff
			return true, nil
		}
		s.seg.start = s.startOff
		return s.startOff < lf.size, nil
	}
	first, hasFirst, err := s.head(lf)
	if err != nil {
		return false, err
	}
	if !hasFirst {
		// No stamps at all: the lines are at time zero.
		return isZero(rng.since), nil
	}
	s.seg.inherit, s.seg.first = first, first
	if rng.scan || s.skip {
		return true, nil
	}
	if !isZero(rng.until) && !first.Before(rng.until) {
		return false, nil
	}
	if lf.comp != rotate.None {
		// No seeking in a compressed stream: read it from the start, and
		// stop at until.
		s.seg.stop = true
		return true, nil
	}
	last, _, err := s.pr.lastStamp()
	if err != nil {
		return false, err
	}
	if last.Before(first) || lf.hasStamp() && lf.stamp.Before(last) {
		return true, nil // out of order: read it all
	}
	if !first.Before(rng.since) && (isZero(rng.until) || last.Before(rng.until)) {
		return true, nil // all of it
	}
	start, at := int64(0), first
	if first.Before(rng.since) {
		var ok bool
		start, at, ok, err = s.pr.lowerBound(rng.since, 0, first, last, &s.lr)
		if err != nil {
			return false, err
		}
		if !ok {
			return true, nil
		}
		if start >= lf.size {
			return false, nil
		}
	}
	end := lf.size
	if !isZero(rng.until) && !last.Before(rng.until) {
		var ok bool
		end, _, ok, err = s.pr.lowerBound(rng.until, start, at, last, &s.lr)
		if err != nil {
			return false, err
		}
		if !ok {
			return true, nil
		}
	}
	s.seg.start, s.seg.end, s.seg.inherit, s.seg.bisected = start, end, at, true
	return end > start, nil
}

// head returns the first stamp of lf. An archive or processed file with
// a plain name whose first bytes are a compressor's magic number is
// compressed: it is marked so, and read as such.
func (s *stream) head(lf *logFile) (tai64.Time, bool, error) {
	if lf.comp == rotate.None {
		s.pr.reset(lf.f, lf.size)
		b, err := s.pr.read(0, probeSize)
		if err != nil {
			return tai64.Time{}, false, err
		}
		if lf.kind == kindArchive || lf.kind == kindProcessed {
			c, other := rotate.Sniff(b)
			if other != "" {
				// Its bytes printed as lines would be garbage on a
				// terminal and wrong answers to a pattern.
				return tai64.Time{}, false, fmt.Errorf("compressed with %s, which mlog does not read", other)
			}
			lf.comp = c
		}
	}
	if lf.comp == rotate.None {
		_, t, ok, err := s.pr.firstStamped(0, lf.size)
		return t, ok, err
	}
	d, err := s.dec.reader(lf.comp, io.NewSectionReader(lf.f, 0, lf.size))
	if err != nil {
		return tai64.Time{}, false, err
	}
	s.lr.reset(d, 0)
	for {
		line, _, _ := s.lr.next()
		if line == nil {
			return tai64.Time{}, false, s.lr.err
		}
		if t, ok := s.st.of(line); ok {
			return t, true, nil
		}
	}
}
