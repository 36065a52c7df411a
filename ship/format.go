package ship

import (
	"errors"
	"strconv"
	"strings"

	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/tai64"
)

// DefaultPriority is user.info, the <PRI> of a message when Config.Priority
// is zero: logger(1)'s default.
const DefaultPriority = 1*8 + 6

// facilities are the RFC 5424 facility names, by code.
var facilities = []string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// severities are the RFC 5424 severity names, by code.
var severities = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// aliases are the other names syslog.conf(5) and logger(1) accept.
var aliases = map[string]string{"warn": "warning", "error": "err", "panic": "emerg", "audit": "security", "cron2": "solaris-cron"}

// ErrPriority reports a facility or severity that ParseFacility or
// ParseSeverity does not know.
var ErrPriority = errors.New("unknown facility or severity")

// ParseFacility returns the code of a facility given by name ("user",
// "local3", as syslog.conf(5) spells them) or by number (0 to 23).
func ParseFacility(s string) (int, error) { return lookup(s, facilities) }

// ParseSeverity returns the code of a severity given by name ("info",
// "warning", "err") or by number (0 to 7).
func ParseSeverity(s string) (int, error) { return lookup(s, severities) }

func lookup(s string, names []string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(names) {
		return n, nil
	}
	s = strings.ToLower(s)
	if a, ok := aliases[s]; ok {
		s = a
	}
	for i, n := range names {
		if n == s {
			return i, nil
		}
	}
	return 0, ErrPriority
}

// RFC 5424 field limits (section 6).
const (
	maxHostname = 255
	maxAppName  = 48
)

// headerField returns s as an RFC 5424 header field: printable US-ASCII
// (33 to 126) only, other bytes as '_', cut to max bytes; "-" (the nil
// value) when s is empty.
func headerField(s string, max int) string {
	if s == "" {
		return "-"
	}
	b := []byte(s)
	if len(b) > max {
		b = b[:max]
	}
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '_'
		}
	}
	return string(b)
}

// formatter makes the RFC 5424 messages of one logdir's lines:
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - MSG
//
// with no PROCID, MSGID or structured data.
type formatter struct {
	pri    []byte // "<14>1 "
	middle []byte // " HOSTNAME APP-NAME - - - "
	max    int    // the longest message, in bytes; 0 for no limit
	clock  clock
}

func newFormatter(priority int, hostname, app string, max int) *formatter {
	f := &formatter{max: max}
	f.pri = append(f.pri, '<')
	f.pri = strconv.AppendInt(f.pri, int64(priority), 10)
	f.pri = append(f.pri, ">1 "...)
	f.middle = append(f.middle, ' ')
	f.middle = append(f.middle, headerField(hostname, maxHostname)...)
	f.middle = append(f.middle, ' ')
	f.middle = append(f.middle, headerField(app, maxAppName)...)
	f.middle = append(f.middle, " - - - "...)
	return f
}

// append appends the message for a line (without its newline) to dst.
// t is the TIMESTAMP: the time of the line's stamp if it has one (of
// stampLen bytes), else the time it was read. MSG is the line after its
// stamp and the space after it ([query.Body]), cut so that the message is
// at most f.max bytes. It does no allocation once dst has grown to the
// longest message.
func (f *formatter) append(dst, line []byte, t tai64.Time, stampLen int) []byte {
	start := len(dst)
	line = query.Body(line, stampLen)
	dst = append(dst, f.pri...)
	dst = f.clock.appendRFC3339(dst, t)
	dst = append(dst, f.middle...)
	if f.max > 0 {
		if room := f.max - (len(dst) - start); room < len(line) {
			line = line[:max(room, 0)]
		}
	}
	return append(dst, line...)
}

// clock formats labels as RFC 3339 UTC times with microseconds,
// "2026-01-02T15:04:05.123456Z", without allocating. It keeps the text of
// the last second it formatted: loggers write many lines a second.
type clock struct {
	sec  int64
	text [32]byte // "YYYY-MM-DDTHH:MM:SS."
	n    int
	ok   bool
}

// appendRFC3339 appends t in daemontools' arithmetic (Unix seconds =
// label seconds - 2^62 - 10, no leap seconds), cut to the microsecond.
func (c *clock) appendRFC3339(dst []byte, t tai64.Time) []byte {
	sec, nsec := t.Unix()
	if !c.ok || sec != c.sec {
		c.set(sec)
	}
	dst = append(dst, c.text[:c.n]...)
	us := uint32(nsec) / 1000
	if us > 999999 {
		us = 999999 // a label's nanoseconds can read up to 2^32-1
	}
	var b [7]byte
	for i := 5; i >= 0; i-- {
		b[i] = byte('0' + us%10)
		us /= 10
	}
	b[6] = 'Z'
	return append(dst, b[:]...)
}

// set fills the text of second sec, by Howard Hinnant's days-to-civil
// algorithm. Years outside 0 to 9999, which RFC 3339 cannot write, are
// clamped to its ends.
func (c *clock) set(sec int64) {
	const (
		minSec = -62167219200 // 0000-01-01T00:00:00Z
		maxSec = 253402300799 // 9999-12-31T23:59:59Z
	)
	s := min(max(sec, minSec), maxSec)
	days := s / 86400
	rem := s % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
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
	b := c.text[:0]
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10), 'T')
	h, mi, se := rem/3600, rem/60%60, rem%60
	b = append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':')
	b = append(b, byte('0'+se/10), byte('0'+se%10), '.')
	c.n = len(b)
	c.sec, c.ok = sec, true
}
