package tai64

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseISO(t *testing.T) {
	tests := []struct {
		in    string
		want  string // RFC 3339 of the result read as UTC; "" for an error
		zoned bool
		n     int
	}{
		{"2026-01-02T15:04:05.123456Z hi", "2026-01-02T15:04:05.123456Z", true, 27},
		{"2026-01-02 15:04:05.123456789  hi", "2026-01-02T15:04:05.123456789Z", false, 29},
		{"2026-01-02T15:04:05+02:00 x", "2026-01-02T13:04:05Z", true, 25},
		{"2026-01-02T15:04:05-0130", "2026-01-02T16:34:05Z", true, 24},
		{"2026-01-02T15:04:05+05", "2026-01-02T10:04:05Z", true, 22},
		{"2026-01-02T15:04:05,5Z", "2026-01-02T15:04:05.5Z", true, 22},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z", true, 20},
		{"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z", true, 20},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", true, 20},
		{"2016-12-31T23:59:60.5Z", "2016-12-31T23:59:59.999999999Z", true, 22},
		{"2026-01-02T15:04:05", "2026-01-02T15:04:05Z", false, 19},
		{"2025-02-29T00:00:00Z", "", false, 0},
		{"2026-13-01T00:00:00Z", "", false, 0},
		{"2026-01-02T24:00:00Z", "", false, 0},
		{"2026-01-02T15:04:05.Z", "", false, 0},
		{"2026-01-02T15:04:05.1234567890Z", "", false, 0},
		{"2026-01-02T15:04:05Zx", "", false, 0},
		{"2026-01-02T15:04:05x", "", false, 0},
		{"2026-01-02T15:04:05+2", "", false, 0},
		{"2026-01-02_15:04:05Z", "", false, 0},
		{"2026-01-02T15:04", "", false, 0},
		{"@4000000069579d7e000001f4 x", "", false, 0},
		{"", "", false, 0},
	}
	for _, tc := range tests {
		got, n, err := ParseISO([]byte(tc.in))
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseISO(%q) = %+v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseISO(%q): %v", tc.in, err)
			continue
		}
		s := time.Unix(got.Sec, int64(got.Nsec)).UTC().Format(time.RFC3339Nano)
		if s != tc.want || got.Zoned != tc.zoned || n != tc.n {
			t.Errorf("ParseISO(%q) = %s zoned %v, %d bytes; want %s zoned %v, %d bytes", tc.in, s, got.Zoned, n, tc.want, tc.zoned, tc.n)
		}
	}
}

// TestParseISOAgreesWithTime compares with the standard library on
// random instants in the forms loggers write.
func TestParseISOAgreesWithTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	layouts := []string{"2006-01-02T15:04:05.000000Z07:00", "2006-01-02 15:04:05.000000000", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999-07:00"}
	zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600+1800), time.FixedZone("", -7*3600)}
	for range 20000 {
		tm := time.Unix(r.Int64N(1<<35)-1<<34, r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
		if tm.Year() < 0 || tm.Year() > 9999 {
			continue
		}
		layout := layouts[r.IntN(len(layouts))]
		text := tm.Format(layout)
		want, err := time.Parse(layout, text)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := ParseISO([]byte(text + " line"))
		if err != nil || n != len(text) {
			t.Fatalf("ParseISO(%q): %v, %d bytes", text, err, n)
		}
		wsec := want.Unix()
		if !strings.Contains(layout, "07:00") {
			_, off := want.Zone()
			wsec += int64(off) // wall seconds
		}
		if got.Sec != wsec || got.Nsec != int32(want.Nanosecond()) {
			t.Fatalf("ParseISO(%q) = %d.%09d, want %d.%09d", text, got.Sec, got.Nsec, wsec, want.Nanosecond())
		}
	}
}

func TestParseISOAllocs(t *testing.T) {
	b := []byte("2026-01-02T15:04:05.123456Z line")
	if n := testing.AllocsPerRun(100, func() { ParseISO(b) }); n != 0 {
		t.Errorf("allocs = %v, want 0", n)
	}
}

func FuzzParseISO(f *testing.F) {
	for _, s := range []string{"2026-01-02T15:04:05.123456Z x", "2026-01-02 15:04:05.123456789  x", "2026-01-02T15:04:05+02:00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, n, err := ParseISO(b)
		if err != nil {
			return
		}
		if n > len(b) || n > ISOMaxLen || n < 19 || got.Nsec < 0 || got.Nsec >= 1e9 {
			t.Fatalf("ParseISO(%q) = %+v, %d", b, got, n)
		}
		// What it read, the standard library reads the same way.
		s := strings.Replace(string(b[:n]), ",", ".", 1)
		s = strings.Replace(s, " ", "T", 1)
		if !got.Zoned {
			s += "Z"
		} else if c := s[len(s)-3]; c == '+' || c == '-' {
			s += ":00"
		} else if c := s[len(s)-5]; c == '+' || c == '-' {
			s = s[:len(s)-2] + ":" + s[len(s)-2:]
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			if strings.Contains(s, ":60") {
				return
			}
			t.Fatalf("ParseISO(%q) accepted what time.Parse refuses (%q): %v", b, s, err)
		}
		if want.Unix() != got.Sec || int32(want.Nanosecond()) != got.Nsec {
			t.Fatalf("ParseISO(%q) = %d.%09d, time.Parse %d.%09d", b, got.Sec, got.Nsec, want.Unix(), want.Nanosecond())
		}
	})
}
