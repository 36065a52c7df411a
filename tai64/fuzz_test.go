package tai64

import (
	"bytes"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// FuzzParse compares Parse with strconv and checks that Append gives the
// label back.
func FuzzParse(f *testing.F) {
	for _, tc := range parseTests {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, n, err := Parse(b)
		ok := len(b) >= LabelLen && b[0] == '@'
		var sec, nsec uint64
		if ok {
			var e1, e2 error
			sec, e1 = strconv.ParseUint(string(b[1:17]), 16, 64)
			nsec, e2 = strconv.ParseUint(string(b[17:25]), 16, 32)
			// strconv takes a sign and underscores; labels do not.
			ok = e1 == nil && e2 == nil && !bytes.ContainsAny(b[1:25], "+-_xX")
		}
		if !ok {
			if err == nil {
				t.Fatalf("Parse(%q) = %v, %d, nil; want an error", b, got, n)
			}
			return
		}
		if err != nil || n != LabelLen || got != (Time{sec, uint32(nsec)}) {
			t.Fatalf("Parse(%q) = %v, %d, %v; want %x %x", b, got, n, err, sec, nsec)
		}
		if s := got.String(); s != strings.ToLower(string(b[:LabelLen])) {
			t.Fatalf("Parse(%q).String() = %q", b, s)
		}
	})
}

// fuzzZones are the zones FuzzAppendLine converts in, by index.
var fuzzZones = []string{"UTC", "Asia/Tokyo", "America/Los_Angeles", "Australia/Lord_Howe", "Asia/Kathmandu", "fixed"}

func fuzzLocation(t testing.TB, i byte) (*Zone, *time.Location) {
	name := fuzzZones[int(i)%len(fuzzZones)]
	if name == "fixed" {
		return LoadZone(ZoneConfig{TZ: "<odd>5:20:34", TZSet: true}), time.FixedZone("odd", -(5*3600 + 1234))
	}
	return mustLoad(t, name), mustLocation(t, name)
}

// refLine converts one line as tai64nlocal does, simply: digits through
// strings and strconv, the calendar and the zone through the time package
// and time.Format.
func refLine(line []byte, loc *time.Location, f Format, tai bool) string {
	if len(line) == 0 || line[0] != '@' {
		return string(line)
	}
	i := 1
	for i < len(line) && strings.IndexByte("0123456789abcdef", line[i]) >= 0 {
		i++
	}
	if i == len(line) {
		return "" // dropped at the end of input
	}
	digits := string(line[1:i])
	if len(digits) > 24 {
		digits = digits[len(digits)-24:] // the rest shifts out
	}
	digits = strings.Repeat("0", 24-len(digits)) + digits
	secs, _ := strconv.ParseUint(digits[:16], 16, 64)
	nsec, _ := strconv.ParseUint(digits[16:], 16, 32)
	unix := int64(secs - Epoch)
	if unix < -1e17 || unix > 1e17 {
		return string(line)
	}
	leap := false
	if tai {
		// Leap second i is TAI-10 second leapUnix[i]+i.
		n := int64(0)
		for j, u := range leapUnix {
			if unix >= u+int64(j) {
				n = int64(j) + 1
				leap = unix == u+int64(j)
			}
		}
		unix -= n
	}
	if f == FormatUnix {
		if y := time.Unix(unix, 0).UTC().Year(); nsec > 999999999 || y-1900 < math.MinInt32 || y-1900 > math.MaxInt32 {
			return string(line)
		}
		v := new(big.Int).Mul(big.NewInt(unix), big.NewInt(1e9))
		v.Add(v, big.NewInt(int64(nsec)))
		return new(big.Rat).SetFrac(v, big.NewInt(1e9)).FloatString(9) + string(line[i:])
	}
	t := time.Unix(unix, 0).In(loc)
	y := int64(t.Year())
	if y-1900 < math.MinInt32 || y-1900 > math.MaxInt32 {
		return string(line)
	}
	sec := t.Second()
	if leap {
		sec = 60
	}
	ss := strconv.Itoa(sec)
	if sec < 10 {
		ss = "0" + ss
	}
	ns := strconv.FormatUint(nsec, 10)
	for len(ns) < 9 {
		ns = "0" + ns
	}
	if f == FormatRFC3339 {
		if y < 0 || y > 9999 || nsec > 999999999 {
			return string(line)
		}
		return t.Format("2006-01-02T15:04:") + ss + "." + ns + t.Format("Z07:00") + string(line[i:])
	}
	year := strconv.FormatUint(uint64(int64(int32(y))), 10)
	return year + t.Format("-01-02 15:04:") + ss + "." + ns + string(line[i:])
}

// FuzzAppendLine compares AppendLine, line by line through one Localizer
// (so its caches are used), with refLine; then LocalLines on the whole
// input, read a byte at a time through a small buffer, with AppendLine.
func FuzzAppendLine(f *testing.F) {
	for i, tc := range localTests {
		if tc.zone == "" || tc.zone == "Asia/Tokyo" || tc.zone == "America/Los_Angeles" {
			f.Add(byte(i), []byte(tc.in))
		}
	}
	f.Add(byte(0), []byte("@4000000037c219bf2ef02e94 a\n@4000000037c219bf2ef02e95 b\n@4000000037c219bf2ef02e95\n"))
	f.Add(byte(7), []byte(label(1700000000, 500)+" x\n"+label(1710064800, 0)+"\n"+label(-1<<40, 1e9)+"\n"))
	f.Fuzz(func(t *testing.T, mode byte, in []byte) {
		zone, loc := fuzzLocation(t, mode)
		format := Format(mode / byte(len(fuzzZones)) % 3)
		tai := mode >= 128
		cfg := LocalConfig{Zone: zone, Format: format, TAI: tai}
		l := NewLocalizer(cfg)
		var all []byte
		for rest := in; len(rest) > 0; {
			n := bytes.IndexByte(rest, '\n') + 1
			if n == 0 {
				n = len(rest)
			}
			line := rest[:n]
			rest = rest[n:]
			got := l.AppendLine(nil, line)
			if want := refLine(line, loc, format, tai); string(got) != want {
				t.Fatalf("%s %v TAI %v: AppendLine(%q) = %q, want %q", loc, format, tai, line, got, want)
			}
			all = append(all, got...)
		}
		cfg.bufSize = 16
		var out bytes.Buffer
		if err := LocalLines(&out, iotest.OneByteReader(bytes.NewReader(in)), cfg); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), all) {
			t.Fatalf("LocalLines(%q) = %q, want %q", in, out.Bytes(), all)
		}
	})
}
