package qmail

// All of the package's use of package query is in this file: the lines of
// logdirs come from query.Run, in raw form with their logdir before them,
// so that the files read, the time forms and the cursor are query's own.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"

	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/tai64"
)

// Range says which lines of the logdirs to read.
type Range struct {
	Since tai64.Time // the first instant read; zero means from the start
	Until tai64.Time // the first instant not read; zero means no end unless HasUntil
	// HasUntil makes a zero Until a bound rather than no end.
	HasUntil bool
	// Zone is the zone of stamps without one (s6-log's T); nil means UTC.
	Zone *tai64.Zone
	// Warn reports files that were skipped or could not be read.
	Warn func(error)
}

// ParseTime reads a time as mlog query's --since and --until do: RFC
// 3339, local times in zone, relative times, TAI64N labels.
var ParseTime = query.ParseTime

// ErrUsage is wrapped by errors in the arguments rather than in the logs.
var ErrUsage = query.ErrUsage

// maxCarry bounds the bytes of one line held: the rest of a longer line
// is dropped (qmail's lines are short; a longer one is not a qmail line).
const maxCarry = 64 << 10

// Read calls fn with each line of logdirs in rng, merged in time order, as
// mlog query selects them: its time (a line without a stamp of its own
// takes its logdir's last stamp), whether it has a stamp, and its text
// after the stamp. The text is valid only during the call. If cursor is
// not empty, reading starts after the position it holds (mlog query's
// cursor text); the returned cursor is where reading stopped. It returns
// how many files could not be read.
func Read(ctx context.Context, rng Range, logdirs []string, cursor []byte, fn func(t tai64.Time, stamped bool, body []byte)) (newCursor []byte, failed int, err error) {
	cfg := query.Config{
		Since: rng.Since, Until: rng.Until, HasUntil: rng.HasUntil,
		Zone: rng.Zone, Warn: rng.Warn, Prefix: true,
	}
	if cursor != nil {
		cfg.Cursor = &query.Cursor{}
		if err := cfg.Cursor.UnmarshalText(cursor); err != nil {
			return nil, 0, err
		}
	}
	lw := newLineWriter(logdirs, rng.Zone, fn)
	st, err := runPiped(ctx, cfg, logdirs, lw)
	if err != nil {
		return nil, st.Failed, err
	}
	lw.flush()
	if cfg.Cursor != nil {
		if newCursor, err = cfg.Cursor.MarshalText(); err != nil {
			return nil, st.Failed, err
		}
	}
	return newCursor, st.Failed, nil
}

// pipeChunk is how many bytes of query's output go to the consumer at a
// time, and pipeDepth how many such chunks may wait.
const (
	pipeChunk = 256 << 10
	pipeDepth = 4
)

// runPiped runs query.Run in a goroutine of its own and hands its output
// to w in this one, so that reading the files (decompressing, finding
// lines and stamps, merging logdirs) and joining and counting the lines
// take a core each. The order of the output is kept: w sees exactly the
// bytes query.Run wrote, in the order it wrote them.
func runPiped(ctx context.Context, cfg query.Config, logdirs []string, w io.Writer) (query.Stats, error) {
	ch, first := newChunks(pipeDepth, pipeChunk)
	var st query.Stats
	var err error
	go func() {
		pw := &pipeWriter{ch: ch, buf: first}
		st, err = query.Run(ctx, cfg, logdirs, pw)
		ch.close(pw.buf)
	}()
	ch.each(func(b []byte) { w.Write(b) })
	return st, err
}

// pipeWriter copies what it is given into chunks of pipeChunk bytes and
// sends each full chunk on.
type pipeWriter struct {
	ch  *chunks
	buf []byte
}

func (pw *pipeWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), cap(pw.buf)-len(pw.buf))
		pw.buf = append(pw.buf, p[:k]...)
		p = p[k:]
		if len(pw.buf) == cap(pw.buf) {
			pw.buf = pw.ch.send(pw.buf)
		}
	}
	return n, nil
}

// lineWriter takes query's output, "LOGDIR:LINE\n" lines, and hands each
// line to fn.
type lineWriter struct {
	dirs  [][]byte     // the logdirs with ':' after them, longest first
	index []int        // dirs[i] is logdir index[i]
	last  []tai64.Time // per logdir, the last stamp
	st    *query.Stamper
	fn    func(t tai64.Time, stamped bool, body []byte)
	carry []byte
	drop  bool // dropping the rest of a line longer than maxCarry
}

func newLineWriter(logdirs []string, zone *tai64.Zone, fn func(t tai64.Time, stamped bool, body []byte)) *lineWriter {
	w := &lineWriter{last: make([]tai64.Time, len(logdirs)), fn: fn}
	if zone != nil {
		w.st = query.NewStamper(zone)
	} else {
		w.st = query.NewStamper(nil)
	}
	order := make([]int, len(logdirs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(logdirs[b]) - len(logdirs[a]) })
	for _, i := range order {
		w.dirs = append(w.dirs, append([]byte(logdirs[i]), ':'))
		w.index = append(w.index, i)
	}
	return w
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.hold(p)
			break
		}
		if len(w.carry) > 0 || w.drop {
			w.hold(p[:i])
			if !w.drop || len(w.carry) > 0 {
				w.line(w.carry)
			}
			w.carry, w.drop = w.carry[:0], false
		} else {
			w.line(p[:i])
		}
		p = p[i+1:]
	}
	return n, nil
}

// hold keeps the start of a line whose end is in a later write.
func (w *lineWriter) hold(p []byte) {
	if room := maxCarry - len(w.carry); len(p) > room {
		p, w.drop = p[:max(room, 0)], true
	}
	w.carry = append(w.carry, p...)
}

func (w *lineWriter) flush() {
	if len(w.carry) > 0 {
		w.line(w.carry)
		w.carry = w.carry[:0]
	}
}

func (w *lineWriter) line(b []byte) {
	d := -1
	for k, dir := range w.dirs {
		if len(b) >= len(dir) && string(b[:len(dir)]) == string(dir) {
			d, b = w.index[k], b[len(dir):]
			break
		}
	}
	if d < 0 {
		panic("qmail: a line of query's output names no logdir")
	}
	t, n, ok := w.st.Parse(b)
	if !ok {
		w.fn(w.last[d], false, b)
		return
	}
	w.last[d] = t
	w.fn(t, true, query.Body(b, n))
}

// IsUsage reports whether err is an error in the arguments (exit 100)
// rather than in reading the logs.
func IsUsage(err error) bool { return errors.Is(err, query.ErrUsage) || errors.Is(err, query.ErrTime) }
