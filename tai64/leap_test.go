package tai64

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLeapTableDates(t *testing.T) {
	prev := int64(0)
	for i, u := range leapUnix {
		d := time.Unix(u, 0).UTC()
		if d.Day() != 1 || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Month() != 1 && d.Month() != 7 {
			t.Errorf("leapUnix[%d] = %d = %v: not the start of January or July", i, u, d)
		}
		if u <= prev {
			t.Errorf("leapUnix[%d] = %d does not follow %d", i, u, prev)
		}
		prev = u
	}
}

// TestLeapTableIERS checks the table against tzdata's copy of the IERS
// list, where it is installed: "NTP-seconds TAI-UTC" lines.
func TestLeapTableIERS(t *testing.T) {
	f, err := os.Open("/usr/share/zoneinfo/leap-seconds.list")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	const ntpToUnix = 2208988800 // seconds from 1900 to 1970
	var got []int64
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Fields(line)
		ntp, err1 := strconv.ParseInt(fields[0], 10, 64)
		diff, err2 := strconv.Atoi(fields[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("bad line %q", line)
		}
		if diff == 10 {
			continue // 1972-01-01, the start: no leap second
		}
		got = append(got, ntp-ntpToUnix)
		if want := diff - 10; LeapSeconds(ntp-ntpToUnix) != want {
			t.Errorf("LeapSeconds(%d) = %d, want %d", ntp-ntpToUnix, LeapSeconds(ntp-ntpToUnix), want)
		}
	}
	if len(got) != len(leapUnix) {
		t.Errorf("leap-seconds.list has %d leap seconds, our table %d", len(got), len(leapUnix))
	}
}

func TestLeapSeconds(t *testing.T) {
	tests := []struct {
		unix int64
		want int
	}{
		{-1 << 40, 0},
		{0, 0},
		{78796799, 0},
		{78796800, 1},
		{935467445, 22}, // the daemontools doc's example, 1999
		{1483228799, 26},
		{1483228800, 27},
		{1 << 40, 27},
	}
	for _, tc := range tests {
		if got := LeapSeconds(tc.unix); got != tc.want {
			t.Errorf("LeapSeconds(%d) = %d, want %d", tc.unix, got, tc.want)
		}
	}
}

// TestToUTC checks the seconds around the first and last leap seconds
// against s6-tai64nlocal's and glibc's right/UTC's readings of the same
// labels (see TestLocalTAI).
func TestToUTC(t *testing.T) {
	tests := []struct {
		tai  string // true TAI label
		want string // daemontools label of the same Unix second
		leap bool
	}{
		{"@4000000004b2580900000000", "@4000000004b2580900000000", false}, // 1972-06-30 23:59:59
		{"@4000000004b2580a00000000", "@4000000004b2580900000000", true},  // 23:59:60
		{"@4000000004b2580b00000000", "@4000000004b2580a00000000", false}, // 1972-07-01 00:00:00
		{"@40000000586846a400000000", "@4000000058684689" + "00000000", true},
		{"@40000000586846a500000000", "@400000005868468a00000000", false}, // 2017-01-01 00:00:00
		{"@400000000000000000000000", "@400000000000000000000000", false},
	}
	for _, tc := range tests {
		in, _, _ := Parse([]byte(tc.tai))
		got, leap := in.ToUTC()
		if got.String() != tc.want || leap != tc.leap {
			t.Errorf("%s.ToUTC() = %s, %v, want %s, %v", tc.tai, got, leap, tc.want, tc.leap)
		}
		if !leap {
			if back := got.ToTAI(); back != in {
				t.Errorf("%s.ToUTC().ToTAI() = %s", tc.tai, back)
			}
		}
	}
	// s6-tai64n's labels are 27 s ahead of tai64n's since 2017.
	now := Stamp(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	if d := now.ToTAI().Sec - now.Sec; d != 27 {
		t.Errorf("ToTAI adds %d s in 2025, want 27", d)
	}
}
