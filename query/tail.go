package query

import (
	"bufio"
	"bytes"
	"io"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// The last lines of a range (Config.HasLast, as tail -n and journalctl -n)
// are found in two steps. First each logdir is read backwards, from the
// end of current through the newest files, until it has shown Last
// matching lines in the range: the stamp of the earliest of them is a
// time at or before which the answer starts, since every logdir holds
// Last lines from its own such time on. The latest of these times becomes
// the range's start, so the query reads only the end of each logdir, and
// a ring keeps the last Last lines the merge prints. Reading backwards
// trusts the order of stamps, so it checks it: a logdir whose stamps go
// backwards anywhere in the part read (a clock stepped back, a foreign
// logger) keeps its range and is read forwards whole.

// backChunk is how much a backward scan reads at a time.
const backChunk = 64 << 10

// lastStart reads the stream's files backwards and returns a time from
// which on it has at least n lines in range that match, and true; or
// false if it has fewer, or its order cannot be trusted (then the whole
// range is read). all says it read every file in order and found fewer
// than n: its range may still start at any later time.
func (s *stream) lastStart(n int, match func([]byte) bool) (t tai64.Time, ok, all bool) {
	b := backScan{need: n, match: match, st: s.st, rng: s.rng, newest: true}
	for i := len(s.files) - 1; i >= 0; i-- {
		lf := s.files[i]
		if lf.f == nil || lf.size == 0 {
			continue
		}
		var done bool
		var err error
		c, other := lf.comp, ""
		if c == rotate.None && (lf.kind == kindArchive || lf.kind == kindProcessed) {
			var head [64]byte
			k, _ := lf.f.ReadAt(head[:], 0)
			c, other = rotate.Sniff(head[:k])
		}
		switch {
		case other != "":
			return t, false, false // the forward read reports it
		case c != rotate.None:
			done, err = b.forward(lf, c, &s.dec)
		default:
			done, err = b.backward(lf, s.hold && lf.kind == kindCurrent)
		}
		if err != nil || b.disorder {
			return t, false, false
		}
		if done {
			return b.at, true, false
		}
	}
	return t, false, true
}

// backScan counts matching lines in range from the end of a logdir.
type backScan struct {
	need  int // matching lines still wanted
	match func([]byte) bool
	st    *Stamper
	rng   *timeRange

	min      tai64.Time // the earliest stamp seen so far
	newest   bool       // no stamp seen yet
	disorder bool       // a stamp before min was later than one after it
	at       tai64.Time // once need is 0: the stamp of the line it reached 0 at

}

// stamp takes a stamp read going backwards, with the matching lines that
// take its time (itself and the unstamped lines after it), and reports
// whether enough lines are found, or the range's start was passed.
func (b *backScan) stamp(t tai64.Time, matched int) (stop bool) {
	if !b.newest && b.min.Before(t) {
		b.disorder = true
		return true
	}
	b.newest, b.min = false, t
	if !isZero(b.rng.until) && !t.Before(b.rng.until) {
		return false
	}
	if t.Before(b.rng.since) {
		// The range starts after this line: the earlier lines are out of
		// it too, and there are fewer than need.
		return false
	}
	if matched >= b.need {
		b.need, b.at = 0, t
		return true
	}
	b.need -= matched
	return false
}

// backward scans a plain file from its end. hold leaves out a partial
// last line, as the forward read does for follow and cursors.
func (b *backScan) backward(lf *logFile, hold bool) (done bool, err error) {
	end := lf.size
	if hold {
		if end, err = completeEnd(lf); err != nil {
			return false, err
		}
	}
	start := end // data holds the bytes [start, end)
	var data []byte
	e := 0 // data[:e] is still to scan; the line being found ends at e
	pending := 0
	stamped0 := false // a stamp was seen in this file
	for start > 0 || data != nil {
		i := bytes.LastIndexByte(data[:e], '\n')
		if i < 0 && start > 0 {
			if e > maxLineBuf {
				b.disorder = true // too long to match as the forward read does: read forwards
				return false, nil
			}
			k := min(backChunk, start)
			nd := make([]byte, int(k)+e)
			copy(nd[k:], data[:e])
			if _, err := lf.f.ReadAt(nd[:k], start-k); err != nil && err != io.EOF {
				return false, err
			}
			if data == nil && nd[len(nd)-1] == '\n' {
				nd = nd[:len(nd)-1] // the last line's newline
			}
			data, start, e = nd, start-k, len(nd)
			continue
		}
		line := data[i+1 : e]
		t, n, stamped := b.st.Parse(line)
		m := 0
		if b.match == nil || b.match(Body(line, n)) {
			m = 1
		}
		if stamped {
			stamped0 = true
			if b.stamp(t, pending+m) {
				return b.need == 0, nil
			}
			pending = 0
		} else {
			pending += m
		}
		if i < 0 {
			break
		}
		e = i
	}
	if pending > 0 {
		// Lines before the file's first stamp take that stamp.
		if !stamped0 {
			b.disorder = true // no stamp at all: time zero, read forwards
			return false, nil
		}
		if b.stamp(b.min, pending) {
			return b.need == 0, nil
		}
	}
	return false, nil
}

// forward reads a compressed archive from its start, as it cannot be read
// backwards, keeping the times of its last need matching lines.
func (b *backScan) forward(lf *logFile, c rotate.Compression, dec *decoder) (done bool, err error) {
	r, err := dec.reader(c, io.NewSectionReader(lf.f, 0, lf.size))
	if err != nil {
		return false, err
	}
	br := bufio.NewReaderSize(r, readBufSize)
	ring := make([]tai64.Time, b.need)
	count := 0
	var last, first tai64.Time
	stamped0 := false
	var pendingFirst int // matching lines before the first stamp
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			b.disorder = true // a long line: read forwards
			return false, nil
		}
		if len(line) == 0 && err != nil {
			if err != io.EOF {
				return false, err
			}
			break
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		t, n, stamped := b.st.Parse(line)
		if stamped {
			if stamped0 && t.Before(last) {
				b.disorder = true
				return false, nil
			}
			if !stamped0 {
				first, stamped0 = t, true
			}
			last = t
		} else {
			t = last
		}
		if b.match != nil && !b.match(Body(line, n)) {
			continue
		}
		if !stamped0 {
			pendingFirst++
			continue
		}
		if !b.rng.contains(t) {
			continue
		}
		if len(ring) > 0 {
			ring[count%len(ring)] = t
		}
		count++
	}
	if !stamped0 {
		b.disorder = pendingFirst > 0 // lines at time zero: read forwards
		return false, nil
	}
	if !b.newest && b.min.Before(last) {
		b.disorder = true
		return false, nil
	}
	total := count
	if pendingFirst > 0 && b.rng.contains(first) {
		total += pendingFirst // they take the first stamp, before every other line
	}
	if total >= b.need {
		switch {
		case b.need == 0:
			b.at = last
		case count >= b.need:
			b.at = ring[count%b.need]
		default:
			b.at = first
		}
		b.need = 0
		return true, nil
	}
	count = total
	b.need -= count
	b.newest, b.min = false, first
	return false, nil
}

// narrowToLast moves the start of the streams' ranges to where their last
// q.cfg.Last matching lines begin (see lastStart), and starts the ring.
func (q *query) narrowToLast() {
	q.last = newRing(q.cfg.Last, &q.pr)
	if q.cfg.Cursor != nil || q.cfg.Scan {
		return // the ring alone: read from the cursor, or everything
	}
	var at tai64.Time
	var trusted []*stream
	found := false
	for _, s := range q.streams {
		t, ok, all := s.lastStart(q.cfg.Last, q.cfg.Match)
		if ok || all {
			trusted = append(trusted, s)
		}
		if ok && (!found || at.Before(t)) {
			at, found = t, true
		}
	}
	if !found {
		return
	}
	if !isZero(q.cfg.Until) && q.cfg.Until.Before(at) {
		at = q.cfg.Until
	}
	for _, s := range trusted {
		if s.rng.since.Before(at) {
			s.rng.since = at
		}
		for _, lf := range s.files {
			if lf.hasStamp() && lf.stamp.Before(at) && lf.f != nil {
				// Finished before the range starts: not read, as
				// openLogdir leaves out the archives before since.
				q.progTotal -= lf.size
				lf.close()
				lf.size = 0
			}
		}
	}
}

// ring keeps the last lines printed, formatted.
type ring struct {
	lines [][]byte
	n     int // lines added
	pr    *printer
}

func newRing(n int, pr *printer) *ring { return &ring{lines: make([][]byte, n), pr: pr} }

// add formats l into the ring, over the oldest line.
func (r *ring) add(l *Line) {
	if len(r.lines) == 0 {
		r.n++
		return
	}
	i := r.n % len(r.lines)
	r.n++
	if l.more == nil {
		r.lines[i] = r.pr.appendLine(r.lines[i][:0], l)
		return
	}
	// A line longer than MaxLine: held whole here, as tail holds it.
	buf := bytes.NewBuffer(r.lines[i][:0])
	p := *r.pr
	p.w = bufio.NewWriter(buf)
	p.buf = nil
	p.printLong(l)
	p.w.Flush()
	r.lines[i] = buf.Bytes()
}

// flush writes the lines kept, oldest first, and returns how many.
func (r *ring) flush(w io.Writer) (int64, error) {
	k := min(r.n, len(r.lines))
	for j := range k {
		if _, err := w.Write(r.lines[(r.n-k+j)%len(r.lines)]); err != nil {
			return int64(j), err
		}
	}
	return int64(k), nil
}
