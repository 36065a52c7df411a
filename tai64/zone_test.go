package tai64

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// needZoneinfo skips a test where the zone files are missing.
func needZoneinfo(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(DefaultZoneDir + "/America/New_York"); err != nil {
		t.Skip("no zoneinfo:", err)
	}
}

func TestLoadZone(t *testing.T) {
	needZoneinfo(t)
	// 1999-08-24 04:04:05 UTC, and what we want there.
	const at = 935467445
	tests := []struct {
		tz   string
		off  int64
		abbr string
		leap bool
	}{
		{"UTC", 0, "UTC", false},
		{"", 0, "UTC", false},  // glibc reads "Universal"
		{":", 0, "UTC", false}, // /etc/localtime, UTC on the test machines
		{"Asia/Tokyo", 9 * 3600, "JST", false},
		{":Asia/Tokyo", 9 * 3600, "JST", false},
		{DefaultZoneDir + "/Asia/Tokyo", 9 * 3600, "JST", false},
		{":" + DefaultZoneDir + "/Asia/Tokyo", 9 * 3600, "JST", false},
		{"America/Los_Angeles", -7 * 3600, "PDT", false},
		{"JST-9", 9 * 3600, "JST", false},
		{"<+0330>-3:30", 3*3600 + 1800, "+0330", false},
		{"EST5EDT,M3.2.0,M11.1.0", -4 * 3600, "EDT", false},
		{"CET-1CEST,M3.5.0,M10.5.0/3", 2 * 3600, "CEST", false},
		{"AAA3BBB,J60/1,300/-2", -2 * 3600, "BBB", false},
		{"ABC-25", 24 * 3600, "ABC", false}, // hours cut to 24
		{"JST-9:30", 9*3600 + 1800, "JST", false},
		{"EST5EDT,xyz", -4 * 3600, "EDT", false}, // glibc: summer time all year
		{"Foo/Bar", 0, "Foo", false},             // no file; a name and no offset
		{"<X>5", 0, "", false},                   // a quoted name needs 3 characters
		{"x", 0, "", false},
	}
	for _, tc := range tests {
		z := LoadZone(ZoneConfig{TZ: tc.tz, TZSet: true})
		i, ok := z.Lookup(at)
		if !ok || i.Offset != tc.off || i.Abbr != tc.abbr || z.Leaps() != tc.leap || i.Start > at || i.End <= at {
			t.Errorf("TZ=%q: Lookup = %+v, %v, leaps %v; want offset %d %q, leaps %v", tc.tz, i, ok, z.Leaps(), tc.off, tc.abbr, tc.leap)
		}
		if z.String() != tc.tz {
			t.Errorf("TZ=%q: String() = %q", tc.tz, z.String())
		}
	}

	// TZ unset: the localtime file, a parameter so that tests need not
	// replace /etc/localtime.
	dir := t.TempDir()
	data, err := os.ReadFile(DefaultZoneDir + "/Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "localtime")
	if err := os.WriteFile(local, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if i, _ := LoadZone(ZoneConfig{Localtime: local}).Lookup(at); i.Offset != 9*3600 {
		t.Errorf("TZ unset, localtime Tokyo: offset %d", i.Offset)
	}
	if i, _ := LoadZone(ZoneConfig{Localtime: filepath.Join(dir, "none")}).Lookup(at); i.Offset != 0 {
		t.Errorf("TZ unset, no localtime: offset %d, want UTC", i.Offset)
	}
	// TZDIR moves the zone files, as in glibc.
	if err := os.WriteFile(filepath.Join(dir, "Here"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if i, _ := LoadZone(ZoneConfig{TZ: "Here", TZSet: true, Dir: dir}).Lookup(at); i.Offset != 9*3600 {
		t.Errorf("TZDIR: offset %d, want %d", i.Offset, 9*3600)
	}
	// A summer zone with no dates and no posixrules: the US rules.
	z := LoadZone(ZoneConfig{TZ: "CET-1CEST", TZSet: true, Dir: dir})
	for _, tc := range []struct {
		unix int64
		off  int64
	}{{1173574800 - 1, 3600}, {1173574800, 7200}, {1194134400 - 1, 7200}, {1194134400, 3600}} { // 2007, 02:00 local
		if i, _ := z.Lookup(tc.unix); i.Offset != tc.off {
			t.Errorf("CET-1CEST, no posixrules: at %d offset %d, want %d", tc.unix, i.Offset, tc.off)
		}
	}
	// A FIFO is not opened (it would block).
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err == nil {
		if z := LoadZone(ZoneConfig{TZ: fifo, TZSet: true}); z.file {
			t.Errorf("TZ=%s (a FIFO): loaded as a file", fifo)
		}
	}
}

// mkfifo makes a FIFO with mkfifo(1), to keep syscall out of the package.
func mkfifo(path string) error { return exec.Command("mkfifo", path).Run() }

// zoneTZs are TZ values checked against glibc instant by instant.
var zoneTZs = []string{
	"Asia/Tokyo", "America/New_York", ":America/New_York", "Europe/Paris", "Australia/Lord_Howe",
	"Europe/Dublin", "America/Sao_Paulo", "Asia/Kathmandu", "Africa/Casablanca",
	"JST-9", "EST5EDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3", "<+0330>-3:30",
	"AEST-10AEDT,M10.1.0,M4.1.0/3", "AAA3BBB,J60/1,300/-2", "<+03>-3<+04>,M3.5.0/-2,M10.5.0/26",
	"CET-1CEST", "EST5EDT,M3.2.0", "EST5EDT,xyz", "", "Foo/Bar",
}

// zoneFirstCall are the zoneTZs whose answers date(1) cannot check: it
// sets TZ before each time, so every time is glibc's first call, which
// differs there (see posixRulesZone); the tai64nlocal test checks them.
var zoneFirstCall = map[string]bool{"CET-1CEST": true}

// TestZoneLookupGlibc compares Lookup's offset and abbreviation with
// glibc's localtime, through date(1), at instants near clock changes and
// at random from 1900 to 2100 and beyond 2037 (a file's footer).
func TestZoneLookupGlibc(t *testing.T) {
	needZoneinfo(t)
	date := testkit.NeedPeer(t, "date", "coreutils")
	rng := rand.New(rand.NewPCG(7, 8))
	secs := []int64{0, -1, 1 << 31, 2145916800, 4102444800, 935467445}
	for _, c := range []int64{1772935200, 1774746000, 1792890000, 1793505600, 1775314800, 1791043200} { // 2026 changes
		for d := int64(-7200); d <= 7200; d += 900 {
			secs = append(secs, c+d-1, c+d)
		}
	}
	for range 400 {
		secs = append(secs, -2208988800+rng.Int64N(6311433600)) // 1900-2100
	}
	var in bytes.Buffer
	for _, s := range secs {
		fmt.Fprintf(&in, "@%d\n", s)
	}
	for _, tz := range zoneTZs {
		if zoneFirstCall[tz] {
			continue
		}
		cmd := exec.Command(date, "-f", "-", "+%z %Z")
		cmd.Env = []string{"TZ=" + tz}
		cmd.Stdin = bytes.NewReader(in.Bytes())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("TZ=%s date: %v", tz, err)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		z := LoadZone(ZoneConfig{TZ: tz, TZSet: true})
		bad := 0
		for k, s := range secs {
			i, ok := z.Lookup(s)
			off := i.Offset
			if off < 0 {
				off = -off // %z: sign, then hours and minutes of the magnitude
			}
			sign := "+"
			if i.Offset < 0 {
				sign = "-"
			}
			want := fmt.Sprintf("%s%02d%02d %s", sign, off/3600, off/60%60, i.Abbr)
			if !ok || got[k] != want {
				if bad++; bad <= 5 {
					t.Errorf("TZ=%s at %d (%s): got %q (ok %v), glibc %q", tz, s, time.Unix(s, 0).UTC().Format(time.DateTime), want, ok, got[k])
				}
			}
			if i.Start > s || i.End <= s {
				t.Errorf("TZ=%s at %d: span [%d, %d) does not hold it", tz, s, i.Start, i.End)
			}
		}
	}
}

// TestZoneUnixMktime compares Unix with glibc's mktime (tm_isdst = -1,
// a fresh process each time: mktime keeps its last offset as its next
// guess) through perl's POSIX::mktime, at wall times in and around the
// hours clocks skip and repeat.
func TestZoneUnixMktime(t *testing.T) {
	needZoneinfo(t)
	perl := testkit.NeedPeer(t, "perl", "perl")
	walls := []string{
		"2026-03-08 01:59:59", "2026-03-08 02:00:00", "2026-03-08 02:30:00", "2026-03-08 03:00:00",
		"2026-11-01 00:59:59", "2026-11-01 01:00:00", "2026-11-01 01:30:00", "2026-11-01 02:00:00",
		"2026-03-29 02:30:00", "2026-03-29 03:00:00", "2026-10-25 02:00:00", "2026-10-25 02:30:00", "2026-10-25 03:00:00",
		"2026-04-05 01:45:00", "2026-04-05 02:15:00", "2026-10-04 02:15:00", "2026-10-04 02:45:00",
		"2026-07-01 12:00:00", "1950-07-01 12:00:00", "2050-07-01 12:00:00",
	}
	for _, tz := range []string{"America/New_York", "EST5EDT,M3.2.0,M11.1.0", "Europe/Paris", "CET-1CEST,M3.5.0,M10.5.0/3", "Australia/Lord_Howe", "JST-9", "<+0330>-3:30"} {
		z := LoadZone(ZoneConfig{TZ: tz, TZSet: true})
		for _, w := range walls {
			tm, err := time.Parse(time.DateTime, w)
			if err != nil {
				t.Fatal(err)
			}
			script := fmt.Sprintf("use POSIX; print mktime(%d,%d,%d,%d,%d,%d,0,0,-1)", tm.Second(), tm.Minute(), tm.Hour(), tm.Day(), tm.Month()-1, tm.Year()-1900)
			cmd := exec.Command(perl, "-e", script)
			cmd.Env = []string{"TZ=" + tz}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("perl: %v", err)
			}
			want, err := strconv.ParseInt(string(out), 10, 64)
			if err != nil {
				t.Fatalf("TZ=%s %s: mktime said %q", tz, w, out)
			}
			c := Civil{Year: int64(tm.Year()), Month: int(tm.Month()), Day: tm.Day(), Hour: tm.Hour(), Min: tm.Minute(), Sec: tm.Second()}
			if got, ok := z.Unix(c.Seconds()); !ok || got != want {
				t.Errorf("TZ=%s: Unix(%s) = %d, %v; mktime %d", tz, w, got, ok, want)
			}
		}
	}
}

// TestZoneRoundTrip: a wall time Lookup gives reads back, through Unix, to
// the same instant, except in the hour a clock is set back.
func TestZoneRoundTrip(t *testing.T) {
	needZoneinfo(t)
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tz := range zoneTZs {
		z := LoadZone(ZoneConfig{TZ: tz, TZSet: true})
		for range 2000 {
			s := rng.Int64N(4102444800)
			i, _ := z.Lookup(s)
			got, ok := z.Unix(s + i.Offset)
			if !ok {
				t.Fatalf("TZ=%s: Unix(wall of %d) failed", tz, s)
			}
			if got != s {
				// Only where the wall time shows twice.
				j, _ := z.Lookup(got)
				if got+j.Offset != s+i.Offset {
					t.Errorf("TZ=%s: %d shows as %d, which reads back as %d", tz, s, s+i.Offset, got)
				}
			}
		}
	}
}

// TestGlibcQuirks checks the glibc behaviours far from now that Zone
// copies, with outputs of daemontools' tai64nlocal under glibc 2.36, so
// that they hold where it is not installed.
func TestGlibcQuirks(t *testing.T) {
	needZoneinfo(t)
	july := func(year int) int64 {
		return time.Date(year, 7, 1, 12, 0, 0, 0, time.UTC).Unix()
	}
	tests := []struct {
		tz   string
		unix int64
		want string // daemontools' output; "" where it crashes
	}{
		{"America/Los_Angeles", july(2150), "2150-07-01 05:00:00.000000500 x\n"},
		{"America/Los_Angeles", july(5880000), "5880000-07-01 05:00:00.000000500 x\n"},
		{"America/Los_Angeles", july(5890000), "5890000-07-01 04:00:00.000000500 x\n"}, // overflow: no summer time
		{"America/Los_Angeles", 67768036191676800, "18446744071562069867-12-31 16:00:00.000000500 x\n"},
		{"EST5EDT,M3.2.0,M11.1.0", july(1941), "1941-07-01 07:00:00.000000500 x\n"}, // before 1970: no summer time
		{"EST5EDT,M3.2.0,M11.1.0", july(1971), "1971-07-01 08:00:00.000000500 x\n"},
		{"AEST-10AEDT,M10.1.0,M4.1.0/3", july(1911), "1911-07-01 23:00:00.000000500 x\n"}, // before 1970: summer time
		{"AEST-10AEDT,M10.1.0,M4.1.0/3", july(1971), "1971-07-01 22:00:00.000000500 x\n"},
		{"JST-9", -67768040609740800 - 8*3600, ""}, // no UTC year: crash
		{"Asia/Tokyo", -67768040609740800 - 8*3600, "18446744071562069868-01-01 01:18:59.000000500 x\n"},
		{"CET-1CEST", time.Date(2040, 12, 24, 22, 13, 20, 0, time.UTC).Unix(), "2040-12-24 17:13:20.000000500 x\n"}, // posixrules' footer: EST
	}
	for _, tc := range tests {
		in := FromUnix(tc.unix, 500).String() + " x\n"
		want := tc.want
		if want == "" {
			want = in
		}
		var out bytes.Buffer
		if err := LocalLines(&out, strings.NewReader(in), LocalConfig{Zone: LoadZone(ZoneConfig{TZ: tc.tz, TZSet: true})}); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("TZ=%s: %q: got %q, want %q", tc.tz, in, out.String(), want)
		}
	}
}

func TestUTCYear(t *testing.T) {
	for _, u := range []int64{0, -1, 1, 86399, 86400, 951782400, 951868800, -62135596800, -62135596801, -62167219200, -62167219201,
		1 << 40, -1 << 40, 67768036191676799, -67768040609740800, 1<<62 + 12345, -1<<62 - 12345, math.MaxInt64, math.MinInt64} {
		year, start, end := utcYear(u)
		if u >= -1<<55 && u <= 1<<55 {
			tm := time.Unix(u, 0).UTC()
			if int64(tm.Year()) != year {
				t.Errorf("utcYear(%d) = %d, want %d", u, year, tm.Year())
			}
			if s := time.Date(tm.Year(), 1, 1, 0, 0, 0, 0, time.UTC).Unix(); s != start {
				t.Errorf("utcYear(%d) starts at %d, want %d", u, start, s)
			}
			if e := time.Date(tm.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix(); e != end {
				t.Errorf("utcYear(%d) ends at %d, want %d", u, end, e)
			}
		}
		if start > u || end <= u && end != math.MaxInt64 {
			t.Errorf("utcYear(%d) = %d, [%d, %d): does not hold it", u, year, start, end)
		}
	}
}

// TestCivil compares the calendar with the time package's, both ways.
func TestCivil(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	secs := []int64{0, -1, 86399, 86400, 951782400, 951868800, -62135596800, -62167219201, 253402300799}
	for range 20000 {
		secs = append(secs, rng.Int64N(1<<44)-1<<43)
	}
	for _, s := range secs {
		tm := time.Unix(s, 0).UTC()
		want := Civil{int64(tm.Year()), int(tm.Month()), tm.Day(), tm.Hour(), tm.Minute(), tm.Second()}
		c := CivilOf(s)
		if c != want {
			t.Fatalf("CivilOf(%d) = %+v, want %+v", s, c, want)
		}
		if back := c.Seconds(); back != s {
			t.Fatalf("%+v.Seconds() = %d, want %d", c, back, s)
		}
	}
	// Fields out of range carry, as mktime's do.
	for _, tc := range []struct {
		c    Civil
		want string
	}{
		{Civil{2026, 3, 0, 0, 0, 0}, "2026-02-28 00:00:00"},
		{Civil{2026, 13, 1, 0, 0, 0}, "2027-01-01 00:00:00"},
		{Civil{2026, 0, 1, 0, 0, 0}, "2025-12-01 00:00:00"},
		{Civil{2024, 2, 30, 0, 0, 0}, "2024-03-01 00:00:00"},
		{Civil{2026, 1, 31, 24, 0, 0}, "2026-02-01 00:00:00"},
	} {
		if got := time.Unix(tc.c.Seconds(), 0).UTC().Format(time.DateTime); got != tc.want {
			t.Errorf("%+v.Seconds() is %s, want %s", tc.c, got, tc.want)
		}
	}
}

// TestLocalizerDigits checks RFC 3339's precision: digits cut, not
// rounded.
func TestLocalizerDigits(t *testing.T) {
	tm := FromUnix(1767225600, 123456789)
	for _, tc := range []struct {
		digits int
		want   string
	}{
		{0, "2026-01-01T00:00:00.123456789Z"},
		{9, "2026-01-01T00:00:00.123456789Z"},
		{6, "2026-01-01T00:00:00.123456Z"},
		{3, "2026-01-01T00:00:00.123Z"},
		{1, "2026-01-01T00:00:00.1Z"},
		{-1, "2026-01-01T00:00:00Z"},
	} {
		l := NewLocalizer(LocalConfig{Format: FormatRFC3339, Digits: tc.digits})
		for range 2 { // the second from the cached second
			if b, ok := l.AppendTime(nil, tm); !ok || string(b) != tc.want {
				t.Errorf("Digits %d: %q, %v; want %q", tc.digits, b, ok, tc.want)
			}
		}
	}
}

// FuzzZoneRule checks that any TZ read as a rule gives answers whose span
// holds the instant asked about, and that Unix never panics.
func FuzzZoneRule(f *testing.F) {
	for _, tz := range zoneTZs {
		f.Add(tz, int64(1793505600))
	}
	f.Add("<+03>-3<+04>,M3.5.0/-167,M10.5.0/167", int64(math.MaxInt64))
	f.Add("A"+strings.Repeat("B", 100)+"9", int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, tz string, unix int64) {
		r, _ := parseRule(tz)
		z := &Zone{name: tz, rule: r}
		i, ok := z.Lookup(unix)
		if i.Start > unix || i.End <= unix && i.End != math.MaxInt64 {
			t.Fatalf("TZ=%q at %d: span [%d, %d), ok %v", tz, unix, i.Start, i.End, ok)
		}
		if ok && unix > math.MinInt64/2 && unix < math.MaxInt64/2 {
			z.Unix(unix + i.Offset)
		}
	})
}

// FuzzTZif checks that no zone file makes the reader or Lookup panic.
func FuzzTZif(f *testing.F) {
	for _, name := range []string{"America/New_York", "Asia/Tokyo", "UTC", "right/Europe/Paris"} {
		if data, err := os.ReadFile(DefaultZoneDir + "/" + name); err == nil {
			f.Add(data, int64(1793505600))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, unix int64) {
		z := parseTZif(data)
		if z == nil {
			return
		}
		i, _ := z.Lookup(unix)
		if i.Start > unix || i.End <= unix && i.End != math.MaxInt64 {
			t.Fatalf("at %d: span [%d, %d)", unix, i.Start, i.End)
		}
	})
}
