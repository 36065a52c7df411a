package query_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/tai64"
)

// A logdir with one archive and current; the query asks for ten minutes
// in the middle and prints them in UTC.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "logdir")
	defer os.RemoveAll(dir)
	at := func(hhmm string) string {
		t, _ := time.Parse("2006-01-02 15:04", "2026-01-02 "+hhmm)
		return tai64.Stamp(t).String()
	}
	archive := at("14:00") + " tcpserver: status: 1/100\n" +
		at("14:05") + " tcpserver: pid 4711 from 192.0.2.7\n"
	current := at("14:15") + " tcpserver: end 4711 status 0\n" +
		at("14:20") + " tcpserver: status: 0/100\n"
	os.WriteFile(filepath.Join(dir, at("14:10")+".s"), []byte(archive), 0o744)
	os.WriteFile(filepath.Join(dir, "current"), []byte(current), 0o644)

	since, _ := query.ParseTime("2026-01-02T14:05:00Z", time.Now(), nil)
	until, _ := query.ParseTime("2026-01-02T14:16:00Z", time.Now(), nil)
	cfg := query.Config{Since: since, Until: until, Format: query.UTC, Match: query.MatchFixed([]string{"4711"}, false)}
	st, err := query.Run(context.Background(), cfg, []string{dir}, os.Stdout)
	fmt.Println(st.Matched, err)
	// Output:
	// 2026-01-02T14:05:00.000000500Z tcpserver: pid 4711 from 192.0.2.7
	// 2026-01-02T14:15:00.000000500Z tcpserver: end 4711 status 0
	// 2 <nil>
}

// Lines hands the selected lines to the program, merged in time order.
func ExampleLines() {
	dir, _ := os.MkdirTemp("", "logdir")
	defer os.RemoveAll(dir)
	t0 := time.Date(2026, 1, 2, 14, 0, 0, 0, time.UTC)
	var b []byte
	for i := range 5 {
		b = tai64.Stamp(t0.Add(time.Duration(i) * time.Minute)).Append(b)
		b = append(b, fmt.Sprintf(" delivery %d: success\n", i)...)
	}
	os.WriteFile(filepath.Join(dir, "current"), b, 0o644)

	cfg := query.Config{Since: tai64.FromTime(t0.Add(time.Minute)), Until: tai64.FromTime(t0.Add(3 * time.Minute))}
	for l, err := range query.Lines(context.Background(), cfg, []string{dir}) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(l.Time.Time().UTC().Format(time.Kitchen), string(l.Text[tai64.LabelLen+1:]))
	}
	// Output:
	// 2:01PM delivery 1: success
	// 2:02PM delivery 2: success
}

func ExampleStamper() {
	st := query.NewStamper(tai64.LoadZone(tai64.ZoneConfig{TZ: "JST-9", TZSet: true}))
	for _, line := range []string{
		"@4000000069579d7e000001f4 multilog t",
		"2026-01-02T10:27:00.000000Z mlog multilog i",
		"2026-01-02 19:27:00.000000000  s6-log T, in JST",
		"no stamp",
	} {
		t, n, ok := st.Parse([]byte(line))
		when := "no stamp:"
		if ok {
			when = t.Time().UTC().Format(time.RFC3339)
		}
		fmt.Printf("%s %q\n", when, query.Body([]byte(line), n))
	}
	// Output:
	// 2026-01-02T10:27:00Z "multilog t"
	// 2026-01-02T10:27:00Z "mlog multilog i"
	// 2026-01-02T10:27:00Z "s6-log T, in JST"
	// no stamp: "no stamp"
}
