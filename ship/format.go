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
// "2026-01-02T15:04:05.123456Z", without allocating: tai64's formatter,
// which keeps the text of the last second it formatted (loggers write many
// lines a second).
type clock struct {
	l *tai64.Localizer
}

// RFC 3339 can write the seconds from 0000-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z; a label outside is clamped to these ends.
const (
	minRFC3339 = -62167219200
	maxRFC3339 = 253402300799
)

// appendRFC3339 appends t in daemontools' arithmetic (Unix seconds =
// label seconds - 2^62 - 10, no leap seconds), cut to the microsecond.
// Years outside 0 to 9999 and nanoseconds past 999999999 (a label's can
// read up to 2^32-1), which RFC 3339 cannot write, are clamped.
func (c *clock) appendRFC3339(dst []byte, t tai64.Time) []byte {
	if c.l == nil {
		c.l = tai64.NewLocalizer(tai64.LocalConfig{Format: tai64.FormatRFC3339, Digits: 6})
	}
	sec, _ := t.Unix()
	if sec < minRFC3339 || sec > maxRFC3339 || t.Nsec > 999999999 {
		t = tai64.FromUnix(min(max(sec, minRFC3339), maxRFC3339), int32(min(t.Nsec, 999999999)))
	}
	b, _ := c.l.AppendTime(dst, t) // always ok: clamped to what RFC 3339 writes
	return b
}
