package qmail

import (
	"context"
	"os"
	"time"

	"github.com/mlog/mlog/tai64"
)

// Config says what [Collect] and [Trace] read.
type Config struct {
	Range
	// By, if not zero, makes Collect keep a time series of buckets this
	// wide (Stats.Series).
	By time.Duration
	// State, if not nil, is where the last run stopped: reading starts
	// there, with the messages it left open, and State is updated to where
	// this run stopped. Runs over consecutive parts of a log then count
	// what one run over it all counts.
	State *State
	// Cumulative makes a run with a State report everything counted since
	// the State was new, as one run over it all would, percentiles
	// included, rather than what this run read. The State then holds the
	// counts (its delays and top lists too) and is for this range and By
	// only: with another (--since today, the next day), it starts afresh.
	Cumulative bool
}

// Collect reads the lines of logdirs in cfg's range and counts them.
// Files that could not be read are reported through cfg.Warn and counted
// in Stats.FailedFiles.
func Collect(ctx context.Context, cfg Config, logdirs []string) (Stats, error) {
	j := NewJoiner()
	var cursor []byte
	key := rangeKey(&cfg)
	st := cfg.State
	same := st != nil && st.path != "" && (st.Totals != nil) == cfg.Cumulative
	if st != nil && cfg.Cumulative && (st.Totals == nil || st.Totals.Range != key) {
		// Counts of another range, or none: count from the start.
		*st = State{Magic: stateMagic}
		same = false
	}
	if st != nil {
		j.Restore(st)
		cursor = []byte(st.Query)
	}
	c := NewCollector(j, cfg.By)
	if st != nil && cfg.Cumulative && st.Totals != nil {
		c.restore(st.Totals)
	}
	lines := c.s.Lines
	wait := c.background()
	newCursor, failed, err := Read(ctx, cfg.Range, logdirs, cursor, func(t tai64.Time, stamped bool, body []byte) {
		c.Add(t, stamped, body)
	})
	wait()
	s, serr := c.stats()
	s.FailedFiles = failed
	if serr != nil {
		if serr == ErrState {
			serr = &os.PathError{Op: "read cursor", Path: st.path, Err: ErrState}
		}
		return s, serr
	}
	if err != nil {
		return s, err
	}
	if st != nil {
		// Nothing read and the cursor where it was: the state file
		// holds this state already (SaveState leaves it).
		st.same = same && c.s.Lines == lines && string(newCursor) == st.Query
		j.Save(st)
		st.Query = string(newCursor)
		st.Totals = nil
		if cfg.Cumulative {
			st.Totals = c.save(key, &s)
		}
	}
	return s, nil
}
