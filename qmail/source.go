package qmail

// All of the package's use of package query is in this file: the lines of
// logdirs come from query's pull, so that the files read, the time forms,
// the lines' times and the cursor are query's own.

import (
	"context"
	"encoding/binary"
	"errors"
	"iter"

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

// Read calls fn with each line of logdirs in rng, merged in time order, as
// mlog query selects them: its time (query's: a line without a stamp of
// its own takes the stamp before it in its file), whether it has a stamp,
// and its text after the stamp. The text is valid only during the call.
// If cursor is not empty, reading starts after the position it holds
// (mlog query's cursor text), and a partial last line of current is left
// for the next run; the returned cursor is where reading stopped. It
// returns how many files could not be read.
//
// The lines come from query's pull (query.Pull with a cursor, query.Lines
// without), in a goroutine of its own, packed into chunks and handed to fn
// in this one: reading the files (decompressing, finding lines and stamps,
// merging logdirs) and joining and counting the lines take a core each.
func Read(ctx context.Context, rng Range, logdirs []string, cursor []byte, fn func(t tai64.Time, stamped bool, body []byte)) (newCursor []byte, failed int, err error) {
	cfg := query.Config{
		Since: rng.Since, Until: rng.Until, HasUntil: rng.HasUntil,
		Zone: rng.Zone, Warn: rng.Warn, Failed: &failed,
	}
	var lines iter.Seq2[*query.Line, error]
	if cursor != nil {
		cfg.Cursor = &query.Cursor{}
		if err := cfg.Cursor.UnmarshalText(cursor); err != nil {
			return nil, 0, err
		}
		// Save makes the pull update the cursor at its end.
		cfg.Save = func(*query.Cursor) error { return nil }
		lines = func(yield func(*query.Line, error) bool) {
			for r, err := range query.Pull(ctx, cfg, logdirs) {
				if r == nil {
					yield(nil, err)
					return
				}
				if !yield(&r.Line, nil) {
					return
				}
			}
		}
	} else {
		lines = query.Lines(ctx, cfg, logdirs)
	}
	ch, first := newChunks(pipeDepth, pipeChunk)
	go func() {
		b := first
		for l, lerr := range lines {
			if l == nil {
				err = lerr
				break
			}
			body := l.Text
			if l.Stamped {
				body = query.Body(l.Text, l.StampLen)
			}
			body = body[:min(len(body), maxCarry)]
			if len(b) > 0 && len(b)+lineHeader+len(body) > cap(b) {
				b = ch.send(b)
			}
			b = appendLine(b, l.Time, l.Stamped, body)
		}
		ch.close(b)
	}()
	ch.each(func(b []byte) { eachLine(b, fn) })
	if err != nil {
		return nil, failed, err
	}
	if cfg.Cursor != nil {
		if newCursor, err = cfg.Cursor.MarshalText(); err != nil {
			return nil, failed, err
		}
	}
	return newCursor, failed, nil
}

// maxCarry bounds the bytes of a line handed on: the rest of a longer
// line is dropped (qmail's lines are short; a longer one is not a qmail
// line).
const maxCarry = 64 << 10

// pipeChunk is how many bytes of lines go to the consumer at a time, and
// pipeDepth how many such chunks may wait.
const (
	pipeChunk = 256 << 10
	pipeDepth = 4
)

// A line in a chunk is its stamp's seconds (8 bytes), its nanoseconds with
// the top bit set if the line has a stamp of its own (4), its body's
// length (4), then the body.
const lineHeader = 16

const stampedBit = 1 << 31

func appendLine(b []byte, t tai64.Time, stamped bool, body []byte) []byte {
	nsec := t.Nsec
	if stamped {
		nsec |= stampedBit
	}
	b = binary.LittleEndian.AppendUint64(b, t.Sec)
	b = binary.LittleEndian.AppendUint32(b, nsec)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

// eachLine calls fn with each line appendLine put in b.
func eachLine(b []byte, fn func(t tai64.Time, stamped bool, body []byte)) {
	for len(b) >= lineHeader {
		sec := binary.LittleEndian.Uint64(b)
		nsec := binary.LittleEndian.Uint32(b[8:])
		n := int(binary.LittleEndian.Uint32(b[12:]))
		body := b[lineHeader : lineHeader+n]
		fn(tai64.Time{Sec: sec, Nsec: nsec &^ stampedBit}, nsec&stampedBit != 0, body)
		b = b[lineHeader+n:]
	}
}

// IsUsage reports whether err is an error in the arguments (exit 100)
// rather than in reading the logs.
func IsUsage(err error) bool { return errors.Is(err, query.ErrUsage) || errors.Is(err, query.ErrTime) }
