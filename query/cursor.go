package query

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/mlog/mlog/internal/durable"
	"github.com/mlog/mlog/tai64"
)

// Position is how far a query has read one logdir: just after the last
// line it considered, whether or not the line matched.
//
// A position names the line three ways. Dev, Ino and Offset are the file
// it was in and the byte after it (for a compressed archive, the byte of
// its decompressed stream): if that file is still in the logdir, as
// current or under an archive name, reading resumes there, exactly,
// whatever the stamps say. Head is a hash of the file's first HeadLen
// bytes: when the file is gone under its inode because it was compressed
// meanwhile (the compressed archive is a new inode), the archive whose
// first bytes hash the same is the file, and reading resumes there at
// Offset in its decompressed stream, then goes on through every file
// after it, whatever their stamps (the files our multilog writes are named
// in the order it wrote them). Only when no file is the position's (it
// was pruned, or a processor rewrote it) does reading resume by time:
// after the N-th line at Time, which misses lines only if the clock
// stepped back.
type Position struct {
	Logdir  string     // the logdir, cleaned with filepath.Clean
	Dev     uint64     // the device and inode of the file
	Ino     uint64     //
	Offset  int64      // the byte after the line in that file (decompressed)
	HeadLen int64      // how many bytes of the file's start Head hashes: min(Offset, headSize)
	Head    uint64     // FNV-1a of those bytes (see headHash)
	Time    tai64.Time // the line's time
	N       int64      // how many lines up to it had exactly Time (N >= 1 once a line was read)
}

// headSize bounds the bytes of a file's start a position hashes: enough
// for the first line's stamp (unique to the microsecond in a logdir our
// multilog writes) and its text.
const headSize = 128

// headHash is FNV-1a (64 bits) of b. It does not allocate.
func headHash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// Cursor is the positions of a query in its logdirs, for --cursor: a query
// given a cursor starts each logdir after its position, and leaves there
// the position after the last line it read.
type Cursor struct {
	Positions []Position
}

// cursorMagic starts a cursor's text form. Version 1 had no head: its
// positions resume by time when their file is gone.
const (
	cursorMagic   = "mlog-query-cursor 2\n"
	cursorMagicV1 = "mlog-query-cursor 1\n"
)

// ErrCursor reports a cursor text that [Cursor.UnmarshalText] cannot read.
var ErrCursor = errors.New("invalid cursor")

// find returns the position of logdir dir, or nil.
func (c *Cursor) find(dir string) *Position {
	dir = filepath.Clean(dir)
	for i := range c.Positions {
		if c.Positions[i].Logdir == dir {
			return &c.Positions[i]
		}
	}
	return nil
}

// set records p, replacing the position of the same logdir.
func (c *Cursor) set(p Position) {
	p.Logdir = filepath.Clean(p.Logdir)
	if q := c.find(p.Logdir); q != nil {
		*q = p
		return
	}
	c.Positions = append(c.Positions, p)
}

// MarshalText returns the cursor as text: a header line, then one line
// per logdir, "LABEL N DEV INO OFFSET HEADLEN HEAD QUOTED-LOGDIR".
func (c *Cursor) MarshalText() ([]byte, error) {
	b := []byte(cursorMagic)
	for _, p := range c.Positions {
		b = p.Time.Append(b)
		// %q quotes as strconv.Quote does; Unquote reads it back.
		b = fmt.Appendf(b, " %d %d %d %d %d %d %q\n", p.N, p.Dev, p.Ino, p.Offset, p.HeadLen, p.Head, p.Logdir)
	}
	return b, nil
}

// UnmarshalText reads what [Cursor.MarshalText] wrote. An empty text is an
// empty cursor.
func (c *Cursor) UnmarshalText(text []byte) error {
	c.Positions = nil
	if len(text) == 0 {
		return nil
	}
	v1 := false
	rest, ok := bytes.CutPrefix(text, []byte(cursorMagic))
	if !ok {
		if rest, ok = bytes.CutPrefix(text, []byte(cursorMagicV1)); !ok {
			return ErrCursor
		}
		v1 = true
	}
	for len(rest) > 0 {
		line, after, ok := bytes.Cut(rest, []byte{'\n'})
		if !ok {
			return ErrCursor
		}
		rest = after
		p, err := parsePosition(line, v1)
		if err != nil {
			return err
		}
		c.set(p)
	}
	return nil
}

func parsePosition(line []byte, v1 bool) (Position, error) {
	var p Position
	t, n, err := tai64.Parse(line)
	if err != nil {
		return p, ErrCursor
	}
	p.Time = t
	nf := 8
	if v1 {
		nf = 6
	}
	fields := bytes.SplitN(line[n:], []byte{' '}, nf)
	if len(fields) != nf || len(fields[0]) != 0 {
		return p, ErrCursor
	}
	var e [6]error
	p.N, e[0] = strconv.ParseInt(string(fields[1]), 10, 64)
	p.Dev, e[1] = strconv.ParseUint(string(fields[2]), 10, 64)
	p.Ino, e[2] = strconv.ParseUint(string(fields[3]), 10, 64)
	p.Offset, e[3] = strconv.ParseInt(string(fields[4]), 10, 64)
	if !v1 {
		p.HeadLen, e[4] = strconv.ParseInt(string(fields[5]), 10, 64)
		p.Head, e[5] = strconv.ParseUint(string(fields[6]), 10, 64)
	}
	for _, err := range e {
		if err != nil {
			return p, ErrCursor
		}
	}
	dir, err := strconv.Unquote(string(fields[nf-1]))
	if err != nil || p.N < 0 || p.Offset < 0 || p.HeadLen < 0 || p.HeadLen > headSize {
		return p, ErrCursor
	}
	p.Logdir = dir
	return p, nil
}

// SaveCursor replaces the cursor file at path whole: a temporary file is
// written and fsynced, renamed over path, and the directory fsynced
// (google/renameio's order), so a crash leaves the old cursor or the new.
func SaveCursor(path string, c *Cursor) error {
	b, err := c.MarshalText()
	if err != nil {
		return err
	}
	return durable.WriteFile(path, b)
}
