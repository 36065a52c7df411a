package query

import (
	"errors"
	"testing"
	"time"

	"github.com/mlog/mlog/tai64"
)

var (
	testNow = time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)
	testLoc = time.FixedZone("X", -5*3600)
	// testZone is testLoc as a TZ rule.
	testZone = tai64.LoadZone(tai64.ZoneConfig{TZ: "<-05>5", TZSet: true})
)

var parseTimeTests = []struct {
	in   string
	want time.Time
}{
	{"2026-01-02T15:04:05Z", time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)},
	{"2026-01-02t15:04:05z", time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)},
	{"2026-01-02T15:04:05.123456500+02:00", time.Date(2026, 1, 2, 13, 4, 5, 123456500, time.UTC)},
	{"2026-01-02 15:04", time.Date(2026, 1, 2, 15, 4, 0, 0, testLoc)},
	{"2026-01-02 15:04:05", time.Date(2026, 1, 2, 15, 4, 5, 0, testLoc)},
	{"2026-01-02 15:04:05.25", time.Date(2026, 1, 2, 15, 4, 5, 250000000, testLoc)},
	{"2026-01-02T15:04:05", time.Date(2026, 1, 2, 15, 4, 5, 0, testLoc)},
	{"2026-01-02T15:04", time.Date(2026, 1, 2, 15, 4, 0, 0, testLoc)},
	{"2026-01-02", time.Date(2026, 1, 2, 0, 0, 0, 0, testLoc)},
	{"  2026-01-02  ", time.Date(2026, 1, 2, 0, 0, 0, 0, testLoc)},
	{"now", testNow},
	{"today", time.Date(2026, 3, 10, 0, 0, 0, 0, testLoc)},
	{"yesterday", time.Date(2026, 3, 9, 0, 0, 0, 0, testLoc)},
	{"tomorrow", time.Date(2026, 3, 11, 0, 0, 0, 0, testLoc)},
	{"14:00", time.Date(2026, 3, 10, 14, 0, 0, 0, testLoc)},
	{"07:15:30.5", time.Date(2026, 3, 10, 7, 15, 30, 500000000, testLoc)},
	{"-1h", testNow.Add(-time.Hour)},
	{"30m", testNow.Add(-30 * time.Minute)},
	{"+10m", testNow.Add(10 * time.Minute)},
	{"1h30m", testNow.Add(-90 * time.Minute)},
	{"2d", testNow.Add(-48 * time.Hour)},
	{"1w", testNow.Add(-7 * 24 * time.Hour)},
	{"1.5h", testNow.Add(-90 * time.Minute)},
	{"500ms", testNow.Add(-500 * time.Millisecond)},
	{"@4000000069564f8012345678", tai64.Time{Sec: 0x4000000069564f80, Nsec: 0x12345678}.Time()},
	{"@4000000069564f80", tai64.Time{Sec: 0x4000000069564f80}.Time()},
}

func TestParseTime(t *testing.T) {
	for _, tc := range parseTimeTests {
		got, err := ParseTime(tc.in, testNow, testZone)
		if err != nil {
			t.Errorf("ParseTime(%q) error %v", tc.in, err)
			continue
		}
		if want := tai64.FromTime(tc.want); got != want {
			t.Errorf("ParseTime(%q) = %v (%v), want %v (%v)", tc.in, got, got.Time().UTC(), want, tc.want.UTC())
		}
	}
}

func TestParseTimeErrors(t *testing.T) {
	for _, in := range []string{
		"", " ", "yesterday morning", "2026-13-01", "2026-01-02 25:00", "12", "1x", "h", "--1h", "1h-",
		"@4000000069564f801234567", "@4000000069564f80123456789", "@4000000069564f80ffffffff", "@xyz",
		"1..5h", ".h", "9999999999999h",
	} {
		if _, err := ParseTime(in, testNow, testZone); err == nil {
			t.Errorf("ParseTime(%q) succeeded, want an error", in)
		} else if !errors.Is(err, ErrTime) {
			t.Errorf("ParseTime(%q) error %v does not wrap ErrTime", in, err)
		}
	}
}

// FuzzParseTime checks that ParseTime never panics, agrees with
// time.Parse on RFC 3339, and reads back what it is given as a label.
func FuzzParseTime(f *testing.F) {
	for _, tc := range parseTimeTests {
		f.Add(tc.in)
	}
	f.Add("2026-01-02 15:04:05.999999999")
	f.Add("-0s")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseTime(in, testNow, testZone)
		if err != nil {
			return
		}
		if tm, err := time.Parse(time.RFC3339Nano, in); err == nil {
			if want := tai64.FromTime(tm); got != want {
				t.Fatalf("ParseTime(%q) = %v, time.Parse gives %v", in, got, want)
			}
		}
		if got.Nsec < 1e9 {
			label := got.String()
			back, err := ParseTime(label, testNow, testZone)
			if err != nil || back != got {
				t.Fatalf("ParseTime(%q) = %v; its label %s reads back as %v, %v", in, got, label, back, err)
			}
		}
	})
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1m", time.Minute, true},
		{"10m", 10 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"1d", 24 * time.Hour, true},
		{"0.5s", 500 * time.Millisecond, true},
		{"", 0, false},
		{"5", 0, false},
		{"-1m", 0, false},
		{"1y", 0, false},
	} {
		got, ok := ParseDuration(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
