package compat

import (
	"encoding/binary"
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
	loc, leap := LocalZone(t.getenv)
	cfg := tai64.LocalConfig{Location: loc, TAI: leap}
	if err := tai64.LocalLines(t.Stdout, t.Stdin, cfg); err != nil {
		return t.Fatal(err)
	}
	return ExitOK
}

// zoneinfoDir is where glibc looks for TZ names that are not paths, unless
// TZDIR says otherwise.
const zoneinfoDir = "/usr/share/zoneinfo"

// LocalZone returns the zone localtime(3) uses, from TZ as getenv gives it,
// the way glibc reads it: unset (or empty) means /etc/localtime (we use
// [time.Local], which tells the two apart); ":name" is "name"; an absolute
// path is a zone file; other names are files under TZDIR or
// /usr/share/zoneinfo; failing that, TZ is read as a POSIX rule such as
// "JST-9" or "CET-1CEST,M3.5.0,M10.5.0/3"; failing that, UTC.
//
// leap reports a zone file with leap second records (the right/ zones):
// glibc then reads time_t as counting leap seconds, so labels must be read
// as true TAI ([tai64.LocalConfig] TAI).
func LocalZone(getenv func(string) string) (loc *time.Location, leap bool) {
	tz := getenv("TZ")
	if tz == "" {
		return time.Local, hasLeaps(readZone("/etc/localtime"))
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
			return loc, hasLeaps(data)
		}
	}
	if loc, ok := posixZone(tz); ok {
		return loc, false
	}
	return time.UTC, false
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
