package tai64

import "errors"

// ISO is a date and time read by [ParseISO] from the start of a line.
type ISO struct {
	// Sec is Unix seconds if Zoned, else the seconds since 1970-01-01
	// 00:00:00 of the wall clock the text was written in (a zone the text
	// does not name).
	Sec  int64
	Nsec int32 // 0 <= Nsec < 1e9
	// Zoned says the text gave its offset from UTC ("Z", "+02:00"), which
	// Sec has taken into account.
	Zoned bool
}

// ErrISO reports a byte string that does not start with an ISO 8601 time
// [ParseISO] reads.
var ErrISO = errors.New("invalid ISO 8601 time")

// ISOMaxLen is the longest text [ParseISO] reads:
// "2006-01-02T15:04:05.123456789+07:00".
const ISOMaxLen = 35

// ParseISO reads the ISO 8601 date and time at the start of b, in the
// forms loggers stamp lines with:
//
//	2006-01-02T15:04:05.000000Z      mlog multilog's i (UTC, microseconds)
//	2006-01-02 15:04:05.123456789    s6-log's T (local time, no zone)
//	2006-01-02T15:04:05+07:00        RFC 3339
//
// The date and the time are separated by 'T' or a space; the seconds may
// have a fraction of 1 to 9 digits after '.' or ','; the zone, if there is
// one, is "Z", "+hh:mm", "+hhmm" or "+hh" (or '-'). The time must end b
// or be followed by a space or a newline, so that a line that merely
// begins with digits is not taken for a stamp. It returns the time and the bytes
// consumed (not the space), or [ErrISO]. A leap second (:60) reads as the
// last nanosecond of the second before, so that stamps stay in order. It
// does no allocation.
func ParseISO(b []byte) (ISO, int, error) {
	// YYYY-MM-DD?hh:mm:ss is 19 bytes.
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != 'T' && b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return ISO{}, 0, ErrISO
	}
	year, ok1 := isoDigits(b[0:4])
	month, ok2 := isoDigits(b[5:7])
	day, ok3 := isoDigits(b[8:10])
	hour, ok4 := isoDigits(b[11:13])
	min, ok5 := isoDigits(b[14:16])
	sec, ok6 := isoDigits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > isoDaysIn(year, month) || hour > 23 || min > 59 || sec > 60 {
		return ISO{}, 0, ErrISO
	}
	n := 19
	var nsec int64
	if n < len(b) && (b[n] == '.' || b[n] == ',') {
		digits := 0
		for n+1+digits < len(b) && digits < 10 && b[n+1+digits] >= '0' && b[n+1+digits] <= '9' {
			digits++
		}
		if digits == 0 || digits > 9 {
			return ISO{}, 0, ErrISO
		}
		for i := range 9 {
			nsec *= 10
			if i < digits {
				nsec += int64(b[n+1+i] - '0')
			}
		}
		n += 1 + digits
	}
	if sec == 60 {
		sec, nsec = 59, 999999999
	}
	t := ISO{
		Sec:  isoDaysFromCivil(year, month, day)*86400 + hour*3600 + min*60 + sec,
		Nsec: int32(nsec),
	}
	if n < len(b) {
		switch c := b[n]; c {
		case 'Z':
			t.Zoned = true
			n++
		case '+', '-':
			off, m, ok := isoOffset(b[n+1:])
			if !ok {
				return ISO{}, 0, ErrISO
			}
			if c == '+' {
				off = -off
			}
			t.Sec += off
			t.Zoned = true
			n += 1 + m
		}
	}
	if n < len(b) && b[n] != ' ' && b[n] != '\n' {
		return ISO{}, 0, ErrISO
	}
	return t, n, nil
}

// isoOffset reads "hh:mm", "hhmm" or "hh" and returns the seconds and the
// bytes consumed.
func isoOffset(b []byte) (int64, int, bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	h, ok := isoDigits(b[:2])
	if !ok || h > 23 {
		return 0, 0, false
	}
	n := 2
	var m int64
	switch {
	case len(b) >= 5 && b[2] == ':':
		m, ok = isoDigits(b[3:5])
		n = 5
	case len(b) >= 4 && b[2] >= '0' && b[2] <= '9':
		m, ok = isoDigits(b[2:4])
		n = 4
	}
	if !ok || m > 59 {
		return 0, 0, false
	}
	return h*3600 + m*60, n, true
}

// isoDigits reads a string of decimal digits.
func isoDigits(b []byte) (int64, bool) {
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

func isoDaysIn(year, month int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isoDaysFromCivil returns the day number since 1970-01-01 of a proleptic
// Gregorian date (Howard Hinnant's days_from_civil; years 0-9999 here).
func isoDaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= -1: no floor needed below year 0
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
