package tai64_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mlog/mlog/tai64"
)

func ExampleParse() {
	t, n, err := tai64.Parse([]byte("@4000000037c219bf2ef02e94 hello"))
	if err != nil {
		panic(err)
	}
	sec, nsec := t.Unix()
	fmt.Println(n, sec, nsec)
	fmt.Println(t.Time().UTC())
	// Output:
	// 25 935467445 787492500
	// 1999-08-24 04:04:05.7874925 +0000 UTC
}

func ExampleStamp() {
	// A label as daemontools writes it: the clock to the microsecond, then
	// 500 nanoseconds.
	at := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC)
	fmt.Println(tai64.Stamp(at))
	fmt.Println(tai64.FromTime(at))
	// Output:
	// @4000000065e1c34a075bcbf4
	// @4000000065e1c34a075bcd15
}

func ExampleTime_Append() {
	b := []byte("label: ")
	b = tai64.FromUnix(1700000000, 500).Append(b)
	fmt.Println(string(b))
	// Output:
	// label: @400000006553f10a000001f4
}

func ExampleTime_ToTAI() {
	// s6-tai64n's label for an instant is 27 s later than tai64n's.
	dt := tai64.Stamp(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC))
	s6 := dt.ToTAI()
	fmt.Println(dt, s6, s6.Sec-dt.Sec)
	back, leap := s6.ToUTC()
	fmt.Println(back == dt, leap)
	// Output:
	// @4000000065e1c34a000001f4 @4000000065e1c365000001f4 27
	// true false
}

func ExampleLeapSeconds() {
	fmt.Println(tai64.LeapSeconds(0), tai64.LeapSeconds(935467445), tai64.LeapSeconds(time.Now().Unix()))
	// Output:
	// 0 22 27
}

func ExampleLocalLines() {
	in := "@4000000037c219bf2ef02e94 hello\nno label\n@400000006B04C72D125438FC uppercase: passed through\n"
	cfg := tai64.LocalConfig{} // UTC
	if err := tai64.LocalLines(os.Stdout, strings.NewReader(in), cfg); err != nil {
		panic(err)
	}
	// Output:
	// 1999-08-24 04:04:05.787492500 hello
	// no label
	// @400000006B04C72D125438FC uppercase: passed through
}

func ExampleLocalizer_AppendLine() {
	// The cmd layer reads TZ from its environment and passes it on.
	tokyo := tai64.LoadZone(tai64.ZoneConfig{TZ: "JST-9", TZSet: true})
	line := []byte("@4000000037c219bf2ef02e94 hello\n")
	for _, f := range []tai64.Format{tai64.FormatLocal, tai64.FormatRFC3339, tai64.FormatUnix} {
		l := tai64.NewLocalizer(tai64.LocalConfig{Zone: tokyo, Format: f})
		os.Stdout.Write(l.AppendLine(nil, line))
	}
	// Output:
	// 1999-08-24 13:04:05.787492500 hello
	// 1999-08-24T13:04:05.787492500+09:00 hello
	// 935467445.787492500 hello
}

func ExampleStampLines() {
	clock := func() time.Time { return time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC) }
	in := strings.NewReader("one\ntwo\npartial")
	if err := tai64.StampLines(os.Stdout, in, tai64.StampConfig{Now: clock}); err != nil {
		panic(err)
	}
	fmt.Println()
	// Output:
	// @4000000065e1c34a000001f4 one
	// @4000000065e1c34a000001f4 two
	// @4000000065e1c34a000001f4 partial
}
