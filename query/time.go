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
	return "invalid time " + quote(e.Text) + ": want RFC 3339, YYYY-MM-DD [HH:MM[:SS]], HH:MM[:SS] (today), a duration such as -1h or 30m, or a TAI64N label"
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

// localLayouts are the forms read as wall-clock time in the zone, longest
// first; "15:04" forms are today's. A fraction of a second is accepted
// after the seconds in each form with seconds.
var localLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
	"15:04:05.999999999",
	"15:04",
}

// ParseTime reads a point in time for --since and --until. It accepts
//
//   - a TAI64N label, "@" and 24 hex digits, or a TAI64 label of 16;
//   - RFC 3339, "2026-01-02T15:04:05Z" or with an offset and a fraction;
//   - a wall-clock time in zone: "2026-01-02 15:04", "2026-01-02 15:04:05.5",
//     a date alone, "2026-01-02", meaning its midnight, or a time of day
//     alone, "14:00" or "14:00:30", meaning that time today;
//   - "now", "today", "yesterday", "tomorrow" (midnight in zone);
//   - a duration relative to now: "-1h", "30m", "1h30m", "2d", "1w". A
//     duration with no sign or with "-" is in the past, one with "+" in the
//     future. The units are ns, us, ms, s, m, h, d (24 h) and w (7 d).
//
// zone is the local zone, as [tai64.LoadZone] loads it for TZ; nil means
// UTC. A wall-clock time is read as glibc's mktime reads it (see
// [tai64.Zone.Unix]): in the hour a clock is set back, the first instant
// its search finds; in the hour it is set forward, as if the clock had not
// moved yet. Times written by tai64nlocal or `mlog query --local` read
// back to the instant shown, except in the hour set back, which shows
// twice.
//
// The result is a label in daemontools' arithmetic (Unix seconds + 2^62 + 10,
// no leap seconds), so it compares directly with the labels multilog writes.
func ParseTime(s string, now time.Time, zone *tai64.Zone) (tai64.Time, error) {
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
		return midnight(s, now, zone, 0)
	case "yesterday":
		return midnight(s, now, zone, -1)
	case "tomorrow":
		return midnight(s, now, zone, 1)
	}
	if d, ok := parseDuration(t); ok {
		return tai64.FromTime(now.Add(d)), nil
	}
	if tm, err := time.Parse(time.RFC3339Nano, strings.ToUpper(t)); err == nil {
		return tai64.FromTime(tm), nil
	}
	for _, layout := range localLayouts {
		// The time package reads the fields (in UTC, where no time is
		// missing or doubled); the zone says which instant they are.
		tm, err := time.Parse(layout, t)
		if err != nil {
			continue
		}
		c := tai64.Civil{Year: int64(tm.Year()), Month: int(tm.Month()), Day: tm.Day(), Hour: tm.Hour(), Min: tm.Minute(), Sec: tm.Second()}
		if layout[0] == '1' { // a time of day: today's
			today, ok := localToday(now, zone)
			if !ok {
				break
			}
			c.Year, c.Month, c.Day = today.Year, today.Month, today.Day
		}
		sec, ok := zone.Unix(c.Seconds())
		if !ok {
			break
		}
		return tai64.FromUnix(sec, int32(tm.Nanosecond())), nil
	}
	return tai64.Time{}, &TimeError{s}
}

// localToday returns the local date at now in zone.
func localToday(now time.Time, zone *tai64.Zone) (tai64.Civil, bool) {
	i, ok := zone.Lookup(now.Unix())
	return tai64.CivilOf(now.Unix() + i.Offset), ok
}

// midnight returns the first instant of the local day days after today.
func midnight(s string, now time.Time, zone *tai64.Zone, days int) (tai64.Time, error) {
	c, ok := localToday(now, zone)
	if ok {
		c.Day += days
		c.Hour, c.Min, c.Sec = 0, 0, 0
		var sec int64
		if sec, ok = zone.Unix(c.Seconds()); ok {
			return tai64.FromUnix(sec, 0), nil
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
