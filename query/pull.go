package query

import (
	"context"
	"errors"
	"iter"
	"path/filepath"
)

// Record is one line a [Pull] yields, with where it is.
type Record struct {
	Line
	// Index is the line's logdir: its index in the logdirs given.
	Index int
	// Pos is the exact position just after the line (its Logdir cleaned
	// with filepath.Clean): a pull or a query given a [Cursor] holding it
	// resumes with the next line, in the same file if it is still there
	// (plain or compressed), else by time.
	Pos Position
}

// Pull returns the lines of logdirs that Run would select, merged the same
// way, each with its time, its logdir and its exact position: for a
// program that consumes lines and must resume where it stopped (mlog
// ship). It starts each logdir at cfg.Cursor's position, if cfg.Cursor
// names it. With cfg.Follow it goes on across rotations, waiting for new
// lines, until ctx is done, and then ends without an error.
//
// A pull leaves a partial last line of current unread, as a query with a
// cursor does: its rest is still to come. Format, Prefix, Count and
// Histogram are ignored. If cfg.Save is set, cfg.Cursor (which must then
// be set) is updated with the position after the last line looked at in
// each logdir, matching or not, and Save is called, whenever the pull has
// yielded every line there is for now: before it waits for more, and at
// its end. A consumer that batches its work can flush it there.
//
// The Record (and its Text) is valid until the loop goes on to the next
// one. The Text of a line longer than [MaxLine] is its first MaxLine
// bytes, and Pos is after its end. A failure ends the sequence with a nil
// Record and the error; files that are skipped or cannot be read are
// reported through cfg.Warn, and the sequence goes on.
func Pull(ctx context.Context, cfg Config, logdirs []string) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		cfg.Count, cfg.Histogram = false, 0
		if len(logdirs) == 0 {
			yield(nil, &UsageError{Msg: "no logdir"})
			return
		}
		if err := checkRange(&cfg); err != nil {
			yield(nil, err)
			return
		}
		if cfg.Save != nil && cfg.Cursor == nil {
			yield(nil, &UsageError{Msg: "Save without a Cursor"})
			return
		}
		q := &query{cfg: &cfg}
		defer q.close()
		keys := make([]string, len(logdirs))
		for i, dir := range logdirs {
			s, err := q.openStream(dir)
			if err != nil {
				yield(nil, err)
				return
			}
			s.hold = true // positions must be resumable: no partial line
			q.streams = append(q.streams, s)
			keys[i] = filepath.Clean(dir)
		}
		if nothingBefore(&cfg) {
			return
		}
		var r Record
		var long []byte // the first piece of a long line, kept while the rest is skipped
		stopped := false
		take := func(i int, l *Line) error {
			if cfg.Match != nil && !cfg.Match(body(l)) {
				return nil
			}
			s := q.streams[i]
			r.Line, r.Index = *l, i
			if l.more != nil {
				// Its end, for Pos, is known once its rest is read; the
				// rest reuses the reader's buffer.
				long = append(long[:0], l.Text...)
				s.finishLine()
				r.Text, r.more = long, nil
			}
			r.Pos = s.pos
			r.Pos.Logdir = keys[i]
			if !yield(&r, nil) {
				stopped = true
				return errStop
			}
			return nil
		}
		save := func() error {
			if cfg.Save == nil {
				return nil
			}
			for _, s := range q.streams {
				cfg.Cursor.set(s.done)
			}
			return cfg.Save(cfg.Cursor)
		}
		err := q.merge(ctx, take)
		if err == nil {
			err = save()
		}
		if err == nil && cfg.Follow {
			err = q.followEach(ctx, take, save)
		}
		if stopped || cfg.Follow && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return
		}
		if err != nil {
			yield(nil, err)
		}
	}
}

// Set records p in c, replacing the position of the same logdir: for a
// program that keeps its own positions (from [Record.Pos]) and saves
// them with [SaveCursor].
func (c *Cursor) Set(p Position) { c.set(p) }
