package tai64

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// Format selects how a [Localizer] writes a time.
type Format uint8

const (
	// FormatLocal is tai64nlocal's "2006-01-02 15:04:05.000000000", with no
	// zone. As in daemontools the year is not padded and a label's
	// nanoseconds above 999999999 are printed as they are (10 digits).
	FormatLocal Format = iota
	// FormatRFC3339 is RFC 3339 with all nine digits of nanoseconds and the
	// zone's offset, "2006-01-02T15:04:05.000000000+09:00", or "Z" where the
	// offset is 0. Years outside 0-9999 and nanoseconds above 999999999 are
	// not shown: such a line is passed through.
	FormatRFC3339
	// FormatUnix is seconds and nanoseconds since 1970-01-01 00:00:00 UTC,
	// "1136214245.000000000", as date +%s.%N prints them.
	FormatUnix
)

var formatNames = [...]string{FormatLocal: "local", FormatRFC3339: "rfc3339", FormatUnix: "unix"}

// String returns the name [ParseFormat] takes: "local", "rfc3339" or "unix".
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ErrFormat reports an unknown format name.
var ErrFormat = errors.New("unknown time format")

// ParseFormat returns the [Format] called name: "local", "rfc3339" or
// "unix".
func ParseFormat(name string) (Format, error) {
	for f, n := range formatNames {
		if n == name {
			return Format(f), nil
		}
	}
	return 0, ErrFormat
}

// LocalConfig says how [LocalLines] and a [Localizer] show times. The zero
// value is daemontools' tai64nlocal run with TZ set to UTC: the daemontools
// format, labels in daemontools' arithmetic.
type LocalConfig struct {
	// Zone is the zone times are shown in, as [LoadZone] loads it; nil
	// means UTC. The caller reads TZ: this package reads no environment.
	Zone *Zone
	// UTC shows times in UTC whatever Zone says (s6-tai64nlocal -g).
	UTC bool
	// Format is how times are written.
	Format Format
	// Digits is the number of digits of the fraction of a second that
	// [FormatRFC3339] writes, cut (not rounded) from the nanoseconds: 1
	// to 9, 0 for all 9, or -1 for none and no '.'.
	Digits int
	// TAI reads labels as true TAI, as s6 and skalibs write them: the leap
	// seconds are taken away (see [Time.ToUTC]) and an inserted leap second
	// shows as 23:59:60, as s6-tai64nlocal shows it. This is also what
	// localtime(3) does with a right/ zone.
	TAI bool

	bufSize int // read and write buffer size; 0 means defaultBufSize (tests set it)
}

// Range of local times that localtime(3) can break down: glibc fails with
// EOVERFLOW when tm_year = year-1900 does not fit in an int, and tai64nlocal
// 0.76 then crashes. These are 2147481748-01-01 00:00:00 and
// 2147485547-12-31 23:59:59.
const (
	minLocal = -67768040609740800
	maxLocal = 67768036191676799
	// Any zone offset is far less than this; times further out fail
	// before we look the zone up.
	maxOffset = 7 * 86400
)

// maxStamp bounds the bytes appendTime writes: a 20-digit year (see
// appendYear), "-MM-DD HH:MM:SS.", 10 digits of nanoseconds and a zone.
const maxStamp = 64

// A Localizer converts TAI64N labels to readable times. It caches the
// zone offset in force (until the zone's next transition) and the last
// second it formatted, so converting a line costs a few integer operations
// and copies: no [time.Time.Format], no allocation. A Localizer is not safe
// for concurrent use.
type Localizer struct {
	zone   *Zone
	format Format
	tai    bool
	cut    int // digits of nanoseconds FormatRFC3339 drops, 0-9; 10 drops the '.' too

	// The zone offset (seconds east of UTC) in force for Unix seconds in
	// [zoneStart, zoneEnd), and zoneOK false if there is none there.
	// zoneStart > zoneEnd means nothing is cached.
	zoneStart, zoneEnd, zoneOff int64
	zoneOK                      bool

	// prefix[:prefixLen] is the text for raw second lastSec up to and
	// including the '.', and suffix[:suffixLen] what follows the
	// nanoseconds (the zone of FormatRFC3339). lastOK is false when
	// lastSec cannot be shown; cached is false until the first second.
	cached    bool
	lastOK    bool
	lastSec   int64
	prefixLen int
	suffixLen int
	prefix    [48]byte
	suffix    [8]byte

	// The 16 seconds digits of the last 24-digit label, as read
	// little-endian, and their value; digitsOK is false until then.
	digitsOK           bool
	digitsHi, digitsLo uint64
	digitsSec          uint64

	scratch [maxStamp]byte // for a stamp that does not fit in the writer
}

// NewLocalizer returns a Localizer for cfg.
func NewLocalizer(cfg LocalConfig) *Localizer {
	l := &Localizer{zone: cfg.Zone, format: cfg.Format, tai: cfg.TAI}
	if cfg.UTC || cfg.Format == FormatUnix {
		l.zone = nil
	}
	switch {
	case cfg.Format != FormatRFC3339:
	case cfg.Digits < 0:
		l.cut = 10
	case cfg.Digits > 0 && cfg.Digits < 9:
		l.cut = 9 - cfg.Digits
	}
	l.zoneStart, l.zoneEnd = 1, 0
	if l.zone == nil {
		l.zoneStart, l.zoneEnd, l.zoneOK = math.MinInt64, math.MaxInt64, true
	}
	return l
}

// lowerHex maps the bytes tai64nlocal takes as label digits, 0-9 and a-f
// only, to their values; every other byte maps to 0xff.
var lowerHex = hexTable(false)

// hexRun folds the label digits at the start of b into secs and nsec as
// tai64nlocal does, any number of them: each digit shifts nsec left by one
// digit and the digit pushed out of its 32 bits into secs, which wraps. So
// nsec ends as the last 8 digits and secs as the 16 before them. It returns
// the index of the first byte that is not a lowercase hex digit, or len(b).
func hexRun(b []byte, secs uint64, nsec uint32) (uint64, uint32, int) {
	// Nearly every label is 24 digits and a space: read those 8 at a time.
	if len(b) > 24 && secs == 0 && nsec == 0 && lowerHex[b[24]] == 0xff {
		s1, ok1 := hex8(b[0:8])
		s2, ok2 := hex8(b[8:16])
		n, ok3 := hex8(b[16:24])
		if ok1 && ok2 && ok3 {
			return uint64(s1)<<32 | uint64(s2), n, 24
		}
	}
	for i, c := range b {
		v := lowerHex[c]
		if v == 0xff {
			return secs, nsec, i
		}
		secs = secs<<4 | uint64(nsec>>28)
		nsec = nsec<<4 | uint32(v)
	}
	return secs, nsec, len(b)
}

// hex8 returns the value of the 8 lowercase hex digits in b[:8], and
// false if they are not all 0-9 or a-f. It works on all 8 bytes at once
// (SWAR): a byte is in [lo, hi] when adding 0x80-lo sets its top bit and
// adding 0x7f-hi does not; no byte below 0x80 carries into the next.
func hex8(b []byte) (uint32, bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := binary.BigEndian.Uint64(b)
	in := func(lo, hi uint64) uint64 {
		return (x + (0x80-lo)*ones) &^ (x + (0x7f-hi)*ones) & highs
	}
	if x&highs != 0 || in('0', '9')|in('a', 'f') != highs {
		return 0, false
	}
	// '0'-'9' have 0x3_ and their value in the low nibble; 'a'-'f' have
	// 0x6_ and their value less 9, so bit 6 says add 9.
	d := x&(15*ones) + 9*(x>>6&ones)
	// Pack the 8 nibbles (one per byte, first digit highest) into 32 bits.
	d = (d | d>>4) & 0x00ff00ff00ff00ff
	d = (d | d>>8) & 0x0000ffff0000ffff
	return uint32(d | d>>16), true
}

// AppendLine appends line, converted as tai64nlocal converts it, to dst and
// returns the extended slice. line is one whole line, with or without its
// '\n'.
//
// If line starts with '@', the lowercase hex digits after it are the label
// and are replaced by the time; the byte that ends the label, and the rest,
// are kept. Other lines, and lines whose label cannot be shown (where
// daemontools 0.76 crashes: uppercase hex, short labels, "@xyz"), are
// appended unchanged. A line that is only '@' and hex digits, with nothing
// after them, appends nothing: tai64nlocal drops such a label at the end of
// its input. AppendLine does no allocation when dst has room.
func (l *Localizer) AppendLine(dst, line []byte) []byte {
	if len(line) == 0 || line[0] != '@' {
		return append(dst, line...)
	}
	secs, nsec, k := l.label(line[1:])
	k++
	if k == len(line) {
		return dst
	}
	return append(l.appendLabel(dst, line[:k], secs, nsec), line[k:]...)
}

// label is [hexRun] of b from zero, quicker for the usual label of 24
// digits: if its first 16 digits are the last label's, so are its seconds.
func (l *Localizer) label(b []byte) (uint64, uint32, int) {
	if len(b) > 24 && lowerHex[b[24]] == 0xff {
		hi, lo := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		if hi != l.digitsHi || lo != l.digitsLo || !l.digitsOK {
			s1, ok1 := hex8(b[0:8])
			s2, ok2 := hex8(b[8:16])
			if !ok1 || !ok2 {
				return hexRun(b, 0, 0)
			}
			l.digitsOK, l.digitsHi, l.digitsLo = true, hi, lo
			l.digitsSec = uint64(s1)<<32 | uint64(s2)
		}
		if n, ok := hex8(b[16:24]); ok {
			return l.digitsSec, n, 24
		}
	}
	return hexRun(b, 0, 0)
}

// appendLabel appends the time for a label's secs and nsec, or the
// label's own text if the time cannot be shown.
func (l *Localizer) appendLabel(dst, label []byte, secs uint64, nsec uint32) []byte {
	if b, ok := l.appendRaw(dst, secs, nsec); ok {
		return b
	}
	return append(dst, label...)
}

// AppendTime appends t as cfg.Format shows it to dst and returns the
// extended slice and true, or dst and false when t cannot be shown (see
// [Format]). It does no allocation when dst has room.
func (l *Localizer) AppendTime(dst []byte, t Time) ([]byte, bool) {
	return l.appendRaw(dst, t.Sec, t.Nsec)
}

// appendRaw appends the time for label seconds sec (wrapped as
// tai64nlocal's arithmetic wraps them) and nanoseconds nsec.
func (l *Localizer) appendRaw(dst []byte, sec uint64, nsec uint32) ([]byte, bool) {
	raw := int64(sec - Epoch)
	if !l.cached || raw != l.lastSec {
		l.second(raw)
	}
	if !l.lastOK || nsec > 999999999 && l.format != FormatLocal {
		return dst, false
	}
	if l.format == FormatUnix && raw < 0 && nsec != 0 {
		return appendUnixNegative(dst, raw, nsec), true
	}
	dst = append(dst, l.prefix[:l.prefixLen]...)
	dst = appendNsec(dst, nsec)
	if l.cut != 0 {
		dst = dst[:len(dst)-l.cut] // FormatRFC3339: nsec has 9 digits
	}
	return append(dst, l.suffix[:l.suffixLen]...), true
}

// second fills the cache for raw, a label's seconds less [Epoch].
func (l *Localizer) second(raw int64) {
	l.cached, l.lastSec, l.lastOK = true, raw, false
	l.prefixLen, l.suffixLen = 0, 0
	if raw < minLocal-maxOffset || raw > maxLocal+maxOffset {
		return
	}
	unix, leap := raw, false
	if l.tai {
		var n int64
		n, leap = leapsBefore(raw)
		unix -= n
	}
	if l.format == FormatUnix {
		if unix < minLocal || unix > maxLocal {
			return // as in the other formats
		}
		b := appendInt(l.prefix[:0], unix)
		l.prefixLen = len(append(b, '.'))
		l.lastOK = true
		return
	}
	off, ok := l.offset(unix)
	local := unix + off
	if !ok || local < minLocal || local > maxLocal {
		return
	}
	c := CivilOf(local)
	year, month, day := c.Year, c.Month, c.Day
	sec := c.Sec
	if leap {
		sec++ // 23:59:59 becomes 23:59:60
	}
	b := l.prefix[:0]
	sep := byte(' ')
	if l.format == FormatRFC3339 {
		if year < 0 || year > 9999 {
			return
		}
		sep = 'T'
		b = append2(append2(b, int(year/100)), int(year%100))
	} else {
		b = appendYear(b, year)
	}
	b = append(b, '-', digits2[2*month], digits2[2*month+1])
	b = append(b, '-', digits2[2*day], digits2[2*day+1])
	b = append2(append(b, sep), c.Hour)
	b = append2(append(b, ':'), c.Min)
	b = append2(append(b, ':'), sec)
	l.prefixLen = len(append(b, '.'))
	if l.format == FormatRFC3339 {
		l.suffixLen = len(appendZone(l.suffix[:0], off))
	}
	l.lastOK = true
}

// Offset returns the zone's offset east of UTC at Unix second unix, and
// false if it has none there (see [Zone.Lookup]). It uses the same cache
// as the conversions: a run of nearby times looks the zone up once.
func (l *Localizer) Offset(unix int64) (int64, bool) {
	return l.offset(unix)
}

// offset returns the zone's offset east of UTC at Unix second unix, and
// false if it has none there.
func (l *Localizer) offset(unix int64) (int64, bool) {
	if unix >= l.zoneStart && unix < l.zoneEnd {
		return l.zoneOff, l.zoneOK
	}
	i, ok := l.zone.Lookup(unix)
	start, end := i.Start, i.End
	if start > unix || end <= unix {
		start, end = unix, unix+1 // a bad span: cache this second only
	}
	l.zoneStart, l.zoneEnd, l.zoneOff, l.zoneOK = start, end, i.Offset, ok
	return i.Offset, ok
}

// digits2 holds "00" to "99".
const digits2 = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// append2 appends 0 <= v < 100 as two digits.
func append2(b []byte, v int) []byte {
	return append(b, digits2[2*v], digits2[2*v+1])
}

// appendYear appends year as tai64nlocal 0.76 prints it: in effect
// fmt_ulong of the int 1900+tm_year, so the value is cut to 32 bits and a
// negative year shows as 2^64 less its magnitude (year -1 prints
// 18446744073709551615). We copy that for byte-identical output.
func appendYear(b []byte, year int64) []byte {
	y := uint64(int64(int32(year)))
	if y >= 1000 && y <= 9999 {
		return append2(append2(b, int(y/100)), int(y%100))
	}
	return appendUint(b, y)
}

// appendUint appends v in decimal.
func appendUint(b []byte, v uint64) []byte {
	var d [20]byte
	i := len(d)
	for v >= 10 {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	d[i] = byte('0' + v)
	return append(b, d[i:]...)
}

// appendInt appends v in decimal.
func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendUint(append(b, '-'), uint64(-v))
	}
	return appendUint(b, uint64(v))
}

// appendNsec appends n with at least 9 digits, as fmt_uint0(n, 9) does.
func appendNsec(b []byte, n uint32) []byte {
	if n > 999999999 {
		return appendUint(b, uint64(n))
	}
	return binary.LittleEndian.AppendUint64(append(b, byte('0'+n/1e8)), digits8(n%1e8))
}

// digits8 returns the 8 decimal digits of n < 1e8 as ASCII in a word, the
// first digit in the lowest byte, computed in parallel lanes (SWAR). It
// avoids a loop of byte stores, which stalls the load that copies them.
func digits8(n uint32) uint64 {
	x := uint64(n/10000) | uint64(n%10000)<<32 // two lanes < 10000
	q := x * 5243 >> 19 & 0x0000007f0000007f   // lane/100: v*5243>>19 is exact below 43699
	x = q | (x-q*100)<<16                      // four lanes < 100
	q = x * 103 >> 10 & 0x000f000f000f000f     // lane/10: v*103>>10 is exact below 179
	x = q | (x-q*10)<<8                        // eight digits
	return x + 0x3030303030303030
}

// appendZone appends RFC 3339's offset for off seconds east of UTC: "Z",
// or "+hh:mm" with any seconds dropped, as [time.RFC3339] does.
func appendZone(b []byte, off int64) []byte {
	if off == 0 {
		return append(b, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append2(append(b, sign), int(off/3600))
	return append2(append(b, ':'), int(off/60%60))
}

// appendUnixNegative appends raw+nsec/1e9 < 0 for FormatUnix: the
// fraction of a negative time counts toward zero, as a decimal does.
func appendUnixNegative(b []byte, raw int64, nsec uint32) []byte {
	b = appendInt(b, raw+1)
	if raw+1 == 0 {
		b = append(b[:len(b)-1], '-', '0')
	}
	return appendNsec(append(b, '.'), 1e9-nsec)
}
