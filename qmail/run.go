package qmail

import (
	"context"
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
	if cfg.State != nil && cfg.Cumulative && (cfg.State.Totals == nil || cfg.State.Totals.Range != key) {
		// Counts of another range, or none: count from the start.
		*cfg.State = State{Magic: stateMagic}
	}
	if cfg.State != nil {
		j.Restore(cfg.State)
		cursor = []byte(cfg.State.Query)
	}
	c := NewCollector(j, cfg.By)
	if cfg.State != nil && cfg.Cumulative && cfg.State.Totals != nil {
		c.restore(cfg.State.Totals)
	}
	wait := c.background()
	newCursor, failed, err := Read(ctx, cfg.Range, logdirs, cursor, func(t tai64.Time, stamped bool, body []byte) {
		c.Add(t, stamped, body)
	})
	wait()
	s := c.Stats()
	s.FailedFiles = failed
	if err != nil {
		return s, err
	}
	if cfg.State != nil {
		j.Save(cfg.State)
		cfg.State.Query = string(newCursor)
		cfg.State.Totals = nil
		if cfg.Cumulative {
			cfg.State.Totals = c.save(key)
		}
	}
	return s, nil
}
