package query

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"strconv"
	"time"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/tai64"
)

// Config says what a query reads and how it prints it. The zero value
// prints every line of the logdirs as it is stored.
type Config struct {
	// Since is the first instant printed; zero means from the start.
	Since tai64.Time
	// Until is the first instant not printed; zero means no end, unless
	// HasUntil is set. Since == Until is an empty range: nothing matches.
	Until tai64.Time
	// HasUntil makes a zero Until a bound rather than no end: the label
	// @000000000000000000000000, before which nothing is.
	HasUntil bool

	// Match selects lines by their text after the label and its space
	// (see [MatchFixed] and [MatchRegexp]). Nil selects every line. It
	// must not keep the slice.
	Match func(text []byte) bool

	// Scan reads every byte of every file and trusts no order: for logs
	// written while the clock was stepped back and forth. The result is the
	// same as a full scan's by construction; without Scan it is the same
	// unless a file's stamps go backwards in a way no probe sees (see the
	// package doc).
	Scan bool

	// Format is how lines are printed.
	Format Format
	// Zone is the zone of Local times and of histogram buckets, as
	// [tai64.LoadZone] loads it for TZ; nil means UTC.
	Zone *tai64.Zone
	// Prefix writes "LOGDIR:" before each line and each count, as grep
	// does with several files.
	Prefix bool

	// Count prints the number of matching lines instead of the lines.
	Count bool
	// Histogram, if not zero, prints the number of matching lines per
	// bucket of this width, with a bar each, instead of the lines; with
	// Format JSON it prints {"time":...,"count":...} objects.
	Histogram time.Duration
	// Width is the terminal width for histogram bars; zero means 80.
	Width int

	// Last, if HasLast, keeps only the last Last lines of those selected,
	// as tail -n and journalctl -n do; with Follow, the lines that arrive
	// later are all printed. Each logdir is read backwards from its end
	// until it has shown Last matching lines, so the cost grows with
	// Last, not with the logdir. Last is 0 to print none (and follow from
	// the end).
	Last    int
	HasLast bool

	// Follow keeps reading the logdirs after the existing lines, printing
	// lines as they come, across rotations, until ctx is done.
	Follow bool
	// Poll is how often Follow looks at the logdirs when no change
	// notification comes; zero means one second.
	Poll time.Duration

	// Cursor, if not nil, gives where to start in each logdir it names,
	// and is updated to where the query stopped. A partial last line of
	// current is then left for the next run.
	Cursor *Cursor
	// Save, if not nil, is called with Cursor whenever the output has been
	// flushed, so that a cursor on disk never runs ahead of the output.
	Save func(*Cursor) error

	// Warn reports problems that do not stop the query.
	Warn func(error)
	// Failed, if not nil, is incremented for each file that could not be
	// read, or not to its end: what [Stats].Failed counts, for [Pull] and
	// [Lines], which return no Stats.
	Failed *int

	// Progress, if set, is called as the query starts each file with the
	// bytes of the files before it and of all files chosen (compressed
	// sizes for compressed archives), and once more with done == total
	// when the chosen files are read. For a progress display.
	Progress func(done, total int64)
}

// Stats says what a query found.
type Stats struct {
	Matched int64   // lines selected and printed (or counted)
	Counts  []int64 // the same per logdir, in the order given

	// Failed counts the files that could not be read, or not to their
	// end: each was reported through Config.Warn as an [*OpError], and the
	// query went on with the others (as grep goes on after a file it
	// cannot read). Files skipped because they are not regular files
	// ([*SkipError]) are reported but not counted.
	Failed int
}

// ErrUsage reports a configuration that cannot be run, such as Until
// before Since.
var ErrUsage = fault.ErrUsage

// UsageError is a configuration that cannot be run: the toolkit's one
// usage error type. It is [ErrUsage].
type UsageError = fault.UsageError

// outBufSize is the output buffer: large writes to a pipe or file.
const outBufSize = 64 << 10

// maxBuckets bounds a histogram.
const maxBuckets = 100000

// query is one run.
type query struct {
	cfg     *Config
	streams []*stream
	heads   []bool
	out     *bufio.Writer
	pr      printer
	hist    *histogram
	last    *ring // Config.HasLast, until the lines there were are printed
	stats   Stats
	skipped map[string]bool // the paths of files skipped and reported

	progDone, progTotal int64 // for Config.Progress
	progLast            int64 // the last done reported
}

// started counts a file the query starts reading, for Config.Progress.
func (q *query) started(lf *logFile) {
	if q.cfg.Progress != nil {
		q.progress(q.progDone)
		q.progDone += lf.size
	}
}

// ticked reports that read bytes of lf, the file a stream is in, are
// read: a long file moves the progress too, not only its end.
func (q *query) ticked(lf *logFile, read int64) {
	q.progress(q.progDone - lf.size + min(read, lf.size))
}

// progress calls Config.Progress with done, never less than before (the
// files of several logdirs are read in turns).
func (q *query) progress(done int64) {
	q.progLast = max(q.progLast, done)
	q.cfg.Progress(q.progLast, q.progTotal)
}

// Run prints to w the lines of logdirs whose time lies in [cfg.Since,
// cfg.Until) and that cfg.Match selects, merged into one stream in time
// order (a line from an earlier logdir first when times are equal). With
// cfg.Follow it then keeps printing new lines until ctx is done, and then
// returns nil: a follow ends only when asked to.
func Run(ctx context.Context, cfg Config, logdirs []string, w io.Writer) (Stats, error) {
	if len(logdirs) == 0 {
		return Stats{}, &UsageError{Msg: "no logdir"}
	}
	if err := checkRange(&cfg); err != nil {
		return Stats{}, err
	}
	if cfg.Follow && (cfg.Count || cfg.Histogram != 0) {
		return Stats{}, &UsageError{Msg: "follow cannot count or draw a histogram"}
	}
	if cfg.HasLast && (cfg.Count || cfg.Histogram != 0) {
		return Stats{}, &UsageError{Msg: "the last lines cannot be counted or drawn as a histogram"}
	}
	if cfg.HasLast && cfg.Last < 0 {
		return Stats{}, &UsageError{Msg: "negative number of last lines"}
	}
	if cfg.Histogram < 0 {
		return Stats{}, &UsageError{Msg: "negative histogram bucket"}
	}
	q := &query{cfg: &cfg, out: bufio.NewWriterSize(w, outBufSize)}
	q.pr = printer{w: q.out, format: cfg.Format, prefix: cfg.Prefix, local: newClock(cfg.Zone), utc: newUTC()}
	switch cfg.Format {
	case ISO:
		q.pr.other = tai64.NewLocalizer(tai64.LocalConfig{Format: tai64.FormatRFC3339, Zone: cfg.Zone})
	case Unix:
		q.pr.other = tai64.NewLocalizer(tai64.LocalConfig{Format: tai64.FormatUnix})
	}
	if cfg.Histogram != 0 {
		hzone := cfg.Zone
		if cfg.Format == UTC || cfg.Format == JSON || cfg.Format == Unix {
			hzone = nil
		}
		q.hist = newHistogram(cfg.Histogram, hzone)
	}
	q.stats.Counts = make([]int64, len(logdirs))
	defer q.close()
	for _, dir := range logdirs {
		s, err := q.openStream(dir)
		if err != nil {
			return q.stats, err
		}
		q.streams = append(q.streams, s)
	}
	if cfg.HasLast {
		q.narrowToLast()
	}
	if nothingBefore(&cfg) {
		// Nothing is before the zero label: no line can match, now or
		// later. The logdirs were opened, so that a missing one is still
		// an error.
		cfg.Follow = false
	} else if err := q.drain(ctx); err != nil {
		q.out.Flush()
		return q.stats, err
	}
	if q.last != nil {
		n, err := q.last.flush(q.out)
		q.stats.Matched += n
		q.last = nil
		if err != nil {
			return q.stats, err
		}
	}
	if cfg.Progress != nil {
		cfg.Progress(q.progTotal, q.progTotal)
	}
	if err := q.finish(); err != nil {
		return q.stats, err
	}
	if err := q.flush(); err != nil {
		return q.stats, err
	}
	if cfg.Follow {
		return q.stats, q.follow(ctx)
	}
	return q.stats, nil
}

func (q *query) close() {
	for _, s := range q.streams {
		s.close()
		if s.tail != nil {
			s.tail.close()
		}
	}
}

// openStream opens one logdir, starting at the cursor's position if the
// cursor names it.
func (q *query) openStream(dir string) (*stream, error) {
	cfg := q.cfg
	rng := &timeRange{since: cfg.Since, until: cfg.Until, scan: cfg.Scan}
	var pos *Position
	if cfg.Cursor != nil {
		pos = cfg.Cursor.find(dir)
	}
	openSince := rng.since
	if pos != nil && openSince.Before(pos.Time) {
		// Archives finished before the cursor's line hold nothing after it.
		openSince = pos.Time
	}
	if rng.scan {
		openSince = tai64.Time{}
	}
	files, err := openLogdir(dir, openSince, cfg.Follow, q.report)
	if err != nil {
		return nil, err
	}
	st := NewStamper(q.stampZone())
	s := newStream(dir, rng, files, st)
	s.report = q.report
	s.hold = cfg.Follow || cfg.Cursor != nil
	for _, lf := range files {
		q.progTotal += lf.size
	}
	s.started = q.started
	if cfg.Progress != nil {
		s.tick = q.ticked
	}
	if pos == nil {
		return s, nil
	}
	s.pos = *pos
	s.pos.Logdir = dir
	s.done = s.pos
	i, seen := s.locate(files, pos)
	if i >= 0 {
		for _, old := range files[:i] {
			old.close()
		}
		s.files = files[i:]
		s.startFile, s.startOff, s.startTime = files[i], pos.Offset, pos.Time
		return s, nil
	}
	if pos.HeadLen > 0 && !seen {
		// The file was there when the position was saved: it has been
		// pruned since (or rewritten by a processor).
		q.warn(&OpError{Op: "resume", Path: dir, Err: errors.New("the file of the cursor's last line is gone (pruned?): lines after it in that file are lost, and the rest is found by time")})
	}
	s.skip, s.skipTime, s.skipN = true, pos.Time, pos.N
	if rng.since.Before(pos.Time) {
		rng.since = pos.Time
	}
	return s, nil
}

// Lines returns the lines of logdirs that Run would select, merged the
// same way, for a program that wants them rather than their text. Format,
// Prefix, Count, Histogram, Follow, Cursor and Save are ignored. Each Line
// (and its Text) is valid until the loop goes on to the next one; the
// Text of a line longer than [MaxLine] is its first MaxLine bytes. A
// failure ends the sequence with a nil Line and the error; files that are
// skipped or cannot be read are reported through cfg.Warn, and the
// sequence goes on.
func Lines(ctx context.Context, cfg Config, logdirs []string) iter.Seq2[*Line, error] {
	return func(yield func(*Line, error) bool) {
		cfg.Follow, cfg.Cursor, cfg.Count, cfg.Histogram = false, nil, false, 0
		if err := checkRange(&cfg); err != nil {
			yield(nil, err)
			return
		}
		if nothingBefore(&cfg) {
			return
		}
		q := &query{cfg: &cfg}
		defer q.close()
		for _, dir := range logdirs {
			s, err := q.openStream(dir)
			if err != nil {
				yield(nil, err)
				return
			}
			q.streams = append(q.streams, s)
		}
		stopped := false
		err := q.merge(ctx, func(i int, l *Line) error {
			if cfg.Match != nil && !cfg.Match(body(l)) {
				return nil
			}
			if !yield(l, nil) {
				stopped = true
				return errStop
			}
			return nil
		})
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// checkRange refuses a range that ends before it starts. One that ends
// where it starts is valid and empty, as grep's answer to a pattern no
// line has: nothing matches.
func checkRange(cfg *Config) error {
	if (cfg.HasUntil || !isZero(cfg.Until)) && cfg.Until.Before(cfg.Since) {
		return &UsageError{Msg: "invalid time range: until " + rfc3339(cfg.Until) + " is before since " + rfc3339(cfg.Since)}
	}
	return nil
}

// nothingBefore reports whether the range ends at the zero label, where
// the rest of the package reads a zero Until as no end.
func nothingBefore(cfg *Config) bool { return cfg.HasUntil && isZero(cfg.Until) }

// errStop ends a merge early.
var errStop = errors.New("stop")

// drain merges the streams until they end, handing each line to take.
func (q *query) drain(ctx context.Context) error {
	return q.merge(ctx, q.take)
}

// merge merges the streams until they end, handing each line to take.
func (q *query) merge(ctx context.Context, take func(i int, l *Line) error) error {
	q.heads = make([]bool, len(q.streams))
	for i, s := range q.streams {
		q.heads[i] = s.next()
		if s.err != nil {
			return s.err
		}
	}
	for n := 0; ; n++ {
		best := -1
		for i, s := range q.streams {
			if q.heads[i] && (best < 0 || s.line.Time.Before(q.streams[best].line.Time)) {
				best = i
			}
		}
		if best < 0 {
			return nil
		}
		s := q.streams[best]
		if err := take(best, &s.line); err != nil {
			return err
		}
		s.finishLine()
		s.done = s.pos
		q.heads[best] = s.next()
		if s.err != nil {
			return s.err
		}
		if n&0xfff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// take handles one line of stream i.
func (q *query) take(i int, l *Line) error {
	if q.cfg.Match != nil && !q.cfg.Match(body(l)) {
		return nil
	}
	if q.last != nil {
		q.last.add(l)
		return nil
	}
	q.stats.Matched++
	q.stats.Counts[i]++
	switch {
	case q.hist != nil:
		q.hist.add(l.Time)
		return nil
	case q.cfg.Count:
		return nil
	}
	return q.pr.print(l)
}

// finish prints the counts or the histogram.
func (q *query) finish() error {
	switch {
	case q.hist != nil:
		return q.hist.print(q.out, q.cfg)
	case q.cfg.Count:
		var b []byte
		if q.cfg.Prefix {
			for i, s := range q.streams {
				b = append(b, s.dir...)
				b = append(b, ':')
				b = strconv.AppendInt(b, q.stats.Counts[i], 10)
				b = append(b, '\n')
			}
		} else {
			b = strconv.AppendInt(b, q.stats.Matched, 10)
			b = append(b, '\n')
		}
		_, err := q.out.Write(b)
		return err
	}
	return nil
}

// flush writes out what is buffered, then saves the cursor.
func (q *query) flush() error {
	if err := q.out.Flush(); err != nil {
		return err
	}
	if q.cfg.Cursor == nil {
		return nil
	}
	for _, s := range q.streams {
		q.cfg.Cursor.set(s.done)
	}
	if q.cfg.Save != nil {
		return q.cfg.Save(q.cfg.Cursor)
	}
	return nil
}

// report passes on a file that was skipped or could not be read. A
// skipped file is reported once per run: a follow lists its logdirs again
// at each rotation.
func (q *query) report(err error) {
	var se *SkipError
	if errors.As(err, &se) {
		if q.skipped[se.Path] {
			return
		}
		if q.skipped == nil {
			q.skipped = map[string]bool{}
		}
		q.skipped[se.Path] = true
	} else {
		q.stats.Failed++
		if q.cfg.Failed != nil {
			*q.cfg.Failed++
		}
	}
	q.warn(err)
}

func (q *query) warn(err error) {
	if q.cfg.Warn != nil {
		q.cfg.Warn(err)
	}
}

// checkPosition reports whether the line that ends at pos.Offset in lf is
// the cursor's: it ends with a newline and has the cursor's time, if it has
// a stamp. An inode number can be reused once its file is gone.
func checkPosition(lf *logFile, pos *Position, st *Stamper) bool {
	if pos.Offset == 0 {
		return true
	}
	if pos.Offset > lf.size {
		return false
	}
	lo := max(0, pos.Offset-probeSize)
	b := make([]byte, pos.Offset-lo)
	if _, err := lf.f.ReadAt(b, lo); err != nil || b[len(b)-1] != '\n' {
		return false
	}
	i := bytes.LastIndexByte(b[:len(b)-1], '\n')
	if i < 0 && lo > 0 {
		return true // a line longer than a probe: trust the inode
	}
	t, ok := st.of(b[i+1:])
	return !ok || t == pos.Time
}

// stampZone is the zone of stamps written without one (s6-log's T): the
// zone of local times. A nil *tai64.Zone (UTC) becomes a nil WallZone, not
// a nil pointer inside the interface.
func (q *query) stampZone() WallZone {
	if q.cfg.Zone == nil {
		return nil
	}
	return q.cfg.Zone
}

// rfc3339 formats t for messages.
func rfc3339(t tai64.Time) string {
	if b, ok := newUTC().AppendTime(nil, t); ok {
		return string(b)
	}
	return t.String()
}
