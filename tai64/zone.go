package tai64

import (
	"encoding/binary"
	"io"
	"math"
	"os"
	"sort"
	"strings"
)

// Where glibc looks for zones, and the defaults of [ZoneConfig].
const (
	// DefaultLocaltime is the zone file of a TZ that is unset (glibc's
	// TZDEFAULT).
	DefaultLocaltime = "/etc/localtime"
	// DefaultZoneDir is where zone names are looked up (glibc's TZDIR).
	DefaultZoneDir = "/usr/share/zoneinfo"
	// posixRules is the file whose rules a TZ such as "CET-1CEST", with a
	// summer zone but no rule for it, follows (glibc's TZDEFRULES).
	posixRules = "posixrules"
	// maxZoneFile bounds what is read of a zone file; real ones are under
	// 10 KB.
	maxZoneFile = 1 << 20
)

// ZoneConfig says which zone [LoadZone] loads: the value of TZ, which the
// caller reads from its environment, and where the zone files are.
type ZoneConfig struct {
	// TZ is the value of the TZ environment variable, and TZSet whether it
	// is set at all: glibc tells unset (the zone in Localtime) from empty
	// (UTC).
	TZ    string
	TZSet bool
	// Localtime is the zone file used when TZ is unset; "" means
	// [DefaultLocaltime].
	Localtime string
	// Dir is where zone names are looked up (the TZDIR environment
	// variable); "" means [DefaultZoneDir].
	Dir string
}

// A Zone is a time zone as glibc 2.36's localtime(3) and mktime(3) read
// it: a zone file's transitions (RFC 8536), and a POSIX TZ rule such as
// "CET-1CEST,M3.5.0,M10.5.0/3" for times after a file's last transition or
// for a TZ that names no file. It copies glibc where glibc parts from
// other readers (see [Zone.Lookup]), so that tai64nlocal prints what
// daemontools' prints, and every local time mlog shows or reads agrees
// with it. The nil *Zone is UTC. A Zone is immutable and safe for
// concurrent use.
type Zone struct {
	name  string // TZ as given, for String
	file  bool   // loaded from a zone file
	leaps bool   // the file has leap second records (a right/ zone)

	// A zone file's transitions: at tx[i] the zone moves to
	// types[txType[i]]. Before tx[0], or with no transitions, it is
	// types[first]. tx is sorted.
	tx     []int64
	txType []uint8
	types  []zoneType
	first  int

	// rule is TZ's rule (no file), or the file's footer for times from
	// its last transition on; nil if there is none.
	rule *tzRule
}

// zoneType is one local time type: offset east of UTC, in seconds.
type zoneType struct {
	off  int64
	dst  bool
	abbr string
}

// UTC is the zone with offset 0, the same as the nil *Zone.
var UTC *Zone

// utcType is what the nil Zone and a zone with no data answer.
var utcType = zoneType{abbr: "UTC"}

// ZoneInfo is what [Zone.Lookup] tells of an instant.
type ZoneInfo struct {
	Offset int64  // seconds east of UTC
	Abbr   string // "JST", "CEST", "+0330"
	DST    bool   // summer time (tm_isdst)
	// The answer holds for the Unix seconds in [Start, End)
	// (math.MinInt64 and math.MaxInt64 for no bound).
	Start, End int64
}

// String returns TZ as it was given to [LoadZone], or "UTC".
func (z *Zone) String() string {
	if z == nil {
		return "UTC"
	}
	return z.name
}

// Leaps reports whether the zone file has leap second records (the right/
// zones): glibc then reads time_t as counting leap seconds, that is,
// labels as true TAI (see [LocalConfig].TAI).
func (z *Zone) Leaps() bool { return z != nil && z.leaps }

// LoadZone returns the zone glibc's tzset(3) loads for cfg:
//
//   - TZ unset: the file Localtime; failing that, UTC;
//   - TZ empty: UTC (glibc looks for a zone "Universal", which is UTC);
//   - a leading ':' is dropped, then TZ names a zone file: a path if it
//     starts with '/', else a name under Dir ("Asia/Tokyo");
//   - failing that, TZ is a POSIX rule: "JST-9", "<+0330>-3:30",
//     "EST5EDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3", with Jn and n
//     dates too; a summer zone with no rule ("CET-1CEST") follows the file
//     posixrules in Dir, as glibc does, or the US rules without it;
//   - failing that, UTC: a rule glibc cannot read gives offset 0.
//
// There is no error: like glibc, LoadZone falls back to UTC. It reads zone
// files and nothing else (no environment).
func LoadZone(cfg ZoneConfig) *Zone {
	dir := cfg.Dir
	if dir == "" {
		dir = DefaultZoneDir
	}
	tz := cfg.TZ
	name := tz
	switch {
	case !cfg.TZSet:
		tz = cfg.Localtime
		if tz == "" {
			tz = DefaultLocaltime
		}
		name = ""
	case tz == "":
		tz = "Universal"
	}
	tz = strings.TrimPrefix(tz, ":")
	path := tz
	switch {
	case tz == "": // TZ=":" is the localtime file too (__tzfile_read)
		path = cfg.Localtime
		if path == "" {
			path = DefaultLocaltime
		}
	case tz[0] != '/':
		path = dir + "/" + tz
	}
	if z := parseTZif(readZoneFile(path)); z != nil {
		z.name = name
		return z
	}
	if !cfg.TZSet || cfg.TZ == "" || tz == "" {
		return &Zone{name: name}
	}
	z := &Zone{name: name}
	r, defaultRules := parseRule(tz)
	if defaultRules {
		if f := posixRulesZone(readZoneFile(dir+"/"+posixRules), r); f != nil {
			f.name = name
			return f
		}
	}
	z.rule = r
	return z
}

// readZoneFile returns the contents of a regular file, or nil. It looks
// before it opens so that a TZ naming a FIFO does not block.
func readZoneFile(path string) []byte {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxZoneFile))
	if err != nil {
		return nil
	}
	return data
}

// tzifData is a zone file's data block, read as glibc's __tzfile_read
// reads it.
type tzifData struct {
	tx          []int64
	txType      []uint8
	types       []zoneType
	isStd, isUT []bool
	leaps       bool
	footer      string
	stdOff      int64 // glibc's rule_stdoff and rule_dstoff: see readTZif
	dstOff      int64
}

// parseTZif reads RFC 8536 data: the 64-bit block of a version 2 or later
// file, the 32-bit block of a version 1 one, and the footer. It returns
// nil for anything else.
func parseTZif(data []byte) *Zone {
	d, ok := readTZif(data)
	if !ok {
		return nil
	}
	z := &Zone{file: true, leaps: d.leaps, tx: d.tx, txType: d.txType, types: d.types}
	// Before the first transition: the first type that is not summer
	// time, or the first type (__tzfile_compute).
	for i, t := range z.types {
		if !t.dst {
			z.first = i
			break
		}
	}
	if d.footer != "" {
		r, _ := parseRule(d.footer)
		z.rule = r
	}
	return z
}

func readTZif(data []byte) (d tzifData, ok bool) {
	const headerLen = 44
	if len(data) < headerLen || string(data[:4]) != "TZif" {
		return d, false
	}
	counts := func(h []byte) (isut, isstd, leap, timecnt, typecnt, charcnt int) {
		c := func(i int) int { return int(binary.BigEndian.Uint32(h[20+4*i:])) }
		return c(0), c(1), c(2), c(3), c(4), c(5)
	}
	size := 4 // bytes per transition time and leap second time
	isut, isstd, leap, timecnt, typecnt, charcnt := counts(data)
	if data[4] >= '2' {
		skip := headerLen + timecnt*5 + typecnt*6 + charcnt + leap*8 + isstd + isut
		if skip < 0 || len(data) < skip+headerLen || string(data[skip:skip+4]) != "TZif" {
			return d, false
		}
		data = data[skip:]
		size = 8
		isut, isstd, leap, timecnt, typecnt, charcnt = counts(data)
	}
	body := data[headerLen:]
	end := timecnt*(size+1) + typecnt*6 + charcnt + leap*(size+4) + isstd + isut
	if end < 0 || len(body) < end || typecnt == 0 || typecnt > 256 ||
		isstd != 0 && isstd != typecnt || isut != 0 && isut != typecnt {
		return d, false
	}
	b := body
	d.tx = make([]int64, timecnt)
	for i := range d.tx {
		if size == 8 {
			d.tx[i] = int64(binary.BigEndian.Uint64(b[8*i:]))
		} else {
			d.tx[i] = int64(int32(binary.BigEndian.Uint32(b[4*i:])))
		}
	}
	for i := 1; i < timecnt; i++ {
		if d.tx[i] <= d.tx[i-1] {
			return d, false // RFC 8536 wants them ascending; Lookup bisects them
		}
	}
	b = b[timecnt*size:]
	d.txType = make([]uint8, timecnt)
	copy(d.txType, b)
	for _, t := range d.txType {
		if int(t) >= typecnt {
			return d, false
		}
	}
	b = b[timecnt:]
	chars := b[typecnt*6 : typecnt*6+charcnt]
	d.types = make([]zoneType, typecnt)
	for i := range d.types {
		e := b[6*i:]
		idx := int(e[5])
		if idx >= charcnt && charcnt > 0 || e[4] > 1 {
			return d, false
		}
		abbr := ""
		if idx < charcnt {
			abbr = string(chars[idx:])
			if j := strings.IndexByte(abbr, 0); j >= 0 {
				abbr = abbr[:j]
			}
		}
		d.types[i] = zoneType{off: int64(int32(binary.BigEndian.Uint32(e))), dst: e[4] == 1, abbr: abbr}
	}
	b = b[typecnt*6+charcnt:]
	d.leaps = leap > 0
	b = b[leap*(size+4):]
	d.isStd, d.isUT = make([]bool, typecnt), make([]bool, typecnt)
	for i := range isstd {
		d.isStd[i] = b[i] != 0
	}
	b = b[isstd:]
	for i := range isut {
		d.isUT[i] = b[i] != 0
	}
	b = b[isut:]
	if size == 8 && len(b) > 1 && b[0] == '\n' {
		if i := strings.IndexByte(string(b[1:]), '\n'); i >= 0 {
			d.footer = string(b[1 : 1+i])
		}
	}
	// glibc's rule_stdoff: the offset of the last transition to standard
	// time, or 0; with no transitions, the first type's.
	if len(d.tx) == 0 {
		d.stdOff = d.types[0].off
	}
	for i := len(d.tx) - 1; i >= 0; i-- {
		if t := d.types[d.txType[i]]; !t.dst {
			d.stdOff = t.off
			break
		}
	}
	return d, true
}

// posixRulesZone returns the zone glibc's __tzfile_default makes of
// posixrules data for a TZ rule r with a summer zone and no dates: the
// file's transitions, between two types with r's offsets and names. glibc
// 2.36 moves each change to summer time by r's standard offset less the
// file's, and a change back by r's summer offset less a value left over
// from the call before: 0 in a process's first localtime call, r's own
// summer offset (no move) in every later one. We copy the later calls, the
// steady state of a long tai64nlocal run (measured with daemontools'
// tai64nlocal, posixrules being New York's): "CET-1CEST" changes at 13:00
// and 06:00 UTC on the US dates (a fresh date(1) says 08:00 for the
// second). The footer is kept as it is, offsets and all: glibc keeps it
// too, so "CET-1CEST" shows EST after the file's last transition (2037).
// It returns nil where glibc would not use the file.
func posixRulesZone(data []byte, r *tzRule) *Zone {
	d, ok := readTZif(data)
	if !ok || len(d.types) < 2 {
		return nil
	}
	std, dst := &r.half[0], &r.half[1]
	z := &Zone{file: true, first: 0,
		types:  []zoneType{{off: std.off, abbr: std.name}, {off: dst.off, dst: true, abbr: dst.name}},
		tx:     make([]int64, len(d.tx)),
		txType: make([]uint8, len(d.tx)),
	}
	isDST := false
	for i, t := range d.tx {
		typ := d.txType[i]
		tt := d.types[typ]
		if !d.isUT[typ] && !(isDST && !d.isStd[typ]) {
			t += std.off - d.stdOff
		}
		z.tx[i] = t
		if tt.dst {
			z.txType[i] = 1
		}
		isDST = tt.dst
	}
	if d.footer != "" {
		z.rule, _ = parseRule(d.footer)
	}
	return z
}

// Lookup returns the offset, abbreviation and summer time flag in force at
// Unix second unix, and the span over which that answer holds. ok is false
// where glibc's localtime fails (a TZ rule with no file, at times whose UTC
// year does not fit in an int).
//
// It copies glibc 2.36 (time/tzfile.c __tzfile_compute, time/tzset.c
// __tz_compute): before a file's first transition the first standard type
// applies; from its last transition on, the footer's rule, worked out for
// the time's UTC year; past the years an int holds, the last transition's
// type. A rule's changes are worked out from 1 January 1970 for years up
// to 1970, so earlier years have no summer time north of the equator and
// all summer time south of it; the count of days from 1970 overflows an
// int after 5.88 million years, with the same effect.
func (z *Zone) Lookup(unix int64) (ZoneInfo, bool) {
	switch {
	case z == nil:
		return info(utcType, math.MinInt64, math.MaxInt64), true
	case z.file:
		n := len(z.tx)
		if n == 0 || unix < z.tx[0] {
			end := int64(math.MaxInt64)
			if n > 0 {
				end = z.tx[0]
			}
			return info(z.types[z.first], math.MinInt64, end), true
		}
		if unix >= z.tx[n-1] {
			last := z.types[z.txType[n-1]]
			if z.rule == nil {
				return info(last, z.tx[n-1], math.MaxInt64), true
			}
			i, ok := z.rule.lookup(unix)
			if !ok {
				i = info(last, i.Start, i.End)
			}
			i.Start = max(i.Start, z.tx[n-1])
			return i, true
		}
		// The first transition after unix, and the type of the one
		// before it.
		i := sort.Search(n, func(i int) bool { return z.tx[i] > unix })
		return info(z.types[z.txType[i-1]], z.tx[i-1], z.tx[i]), true
	case z.rule != nil:
		return z.rule.lookup(unix)
	}
	return info(utcType, math.MinInt64, math.MaxInt64), true
}

func info(t zoneType, start, end int64) ZoneInfo {
	return ZoneInfo{Offset: t.off, Abbr: t.abbr, DST: t.dst, Start: start, End: end}
}

// Unix returns the instant whose wall time in z is wall (seconds since
// 1970-01-01 00:00:00 of the zone's clock, as [Civil.Seconds] gives), as
// glibc's mktime(3) does with tm_isdst = -1 in a fresh process:
//
//   - a wall time that happens once gives that instant;
//   - one that happens twice (the hour a clock is set back) gives the
//     instant glibc's search finds first, starting from the wall time
//     read as UTC: in zones west of Greenwich the earlier one (01:30 EDT
//     in New York on the first Sunday of November), east of it the later
//     one (02:30 CET in Paris on the last Sunday of October);
//   - one that never happens (in the hour a clock is set forward) is read
//     with the offset in force before the gap, so it lands as far after
//     the change as it is after the gap's start: 02:30 on the second
//     Sunday of March in New York is 03:30 EDT. glibc does this where the
//     far side is summer time, the usual case; where neither side is, it
//     fails, and we still answer this way.
//
// ok is false only where the zone has no answer (see [Zone.Lookup]).
func (z *Zone) Unix(wall int64) (int64, bool) {
	// glibc's search: guess, look at the wall time the guess gives, move
	// the guess by the error; a gap makes it swing between two guesses.
	t := wall
	var lo int64 = math.MaxInt64 // the smaller of the guesses after the first
	for probe := range 6 {
		i, ok := z.Lookup(t)
		if !ok {
			return 0, false
		}
		if t+i.Offset == wall {
			return t, true
		}
		if probe > 0 {
			lo = min(lo, t)
		}
		t = wall - i.Offset
	}
	// A gap: the smaller guess is before the change, in the offset that
	// was in force before it.
	i, ok := z.Lookup(lo)
	if !ok {
		return 0, false
	}
	return wall - i.Offset, true
}

// tzRule is a POSIX TZ rule as glibc's __tzset_parse_tz leaves tz_rules:
// half 0 is standard time and the date summer time starts, half 1 summer
// time and the date it ends. A rule with no summer time has two halves
// alike and no dates; both changes then fall on the same instant and
// summer time is never in force.
type tzRule struct {
	half [2]ruleHalf
}

// ruleHalf is one tz_rule.
type ruleHalf struct {
	name string
	off  int64 // east of UTC
	// The date of the change: kind 'J' (Jn, 1-365, no 29 February), 'n'
	// (0-365) or 'M' (Mm.w.d); secs is its time of day, local time before
	// the change. The zero value is day 0 at 00:00, as glibc's.
	kind    byte
	m, w, d int
	secs    int64
}

// parseRule reads a POSIX TZ rule as glibc's __tzset_parse_tz does,
// keeping what it has read when it stops at something it does not
// understand. defaults reports a summer zone with no rule after it, which
// glibc first looks up in posixrules.
func parseRule(tz string) (r *tzRule, defaults bool) {
	r = &tzRule{}
	r.half[0].kind, r.half[1].kind = 'n', 'n'
	s := tz
	if !parseTZName(&s, &r.half[0]) || !parseOffset(&s, r, 0) {
		return r, false
	}
	if s == "" {
		// No summer time.
		r.half[1].name, r.half[1].off = r.half[0].name, r.half[0].off
		return r, false
	}
	if parseTZName(&s, &r.half[1]) {
		parseOffset(&s, r, 1)
		if s == "" || s == "," {
			defaults = true
		}
	}
	if parseDate(&s, &r.half[0], 0) {
		parseDate(&s, &r.half[1], 1)
	}
	return r, defaults
}

// parseTZName is glibc's parse_tzname: three or more letters, or <...>
// with three or more letters, digits, '+' and '-' inside.
func parseTZName(s *string, h *ruleHalf) bool {
	t := *s
	i := 0
	for i < len(t) && isAlpha(t[i]) {
		i++
	}
	if i >= 3 {
		h.name, *s = t[:i], t[i:]
		return true
	}
	if t == "" || t[0] != '<' {
		return false
	}
	i = 1
	for i < len(t) && (isAlpha(t[i]) || isDigit(t[i]) || t[i] == '+' || t[i] == '-') {
		i++
	}
	if i >= len(t) || t[i] != '>' || i-1 < 3 {
		return false
	}
	h.name, *s = t[1:i], t[i+1:]
	return true
}

// parseOffset is glibc's parse_offset: [+-]hh[:mm[:ss]], west of UTC
// positive; hours above 24 and minutes or seconds above 59 count as 24
// and 59 (compute_offset). A summer zone with no offset is an hour ahead
// of standard time.
func parseOffset(s *string, r *tzRule, which int) bool {
	t := *s
	if which == 0 && (t == "" || t[0] != '+' && t[0] != '-' && !isDigit(t[0])) {
		return false
	}
	sign := int64(-1)
	if t != "" && (t[0] == '+' || t[0] == '-') {
		if t[0] == '-' {
			sign = 1
		}
		t = t[1:]
	}
	hh, mm, ss, n := scanHMS(t)
	if n == 0 {
		if which == 0 {
			r.half[0].off = 0
			return false
		}
		r.half[1].off = r.half[0].off + 3600
		*s = t
		return true
	}
	r.half[which].off = sign * (min(ss, 59) + min(mm, 59)*60 + min(hh, 24)*3600)
	*s = t[n:]
	return true
}

// scanHMS reads hh[:mm[:ss]] as sscanf("%hu%n:%hu%n:%hu%n") does,
// returning the bytes consumed (0 if there is no hh).
func scanHMS(t string) (hh, mm, ss int64, n int) {
	var v [3]int64
	for k := range 3 {
		i := n
		if k > 0 {
			if i >= len(t) || t[i] != ':' {
				break
			}
			i++
		}
		j := i
		var x int64
		for j < len(t) && isDigit(t[j]) {
			x = (x*10 + int64(t[j]-'0')) & 0xffff // %hu wraps
			j++
		}
		if j == i {
			break
		}
		v[k], n = x, j
	}
	return v[0], v[1], v[2], n
}

// parseDate is glibc's parse_rule: ",Jn", ",n" or ",Mm.w.d", then an
// optional "/time" (default 02:00); with nothing left, the US rules of
// 2007 (M3.2.0 and M11.1.0).
func parseDate(s *string, h *ruleHalf, which int) bool {
	t := *s
	if t != "" && t[0] == ',' {
		t = t[1:]
	}
	var k ruleHalf
	switch {
	case t != "" && (t[0] == 'J' || isDigit(t[0])):
		k.kind = 'n'
		if t[0] == 'J' {
			k.kind = 'J'
			t = t[1:]
			if t == "" || !isDigit(t[0]) {
				return false
			}
		}
		i, d := 0, 0
		for i < len(t) && isDigit(t[i]) {
			d = min(d*10+int(t[i]-'0'), 1000)
			i++
		}
		if d > 365 || k.kind == 'J' && d == 0 {
			return false
		}
		k.d, t = d, t[i:]
	case t != "" && t[0] == 'M':
		k.kind = 'M'
		var v [3]int
		i := 1
		for f := range 3 {
			if f > 0 {
				if i >= len(t) || t[i] != '.' {
					return false
				}
				i++
			}
			j := i
			for j < len(t) && isDigit(t[j]) {
				v[f] = min(v[f]*10+int(t[j]-'0'), 1000)
				j++
			}
			if j == i {
				return false
			}
			i = j
		}
		k.m, k.w, k.d = v[0], v[1], v[2]
		if k.m < 1 || k.m > 12 || k.w < 1 || k.w > 5 || k.d > 6 {
			return false
		}
		t = t[i:]
	case t == "":
		k.kind, k.m, k.w, k.d = 'M', 3, 2, 0
		if which == 1 {
			k.m, k.w = 11, 1
		}
	default:
		return false
	}
	k.secs = 2 * 3600
	if t != "" && t[0] != '/' && t[0] != ',' {
		return false
	}
	if t != "" && t[0] == '/' {
		t = t[1:]
		if t == "" {
			return false
		}
		sign := int64(1)
		if t[0] == '-' {
			sign, t = -1, t[1:]
		}
		hh, mm, ss, n := scanHMS(t)
		if n == 0 {
			hh = 2
		}
		k.secs = sign * (hh*3600 + mm*60 + ss)
		t = t[n:]
	}
	h.kind, h.m, h.w, h.d, h.secs = k.kind, k.m, k.w, k.d, k.secs
	*s = t
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lookup is __tz_compute for Unix second unix: the rule's changes in its
// UTC year, and which side of them unix is. When the year does not fit in
// an int, ok is false and Start and End still bound the year.
func (r *tzRule) lookup(unix int64) (ZoneInfo, bool) {
	year, ystart, yend := utcYear(unix)
	if year < math.MinInt32+1900 || year > math.MaxInt32+1900 {
		return ZoneInfo{Start: ystart, End: yend}, false // tm_year overflows
	}
	// glibc passes 1900+tm_year, an int: it wraps for the last years.
	cy := int64(int32(year))
	c0, c1 := r.half[0].change(cy), r.half[1].change(cy)
	var dst bool
	if c0 > c1 {
		dst = unix < c1 || unix >= c0 // south: summer time spans the new year
	} else {
		dst = unix >= c0 && unix < c1
	}
	start, end := ystart, yend
	for _, c := range [2]int64{c0, c1} {
		if c <= unix {
			start = max(start, c)
		} else {
			end = min(end, c)
		}
	}
	h := &r.half[0]
	if dst {
		h = &r.half[1]
	}
	return ZoneInfo{Offset: h.off, Abbr: h.name, DST: dst, Start: start, End: end}, true
}

// monthDays are glibc's __mon_yday: the days before each month, and the
// year's length, in common and leap years.
var monthDays = [2][13]int64{
	{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
	{0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
}

// change is glibc's compute_change: the Unix second of h's change in
// year, which fits in an int. Its count of days from 1970 is an int and
// wraps, and for years up to 1970 it starts from 1970, as glibc's does.
func (h *ruleHalf) change(year int64) int64 {
	var t int64
	if year > 1970 {
		y := int32(year)
		days := (y-1970)*365 + ((y-1)/4 - 1970/4) - ((y-1)/100 - 1970/100) + ((y-1)/400 - 1970/400)
		t = int64(days) * 86400
	}
	leap := 0
	if isLeap(year) {
		leap = 1
	}
	switch h.kind {
	case 'J':
		t += int64(h.d-1) * 86400
		if h.d >= 60 && leap == 1 {
			t += 86400
		}
	case 'n':
		t += int64(h.d) * 86400
	case 'M':
		myday := monthDays[leap][h.m-1 : h.m+1]
		t += myday[0] * 86400
		// Zeller's congruence for the weekday of the month's first day.
		m1 := int64((h.m+9)%12 + 1)
		yy0 := year
		if h.m <= 2 {
			yy0--
		}
		yy1, yy2 := yy0/100, yy0%100
		dow := ((26*m1-2)/10 + 1 + yy2 + yy2/4 + yy1/4 - 2*yy1) % 7
		if dow < 0 {
			dow += 7
		}
		d := int64(h.d) - dow
		if d < 0 {
			d += 7
		}
		for i := 1; i < h.w; i++ {
			if d+7 >= myday[1]-myday[0] {
				break
			}
			d += 7
		}
		t += d * 86400
	}
	return t - h.off + h.secs
}

// utcYear returns the UTC year of Unix second unix and the span of Unix
// seconds [start, end) of that year, cut to what int64 holds.
func utcYear(unix int64) (year, start, end int64) {
	days := floorDiv64(unix, 86400)
	year, _, _ = civil(days)
	s := daysFromCivil(year, 1, 1)
	start, end = s*86400, (s+365)*86400
	if isLeap(year) {
		end += 86400
	}
	if s > math.MaxInt64/86400-366 {
		end = math.MaxInt64
	}
	if s < math.MinInt64/86400+1 {
		start = math.MinInt64
	}
	return year, start, end
}
