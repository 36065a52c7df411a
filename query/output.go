package query

import (
	"bufio"
	"bytes"
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
	// "2026-01-02T15:04:05.123456500Z". A label RFC 3339 cannot write
	// (a year past 9999, nanoseconds past 999999999) is left as it is.
	UTC
	// JSON prints one object per line:
	// {"time":"2026-01-02T15:04:05.123456500Z","logdir":"./main","line":"text"}.
	// The time is null for a line with no label of its own (or one RFC
	// 3339 cannot write); line is the text after the label and its space.
	JSON
	// ISO replaces the label with RFC 3339 in the local zone, with its
	// offset and nine decimals: "2026-01-02T16:04:05.123456500+01:00"
	// (journalctl -o short-iso). A time RFC 3339 cannot write is left as
	// it is.
	ISO
	// Unix replaces the label with seconds since the epoch and nine
	// decimals, "1767366245.123456500", as date +%s.%N (journalctl -o
	// short-unix).
	Unix
	// Cat prints the text after the label and its space only (journalctl
	// -o cat).
	Cat
)

// clock turns labels into civil times in one zone without allocating.
// The zone and the formatting are tai64's, the ones tai64nlocal uses, so
// --local prints what tai64nlocal prints; clock adds the separator of RFC
// 3339 for histogram labels.
type clock struct {
	l *tai64.Localizer
}

// newClock returns a clock for zone (nil: UTC) in tai64nlocal's format.
func newClock(zone *tai64.Zone) *clock {
	return &clock{l: tai64.NewLocalizer(tai64.LocalConfig{Zone: zone})}
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

// zoneOffset returns the zone's offset east of UTC at Unix second sec
// (0 where it has none), cached over the span it holds for.
func (c *clock) zoneOffset(sec int64) int64 {
	off, _ := c.l.Offset(sec)
	return off
}

// newUTC returns the formatter of UTC times: RFC 3339 with nine digits,
// "2026-01-02T15:04:05.123456500Z".
func newUTC() *tai64.Localizer {
	return tai64.NewLocalizer(tai64.LocalConfig{Format: tai64.FormatRFC3339})
}

// printer writes lines in one format.
type printer struct {
	w      *bufio.Writer
	format Format
	prefix bool // write "logdir:" before each line (not in JSON)
	local  *clock
	utc    *tai64.Localizer // newUTC
	other  *tai64.Localizer // ISO, Unix
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
		n := len(b)
		ok := false
		if l.Stamped {
			if b, ok = p.utc.AppendTime(append(b, '"'), l.Time); ok {
				b = append(b, '"')
			}
		}
		if !ok { // no label, or one RFC 3339 cannot write
			b = append(b[:n], "null"...)
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
		case !l.Stamped || p.format == Raw: // an unstamped line is its text, also for Cat
			b = append(b, l.Text...)
		case p.format == Local:
			b = p.local.appendTime(b, l.Time, ' ')
			b = append(b, l.Text[l.StampLen:]...)
		case p.format == UTC:
			if u, ok := p.utc.AppendTime(b, l.Time); ok {
				b = append(u, l.Text[l.StampLen:]...)
			} else {
				b = append(b, l.Text...) // a year RFC 3339 cannot write
			}
		case p.format == ISO || p.format == Unix:
			if u, ok := p.other.AppendTime(b, l.Time); ok {
				b = append(u, l.Text[l.StampLen:]...)
			} else {
				b = append(b, l.Text...)
			}
		case p.format == Cat:
			b = append(b, body(l)...)
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
