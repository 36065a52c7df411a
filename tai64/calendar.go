package tai64

// The one calendar of the project: the proleptic Gregorian calendar, as
// glibc's localtime and mktime use it. Everything that turns seconds into
// a date or a date into seconds (tai64nlocal, query's times and
// histograms, ship) goes through these two functions.

// Civil is a date and time of day with no zone, the fields of a struct tm:
// Month 1-12, Day 1-31, Hour 0-23, Min 0-59, Sec 0-59 (60 for an inserted
// leap second when shown).
type Civil struct {
	Year                       int64
	Month, Day, Hour, Min, Sec int
}

// CivilOf breaks sec, seconds since 1970-01-01 00:00:00 of the same clock
// (UTC, or a zone's wall time: see [Zone.Lookup]), into its date and time
// of day. It is exact for every int64.
func CivilOf(sec int64) Civil {
	days, rem := sec/86400, sec%86400
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	y, m, d := civil(days)
	return Civil{Year: y, Month: m, Day: d, Hour: int(rem / 3600), Min: int(rem / 60 % 60), Sec: int(rem % 60)}
}

// Seconds returns c as seconds since 1970-01-01 00:00:00 of the same
// clock, the inverse of [CivilOf]. Fields out of their range carry into
// the next larger one, as mktime's do: day 0 is the last day of the month
// before, month 13 January of the next year. Years beyond about 2.9e11
// overflow.
func (c Civil) Seconds() int64 {
	y, m := c.Year, int64(c.Month)-1
	y += floorDiv64(m, 12)
	m -= floorDiv64(m, 12) * 12
	days := daysFromCivil(y, int(m)+1, 1) + int64(c.Day) - 1
	return days*86400 + int64(c.Hour)*3600 + int64(c.Min)*60 + int64(c.Sec)
}

// civil returns the proleptic Gregorian date of day number days since
// 1970-01-01 (Howard Hinnant's civil_from_days, in 400-year eras).
func civil(days int64) (year int64, month, day int) {
	z := days + 719468 // days since 0000-03-01
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from March 1
	mp := (5*doy + 2) / 153                                // [0, 11], March is 0
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// daysFromCivil returns the day number since 1970-01-01 of year-month-day,
// 1 <= month <= 12 (Howard Hinnant's days_from_civil).
func daysFromCivil(year int64, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := floorDiv64(year, 400)
	yoe := year - era*400                  // [0, 399]
	mp := int64((month + 9) % 12)          // [0, 11], March is 0
	doy := (153*mp+2)/5 + int64(day) - 1   // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}

// floorDiv64 is a/b rounded towards minus infinity, for b > 0.
func floorDiv64(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// isLeap reports whether year is a leap year, as glibc's __isleap.
func isLeap(year int64) bool {
	return year%4 == 0 && (year%100 != 0 || year%400 == 0)
}
