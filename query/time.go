package query

import (
	"errors"
	"math"
	"strings"
	"time"

	"github.com/mlog/mlog/tai64"
)

// ErrTime reports a time that [ParseTime] does not understand.
var ErrTime = errors.New("invalid time")

// TimeError is a time string that [ParseTime] could not read. It wraps
// [ErrTime].
type TimeError struct {
	Text string
}

func (e *TimeError) Error() string {
	return "invalid time " + quote(e.Text) + ": want RFC 3339, YYYY-MM-DD [HH:MM[:SS]], a duration such as -1h or 30m, or a TAI64N label"
}

func (e *TimeError) Unwrap() error { return ErrTime }

// quote returns s in double quotes, cut to a readable length.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return `"` + s + `"`
}

// localLayouts are the forms read in loc, longest first. A fraction of a
// second is accepted after the seconds in each form with seconds.
var localLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime reads a point in time for --since and --until. It accepts
//
//   - a TAI64N label, "@" and 24 hex digits, or a TAI64 label of 16;
//   - RFC 3339, "2026-01-02T15:04:05Z" or with an offset and a fraction;
//   - a wall-clock time in loc: "2026-01-02 15:04", "2026-01-02 15:04:05.5",
//     or a date alone, "2026-01-02", meaning its midnight;
//   - "now", "today", "yesterday", "tomorrow" (midnight in loc);
//   - a duration relative to now: "-1h", "30m", "1h30m", "2d", "1w". A
//     duration with no sign or with "-" is in the past, one with "+" in the
//     future. The units are ns, us, ms, s, m, h, d (24 h) and w (7 d).
//
// The result is a label in daemontools' arithmetic (Unix seconds + 2^62 + 10,
// no leap seconds), so it compares directly with the labels multilog writes.
func ParseTime(s string, now time.Time, loc *time.Location) (tai64.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return tai64.Time{}, &TimeError{s}
	}
	if t[0] == '@' {
		return parseLabel(s, t)
	}
	switch strings.ToLower(t) {
	case "now":
		return tai64.FromTime(now), nil
	case "today":
		return midnight(now, loc, 0), nil
	case "yesterday":
		return midnight(now, loc, -1), nil
	case "tomorrow":
		return midnight(now, loc, 1), nil
	}
	if d, ok := parseDuration(t); ok {
		return tai64.FromTime(now.Add(d)), nil
	}
	if tm, err := time.Parse(time.RFC3339Nano, strings.ToUpper(t)); err == nil {
		return tai64.FromTime(tm), nil
	}
	for _, layout := range localLayouts {
		if tm, err := time.ParseInLocation(layout, t, loc); err == nil {
			return tai64.FromTime(tm), nil
		}
	}
	return tai64.Time{}, &TimeError{s}
}

// parseLabel reads a TAI64N label (24 hex digits) or a TAI64 one (16).
func parseLabel(s, t string) (tai64.Time, error) {
	switch len(t) {
	case tai64.LabelLen:
		l, _, err := tai64.Parse([]byte(t))
		if err != nil || l.Nsec >= 1e9 {
			return tai64.Time{}, &TimeError{s}
		}
		return l, nil
	case 17:
		l, _, err := tai64.Parse([]byte(t + "00000000"))
		if err != nil {
			return tai64.Time{}, &TimeError{s}
		}
		return l, nil
	}
	return tai64.Time{}, &TimeError{s}
}

func midnight(now time.Time, loc *time.Location, days int) tai64.Time {
	y, m, d := now.In(loc).Date()
	return tai64.FromTime(time.Date(y, m, d+days, 0, 0, 0, 0, loc))
}

// unit returns a duration unit parseDuration accepts, in nanoseconds. A
// switch, not a map: a map would be built at every start of mlog.
func unit(s string) (float64, bool) {
	switch s {
	case "ns":
		return 1, true
	case "us", "µs":
		return 1e3, true
	case "ms":
		return 1e6, true
	case "s":
		return 1e9, true
	case "m":
		return 60e9, true
	case "h":
		return 3600e9, true
	case "d":
		return 86400e9, true
	case "w":
		return 7 * 86400e9, true
	}
	return 0, false
}

// parseDuration reads a signed duration such as "-1h30m" or "2d". No sign
// or "-" means the past: the result is then negative.
func parseDuration(s string) (time.Duration, bool) {
	neg := true
	switch s[0] {
	case '-':
		s = s[1:]
	case '+':
		neg = false
		s = s[1:]
	}
	d, ok := ParseDuration(s)
	if !ok {
		return 0, false
	}
	if neg {
		d = -d
	}
	return d, true
}

// ParseDuration reads an unsigned duration made of numbers with units, as
// [time.ParseDuration] does, adding d (24 h) and w (7 d): "1h30m", "1m",
// "2d", "0.5s". It reports false for anything else, including a zero-length
// string and a bare number.
func ParseDuration(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	var total float64
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		num := s[:i]
		if num == "" || num == "." || strings.Count(num, ".") > 1 {
			return 0, false
		}
		s = s[i:]
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		u, ok := unit(s[:j])
		if !ok {
			return 0, false
		}
		s = s[j:]
		v, ok := parseDecimal(num)
		if !ok {
			return 0, false
		}
		total += v * u
		if total > math.MaxInt64/2 {
			return 0, false
		}
	}
	return time.Duration(total), true
}

// parseDecimal reads digits with at most one '.'.
func parseDecimal(s string) (float64, bool) {
	var v, scale float64 = 0, 1
	frac := false
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			frac = true
			continue
		}
		digits++
		if frac {
			scale /= 10
			v += float64(c-'0') * scale
		} else {
			v = v*10 + float64(c-'0')
		}
	}
	return v, digits > 0
}
