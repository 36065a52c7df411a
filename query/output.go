package query

import (
	"bufio"
	"bytes"
	"time"
	"unicode/utf8"

	"github.com/mlog/mlog/tai64"
)

// Format is how a query prints its lines.
type Format uint8

// The output formats.
const (
	// Raw prints each line as it is stored, label and all.
	Raw Format = iota
	// Local replaces the label with the local time, as tai64nlocal does:
	// "2026-01-02 15:04:05.123456500".
	Local
	// UTC replaces the label with RFC 3339 in UTC with nine decimals:
	// "2026-01-02T15:04:05.123456500Z".
	UTC
	// JSON prints one object per line:
	// {"time":"2026-01-02T15:04:05.123456500Z","logdir":"./main","line":"text"}.
	// The time is null for a line with no label of its own; line is the
	// text after the label and its space.
	JSON
)

// clock turns labels into civil times in one location without
// allocating. The formatting is tai64's Localizer, the one tai64nlocal
// uses, so --local prints what tai64nlocal prints; clock adds the zone
// offset lookup a histogram needs and the separator of RFC 3339.
type clock struct {
	loc *time.Location
	l   *tai64.Localizer

	// offset holds in [zoneStart, zoneEnd) of Unix seconds.
	offset, zoneStart, zoneEnd int64
	haveOffset                 bool
}

func newClock(loc *time.Location) *clock {
	return &clock{loc: loc, l: tai64.NewLocalizer(tai64.LocalConfig{Location: loc})}
}

// appendTime appends t as "YYYY-MM-DD" sep "HH:MM:SS.NNNNNNNNN", the
// year not padded, as tai64nlocal writes it. A label with no civil time
// is appended as it is.
func (c *clock) appendTime(dst []byte, t tai64.Time, sep byte) []byte {
	n := len(dst)
	b, ok := c.l.AppendTime(dst, t)
	if !ok {
		return t.Append(dst[:n])
	}
	if sep != ' ' {
		if i := bytes.IndexByte(b[n:], ' '); i >= 0 {
			b[n+i] = sep
		}
	}
	return b
}

// zoneOffset returns the location's offset east of UTC at Unix second
// sec, cached over the span it holds for.
func (c *clock) zoneOffset(sec int64) int64 {
	if !c.haveOffset || sec < c.zoneStart || sec >= c.zoneEnd {
		c.offset, c.zoneStart, c.zoneEnd = tai64.LocationZone(c.loc, sec)
		c.haveOffset = true
	}
	return c.offset
}

// printer writes lines in one format.
type printer struct {
	w      *bufio.Writer
	format Format
	prefix bool // write "logdir:" before each line (not in JSON)
	local  *clock
	utc    *clock
	buf    []byte
}

// body returns the text after a line's stamp and the space after it.
func body(l *Line) []byte {
	if !l.Stamped {
		return l.Text
	}
	return Body(l.Text, l.StampLen)
}

// print writes one line. It formats it straight into the output buffer
// when it fits, else into its own buffer; it does no allocation once that
// has grown to the longest line.
func (p *printer) print(l *Line) error {
	if l.more != nil {
		return p.printLong(l)
	}
	// An upper bound of the line's length: a time is at most 64 bytes
	// longer than its label, JSON escapes at most 6 bytes per byte.
	n := len(l.Logdir) + len(l.Text) + 64
	if p.format == JSON {
		n = 6*(len(l.Logdir)+len(l.Text)) + 64
	}
	if n > p.w.Available() && n <= p.w.Size() {
		if err := p.w.Flush(); err != nil {
			return err
		}
	}
	if n <= p.w.Available() {
		_, err := p.w.Write(p.appendLine(p.w.AvailableBuffer(), l))
		return err
	}
	p.buf = p.appendLine(p.buf[:0], l)
	_, err := p.w.Write(p.buf)
	return err
}

// appendLine appends l as printed to b.
func (p *printer) appendLine(b []byte, l *Line) []byte {
	if p.format == JSON {
		b = append(b, `{"time":`...)
		if l.Stamped {
			b = append(b, '"')
			b = p.utc.appendTime(b, l.Time, 'T')
			b = append(b, `Z"`...)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"logdir":`...)
		b = appendJSONString(b, []byte(l.Logdir))
		b = append(b, `,"line":`...)
		b = appendJSONString(b, body(l))
		b = append(b, "}\n"...)
	} else {
		if p.prefix {
			b = append(b, l.Logdir...)
			b = append(b, ':')
		}
		switch {
		case !l.Stamped || p.format == Raw:
			b = append(b, l.Text...)
		case p.format == Local:
			b = p.local.appendTime(b, l.Time, ' ')
			b = append(b, l.Text[l.StampLen:]...)
		case p.format == UTC:
			b = p.utc.appendTime(b, l.Time, 'T')
			b = append(b, 'Z')
			b = append(b, l.Text[l.StampLen:]...)
		}
		b = append(b, '\n')
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Bytes that are not UTF-8
// become U+FFFD, as encoding/json does.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
