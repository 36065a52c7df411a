package query

import (
	"bufio"
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
// allocating. It caches the zone offset over the zone's span and the date
// over the day.
type clock struct {
	loc        *time.Location
	zoneStart  int64 // Unix seconds; the offset holds in [zoneStart, zoneEnd)
	zoneEnd    int64
	offset     int64
	day        int64 // days since 1970-01-01 of date
	date       [32]byte
	dateLen    int
	haveDay    bool
	haveOffset bool

	sec     int64 // the second secText shows
	secSep  byte
	secText [48]byte
	secLen  int
	haveSec bool
}

func newClock(loc *time.Location) *clock {
	return &clock{loc: loc}
}

// appendTime appends t as "YYYY-MM-DD" sep "HH:MM:SS.NNNNNNNNN". The year is
// not padded, as tai64nlocal does not pad it. It does no allocation.
func (c *clock) appendTime(dst []byte, t tai64.Time, sep byte) []byte {
	sec, nsec := t.Unix()
	if !c.haveSec || sec != c.sec || sep != c.secSep {
		c.setSec(sec, sep)
	}
	dst = append(dst, c.secText[:c.secLen]...)
	n := uint32(nsec)
	if n >= 1e9 {
		n = 999999999
	}
	hi, mid, lo := n/1e6, n/1e3%1e3, n%1e3
	return append(dst, digits3[hi*3], digits3[hi*3+1], digits3[hi*3+2],
		digits3[mid*3], digits3[mid*3+1], digits3[mid*3+2],
		digits3[lo*3], digits3[lo*3+1], digits3[lo*3+2])
}

// digits3 is "000001002...999": three digits for each of 0 to 999.
var digits3 = func() []byte {
	b := make([]byte, 0, 3000)
	for i := range 1000 {
		b = append(b, byte('0'+i/100), byte('0'+i/10%10), byte('0'+i%10))
	}
	return b
}()

// setSec caches the text of one second, up to its '.': loggers write
// several lines a second.
func (c *clock) setSec(sec int64, sep byte) {
	if !c.haveOffset || sec < c.zoneStart || sec >= c.zoneEnd {
		c.lookup(sec)
	}
	local := sec + c.offset
	day := floorDiv(local, 86400)
	if !c.haveDay || day != c.day {
		c.setDay(day)
	}
	b := append(c.secText[:0], c.date[:c.dateLen]...)
	b = append(b, sep)
	s := local - day*86400
	b = append2(b, int(s/3600))
	b = append(b, ':')
	b = append2(b, int(s/60%60))
	b = append(b, ':')
	b = append2(b, int(s%60))
	b = append(b, '.')
	c.secLen = len(b)
	c.sec, c.secSep, c.haveSec = sec, sep, true
}

func (c *clock) lookup(sec int64) {
	const forever = 1<<63 - 1
	tm := time.Unix(sec, 0).In(c.loc)
	_, off := tm.Zone()
	c.offset = int64(off)
	c.zoneStart, c.zoneEnd = -forever-1, forever
	start, end := tm.ZoneBounds()
	if !start.IsZero() {
		c.zoneStart = start.Unix()
	}
	if !end.IsZero() {
		c.zoneEnd = end.Unix()
	}
	c.haveOffset = true
	c.haveDay = false
	c.haveSec = false
}

// setDay fills the date of a day number (days since 1970-01-01), by Howard
// Hinnant's days-to-civil algorithm.
func (c *clock) setDay(days int64) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	b := c.date[:0]
	if y < 0 {
		b = append(b, '-')
		y = -y
	}
	b = appendInt(b, y)
	b = append(b, '-')
	b = append2(b, int(m))
	b = append(b, '-')
	b = append2(b, int(d))
	c.dateLen = len(b)
	c.day = days
	c.haveDay = true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

func appendInt(dst []byte, v int64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
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

// body returns the text after a line's label and the space after it.
func body(l *Line) []byte {
	if !l.Stamped {
		return l.Text
	}
	b := l.Text[tai64.LabelLen:]
	if len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

// print writes one line. It does no allocation once its buffer has grown
// to the longest line.
func (p *printer) print(l *Line) error {
	b := p.buf[:0]
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
			b = append(b, l.Text[tai64.LabelLen:]...)
		case p.format == UTC:
			b = p.utc.appendTime(b, l.Time, 'T')
			b = append(b, 'Z')
			b = append(b, l.Text[tai64.LabelLen:]...)
		}
		b = append(b, '\n')
	}
	p.buf = b
	_, err := p.w.Write(b)
	return err
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
