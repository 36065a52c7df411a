package compat

import (
	"encoding/binary"
	"math"
	"os"
	"strings"
	"time"

	"github.com/mlog/mlog/tai64"
)

// tai64nlocalMain is daemontools' tai64nlocal: it turns the TAI64N label at
// the start of each line of stdin into a local time, in the zone TZ names
// as localtime(3) reads it. Like tai64nlocal 0.76 it ignores its arguments.
// Where 0.76 crashes (a label localtime cannot convert) the line is copied
// unchanged. daemontools exits 111 without a word on a read or write error;
// we say why on stderr first.
func tai64nlocalMain(t *Tool, args []string) int {
	if err := tai64.LocalLines(t.Stdout, t.Stdin, LocalConfig(t.getenv)); err != nil {
		return t.Fatal(err)
	}
	return ExitOK
}

// zoneinfoDir is where glibc looks for TZ names that are not paths, unless
// TZDIR says otherwise.
const zoneinfoDir = "/usr/share/zoneinfo"

// LocalConfig returns the configuration that makes [tai64.LocalLines]
// show times as localtime(3) in glibc does, for TZ as getenv gives it:
// daemontools' tai64nlocal, byte for byte. See [LocalZone] for how TZ is
// read. The [tai64.Zone] it sets copies glibc where it parts from the time
// package (see glibcZone), and TAI is set for a zone file with leap second
// records (the right/ zones): glibc then reads time_t as counting leap
// seconds, that is, labels as true TAI.
func LocalConfig(getenv func(string) string) tai64.LocalConfig {
	loc, data, rule := loadZone(getenv)
	z := newGlibcZone(loc, data, rule)
	return tai64.LocalConfig{Location: loc, Zone: z.zone, TAI: hasLeaps(data)}
}

// LocalZone returns the zone localtime(3) uses, from TZ as getenv gives it,
// the way glibc reads it: unset (or empty) means /etc/localtime (we use
// [time.Local], which tells the two apart); ":name" is "name"; an absolute
// path is a zone file; other names are files under TZDIR or
// /usr/share/zoneinfo; failing that, TZ is read as a POSIX rule such as
// "JST-9" or "CET-1CEST,M3.5.0,M10.5.0/3"; failing that, UTC.
//
// leap reports a zone file with leap second records (see [LocalConfig]).
func LocalZone(getenv func(string) string) (loc *time.Location, leap bool) {
	loc, data, _ := loadZone(getenv)
	return loc, hasLeaps(data)
}

// loadZone is LocalZone. It also returns the zone file's contents, if TZ
// names one, and whether TZ is a POSIX rule with no file.
func loadZone(getenv func(string) string) (loc *time.Location, data []byte, rule bool) {
	tz := getenv("TZ")
	if tz == "" {
		return time.Local, readZone("/etc/localtime"), false
	}
	tz = strings.TrimPrefix(tz, ":")
	path := tz
	if !strings.HasPrefix(tz, "/") {
		dir := getenv("TZDIR")
		if dir == "" {
			dir = zoneinfoDir
		}
		path = dir + "/" + tz
	}
	if data := readZone(path); data != nil {
		if loc, err := time.LoadLocationFromTZData(tz, data); err == nil {
			return loc, data, false
		}
	}
	if loc, ok := posixZone(tz); ok {
		return loc, nil, true
	}
	return time.UTC, nil, false
}

// readZone returns the contents of a zone file, or nil.
func readZone(path string) []byte {
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil || len(data) < 44 || string(data[:4]) != "TZif" {
		return nil
	}
	return data
}

// hasLeaps reports whether TZif data holds leap second records: leapcnt,
// the third count of the header (RFC 8536, 3.1), is not 0.
func hasLeaps(data []byte) bool {
	return len(data) >= 44 && binary.BigEndian.Uint32(data[28:32]) != 0
}

// tzifTail returns, from TZif data (RFC 8536), the time of the last
// transition and the UT offset it moves to, and the footer's rule; n is
// the number of transitions. It reads the 64-bit data of version 2 and
// later files, and the 32-bit data of version 1 ones.
func tzifTail(data []byte) (last, lastOff int64, n int, footer string, ok bool) {
	counts := func(h []byte) (isut, isstd, leap, timecnt, typecnt, charcnt int) {
		c := func(i int) int { return int(binary.BigEndian.Uint32(h[20+4*i:])) }
		return c(0), c(1), c(2), c(3), c(4), c(5)
	}
	if len(data) < 44 || string(data[:4]) != "TZif" {
		return 0, 0, 0, "", false
	}
	size := 4 // bytes per transition time and leap second time
	isut, isstd, leap, timecnt, typecnt, charcnt := counts(data)
	if data[4] >= '2' {
		skip := 44 + timecnt*5 + typecnt*6 + charcnt + leap*8 + isstd + isut
		if len(data) < skip+44 {
			return 0, 0, 0, "", false
		}
		data = data[skip:]
		size = 8
		isut, isstd, leap, timecnt, typecnt, charcnt = counts(data)
	}
	body := data[44:]
	end := timecnt*(size+1) + typecnt*6 + charcnt + leap*(size+4) + isstd + isut
	if len(body) < end || typecnt == 0 {
		return 0, 0, 0, "", false
	}
	if timecnt > 0 {
		if size == 8 {
			last = int64(binary.BigEndian.Uint64(body[(timecnt-1)*8:]))
		} else {
			last = int64(int32(binary.BigEndian.Uint32(body[(timecnt-1)*4:])))
		}
		typ := int(body[timecnt*size+timecnt-1])
		if typ >= typecnt {
			return 0, 0, 0, "", false
		}
		lastOff = int64(int32(binary.BigEndian.Uint32(body[timecnt*(size+1)+typ*6:])))
	}
	if rest := body[end:]; size == 8 && len(rest) > 1 && rest[0] == '\n' {
		if i := strings.IndexByte(string(rest[1:]), '\n'); i >= 0 {
			footer = string(rest[1 : 1+i])
		}
	}
	return last, lastOff, timecnt, footer, true
}

// posixZone returns a zone that follows the POSIX TZ rule tz, as glibc
// reads TZ when it names no file. The time package reads such rules only as
// the footer of a zone file, so we make one with no transitions: RFC 8536
// version 2 data whose one time type is UTC (what glibc falls back to), and
// tz as the footer. ok is false unless the rule makes sense to the time
// package.
func posixZone(tz string) (*time.Location, bool) {
	if !validRule(tz) {
		return nil, false
	}
	header := func(b []byte, typecnt, charcnt uint32) []byte {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range [6]uint32{0, 0, 0, 0, typecnt, charcnt} {
			b = binary.BigEndian.AppendUint32(b, n)
		}
		return b
	}
	var b []byte
	b = header(b, 0, 0) // no version 1 data
	b = header(b, 1, 4)
	b = append(b, 0, 0, 0, 0, 0, 0) // utoff 0, isdst 0, desigidx 0
	b = append(b, "UTC\x00"...)
	b = append(b, '\n')
	b = append(b, tz...)
	b = append(b, '\n')
	loc, err := time.LoadLocationFromTZData(tz, b)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// validRule reports whether tz looks like a POSIX TZ rule: a name of
// three or more letters or a <quoted> name, then an offset. The time
// package says nothing of a bad rule (it falls back to the zone's one type,
// UTC here), so we check the start ourselves, as glibc's parse_tzname and
// parse_offset do.
func validRule(tz string) bool {
	i := 0
	if strings.HasPrefix(tz, "<") {
		j := strings.IndexByte(tz, '>')
		if j < 4 {
			return false
		}
		i = j + 1
	} else {
		for i < len(tz) && (tz[i] >= 'a' && tz[i] <= 'z' || tz[i] >= 'A' && tz[i] <= 'Z') {
			i++
		}
		if i < 3 {
			return false
		}
	}
	if i < len(tz) && (tz[i] == '+' || tz[i] == '-') {
		i++
	}
	return i < len(tz) && tz[i] >= '0' && tz[i] <= '9'
}

// glibcZone is a zone that gives the offsets glibc 2.36's localtime gives,
// where they differ from the time package's (both read the same zone
// file). Up to a zone file's last transition they agree. After it, glibc
// follows the footer's rule (tz/tzfile.c __tzfile_compute, time/tzset.c
// __tz_compute), and a TZ rule with no file always; it then
//
//   - breaks the time down in UTC first, to get the year the rule is
//     worked out for; when the year does not fit in an int, a zone file
//     falls back to the last transition's offset and a bare rule fails
//     (tai64nlocal crashes);
//   - works out the rule's changes from 1 January 1970 for any year up to
//     1970, and overflows an int counting days for years after 5.88
//     million (compute_change), so in those years the changes are before
//     the time: standard time north of the equator, summer time south of
//     it.
type glibcZone struct {
	loc      *time.Location
	rule     bool  // TZ is a rule with no file
	tail     bool  // after a zone file's last transition, at lastTx, comes its footer
	lastTx   int64 // the last transition of a zone file
	lastOff  int64 // the offset it moves to
	dst      bool  // the rule has summer time
	std, sum int64 // the rule's standard and summer offsets
	north    bool  // summer time is in the middle of the year
}

// newGlibcZone returns the glibcZone for loc, loaded from TZif data or
// from a TZ rule with no file (rule).
func newGlibcZone(loc *time.Location, data []byte, rule bool) *glibcZone {
	z := &glibcZone{loc: loc, rule: rule}
	var footer string
	if rule {
		footer = "-" // the rule is loc's footer: look at loc itself
	} else if last, off, n, f, ok := tzifTail(data); ok && n > 0 && f != "" {
		z.tail, z.lastTx, z.lastOff, footer = true, last, off, f
	}
	if footer == "" {
		return z
	}
	// Read the rule's offsets off loc in a year after every transition.
	jan := time.Date(2401, 1, 15, 12, 0, 0, 0, time.UTC).In(loc)
	jul := time.Date(2401, 7, 15, 12, 0, 0, 0, time.UTC).In(loc)
	_, jo := jan.Zone()
	_, so := jul.Zone()
	if jan.IsDST() == jul.IsDST() {
		return z
	}
	z.dst, z.north = true, jul.IsDST()
	z.std, z.sum = int64(jo), int64(so)
	if !z.north {
		z.std, z.sum = int64(so), int64(jo)
	}
	return z
}

// Years whose tm_year fits in an int.
const (
	minYear = math.MinInt32 + 1900
	maxYear = math.MaxInt32 + 1900
)

// zone is a [tai64.Zone].
func (z *glibcZone) zone(unix int64) (off, start, end int64, ok bool) {
	if !z.rule && (!z.tail || unix < z.lastTx) {
		off, start, end = tai64.LocationZone(z.loc, unix)
		if z.tail {
			end = min(end, z.lastTx)
		}
		return off, start, end, true
	}
	year, ystart, yend := utcYear(unix)
	if z.tail {
		ystart = max(ystart, z.lastTx)
	}
	switch {
	case year < minYear || year > maxYear:
		if z.rule {
			return 0, ystart, yend, false
		}
		return z.lastOff, ystart, yend, true
	case z.dst && (year < 1970 || glibcDaysOverflow(year)):
		if z.north {
			return z.std, ystart, yend, true
		}
		return z.sum, ystart, yend, true
	}
	off, start, end = tai64.LocationZone(z.loc, unix)
	return off, max(start, ystart), min(end, yend), true
}

// glibcDaysOverflow reports whether compute_change's count of days from
// 1970 to the start of year overflows an int.
func glibcDaysOverflow(year int64) bool {
	y := year - 1
	days := (year-1970)*365 + (y/4 - 1970/4) - (y/100 - 1970/100) + (y/400 - 1970/400)
	return days > math.MaxInt32
}

// utcYear returns the UTC year of Unix second unix and the span of Unix
// seconds [start, end) of that year, cut to what int64 holds.
func utcYear(unix int64) (year, start, end int64) {
	days := unix / 86400
	if unix%86400 < 0 {
		days--
	}
	// Years of the proleptic Gregorian calendar in 400-year eras of
	// 146097 days, from 0000-01-01 (day -719528 from 1970).
	z := days + 719528
	era := z / 146097
	if z%146097 < 0 {
		era--
	}
	doe := z - era*146097 // [0, 146096], from 1 January of a year divisible by 400
	yoe := doe * 400 / 146097
	for yearStart(yoe+1) <= doe {
		yoe++
	}
	for yearStart(yoe) > doe {
		yoe--
	}
	year = era*400 + yoe
	dayStart := days - (doe - yearStart(yoe))
	start, end = dayStart*86400, (dayStart+yearDays(year))*86400
	if dayStart > math.MaxInt64/86400-366 {
		end = math.MaxInt64
	}
	if dayStart < math.MinInt64/86400+1 {
		start = math.MinInt64
	}
	return year, start, end
}

// yearStart returns the day, from the start of a 400-year era, on which
// its year y (0 to 400) begins: 365 days a year and the leap days of the
// years before it (the era's first year is a leap year).
func yearStart(y int64) int64 {
	return y*365 + (y+3)/4 - (y+99)/100 + (y+399)/400
}

func yearDays(year int64) int64 {
	if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return 366
	}
	return 365
}
