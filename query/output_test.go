package query

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/tai64"
)

func TestPrint(t *testing.T) {
	stamp := tai64.FromTime(time.Date(2026, 1, 2, 15, 4, 5, 123456500, time.UTC))
	stamped := stamp.String() + " hello \"world\"\t\xff"
	est := tai64.LoadZone(tai64.ZoneConfig{TZ: "EST5", TZSet: true})
	cases := []struct {
		name   string
		format Format
		prefix bool
		line   string
		want   string
	}{
		{"raw", Raw, false, stamped, stamped + "\n"},
		{"raw prefix", Raw, true, stamped, "./main:" + stamped + "\n"},
		{"local", Local, false, stamp.String() + " x", "2026-01-02 10:04:05.123456500 x\n"},
		{"local no space", Local, false, stamp.String() + "x", "2026-01-02 10:04:05.123456500x\n"},
		{"utc", UTC, false, stamp.String() + " x", "2026-01-02T15:04:05.123456500Z x\n"},
		{"utc prefix", UTC, true, stamp.String() + " x", "./main:2026-01-02T15:04:05.123456500Z x\n"},
		{"unstamped local", Local, false, "no stamp", "no stamp\n"},
		{"json", JSON, false, stamped, `{"time":"2026-01-02T15:04:05.123456500Z","logdir":"./main","line":"hello \"world\"\t\ufffd"}` + "\n"},
		{"json unstamped", JSON, true, "a\\b\x01", `{"time":null,"logdir":"./main","line":"a\\b\u0001"}` + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			w := bufio.NewWriter(&out)
			p := printer{w: w, format: tc.format, prefix: tc.prefix, local: newClock(est), utc: newUTC()}
			st, n, ok := NewStamper(nil).Parse([]byte(tc.line))
			l := Line{Logdir: "./main", Time: st, Stamped: ok, StampLen: n, Text: []byte(tc.line)}
			if err := p.print(&l); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			if got := out.String(); got != tc.want {
				t.Errorf("print(%q) = %q, want %q", tc.line, got, tc.want)
			}
			if tc.format == JSON {
				var v map[string]any
				if err := json.Unmarshal(out.Bytes(), &v); err != nil {
					t.Errorf("print(%q) is not JSON: %v", tc.line, err)
				}
			}
		})
	}
}

// TestClockMatchesTime compares the cached civil-time formatter with the
// time package, across zone changes and far dates.
func TestClockMatchesTime(t *testing.T) {
	type zone struct {
		tz  string
		loc *time.Location
	}
	zones := []zone{{"UTC0", time.UTC}, {"<+0530>-5:30", time.FixedZone("X", 5*3600+1800)}, {"<-09>9", time.FixedZone("Y", -9*3600)}}
	for _, name := range []string{"America/New_York", "Australia/Lord_Howe", "Europe/Dublin"} {
		if loc, err := time.LoadLocation(name); err == nil {
			zones = append(zones, zone{name, loc})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, z := range zones {
		loc := z.loc
		c := newClock(tai64.LoadZone(tai64.ZoneConfig{TZ: z.tz, TZSet: true}))
		sec := int64(1700000000)
		for range 20000 {
			switch r.IntN(4) {
			case 0:
				sec = r.Int64N(4e9) - 1e9 // anywhere from 1938 to 2096
			default:
				sec += r.Int64N(3 * 86400) // walk, crossing days and zone changes
			}
			nsec := int32(r.IntN(1e9))
			got := string(c.appendTime(nil, tai64.FromUnix(sec, nsec), ' '))
			want := time.Unix(sec, int64(nsec)).In(loc).Format("2006-01-02 15:04:05.000000000")
			if got != want {
				t.Fatalf("%v: appendTime(%d.%09d) = %q, want %q", loc, sec, nsec, got, want)
			}
		}
	}
}

func TestPrintAllocs(t *testing.T) {
	stamp := tai64.FromTime(time.Date(2026, 1, 2, 15, 4, 5, 123456500, time.UTC))
	text := []byte(stamp.String() + " info msg 123456: bytes 2391 from <alice@example.org> qp 4242 uid 89")
	for _, f := range []Format{Raw, Local, UTC, JSON} {
		p := printer{w: bufio.NewWriter(discard{}), format: f, local: newClock(tai64.LoadZone(tai64.ZoneConfig{TZ: "America/New_York", TZSet: true})), utc: newUTC()}
		l := Line{Logdir: "./main", Time: stamp, Stamped: true, Text: text}
		if n := testing.AllocsPerRun(1000, func() { p.print(&l) }); n != 0 {
			t.Errorf("format %d: allocs per line = %v, want 0", f, n)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestRunAllocsPerLine: a query's allocations do not grow with the number
// of lines it reads and prints.
func TestRunAllocsPerLine(t *testing.T) {
	allocs := func(lines int) float64 {
		dir := t.TempDir()
		var b bytes.Buffer
		for i := range lines {
			fmt.Fprintf(&b, "%s line %d\n", tai64.FromUnix(1767225600+int64(i), 500), i)
		}
		if err := os.WriteFile(filepath.Join(dir, "current"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := Config{Since: tai64.FromUnix(1767225600+1, 0), Format: Local, Match: MatchFixed([]string{"line"}, false)}
		return testing.AllocsPerRun(5, func() {
			if _, err := Run(context.Background(), cfg, []string{dir}, discard{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, big := allocs(1000), allocs(100000)
	if big > small+5 {
		t.Errorf("allocs: %v for 1000 lines, %v for 100000: want no allocation per line", small, big)
	}
}

func TestHistogram(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	base := time.Date(2026, 1, 2, 14, 0, 0, 0, time.UTC)
	for i, n := range []int{3, 0, 1, 6} { // lines per 10 minutes
		for j := range n {
			fmt.Fprintf(&b, "%s x\n", tai64.FromTime(base.Add(time.Duration(i)*10*time.Minute+time.Duration(j)*time.Second)))
		}
	}
	os.WriteFile(filepath.Join(dir, "current"), []byte(b.String()), 0o644)
	var out bytes.Buffer
	cfg := Config{Histogram: 10 * time.Minute, Width: 40,
		Since: tai64.FromTime(base.Add(-10 * time.Minute)), Until: tai64.FromTime(base.Add(40 * time.Minute))}
	st, err := Run(context.Background(), cfg, []string{dir}, &out)
	if err != nil || st.Matched != 10 {
		t.Fatalf("Run = %v, %v; want 10 lines", st, err)
	}
	want := "2026-01-02 13:50:00  0\n" +
		"2026-01-02 14:00:00  3 " + strings.Repeat("█", 8) + "▌\n" +
		"2026-01-02 14:10:00  0\n" +
		"2026-01-02 14:20:00  1 " + strings.Repeat("█", 2) + "▊\n" +
		"2026-01-02 14:30:00  6 " + strings.Repeat("█", 17) + "\n"
	if got := out.String(); got != want {
		t.Errorf("histogram:\n%s\nwant:\n%s", got, want)
	}
	out.Reset()
	cfg.Format = JSON
	cfg.Since, cfg.Until = tai64.Time{}, tai64.Time{}
	if _, err := Run(context.Background(), cfg, []string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"time":"2026-01-02T14:00:00Z","count":3}
{"time":"2026-01-02T14:10:00Z","count":0}
{"time":"2026-01-02T14:20:00Z","count":1}
{"time":"2026-01-02T14:30:00Z","count":6}
`
	if got := out.String(); got != wantJSON {
		t.Errorf("JSON histogram:\n%s\nwant:\n%s", got, wantJSON)
	}
}

func TestCountAndMatch(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "current"), []byte(
		tai64.FromUnix(1767225600, 500).String()+" Alice sends\n"+
			tai64.FromUnix(1767225601, 500).String()+" bob replies\n"+
			"alice, unstamped\n"), 0o644)
	for _, tc := range []struct {
		name  string
		match func([]byte) bool
		want  string
	}{
		{"all", nil, "3\n"},
		{"fixed", MatchFixed([]string{"alice"}, false), "1\n"},
		{"fold", MatchFixed([]string{"alice"}, true), "2\n"},
		{"several", MatchFixed([]string{"Alice", "bob"}, false), "2\n"},
		{"invert", Invert(MatchFixed([]string{"alice"}, true)), "1\n"},
		{"label not matched", MatchFixed([]string{"@4000"}, false), "0\n"},
		{"regexp", mustRegexp(t, "^(bob|alice)"), "2\n"},
	} {
		var out bytes.Buffer
		if _, err := Run(context.Background(), Config{Count: true, Match: tc.match}, []string{dir}, &out); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.want {
			t.Errorf("%s: count = %q, want %q", tc.name, out.String(), tc.want)
		}
	}
}

func mustRegexp(t *testing.T, expr string) func([]byte) bool {
	m, err := MatchRegexp([]string{expr}, false)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFormatsISOUnixCat: journalctl's short-iso (local RFC 3339 with the
// offset), short-unix and cat; an unstamped line stays as it is.
func TestFormatsISOUnixCat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "main")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "current"), []byte("@4000000069579daa000001f4 pid 4711\nno label\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	zone := tai64.LoadZone(tai64.ZoneConfig{TZ: "JST-9", TZSet: true})
	for _, tc := range []struct {
		f    Format
		want string
	}{
		{ISO, "2026-01-02T19:27:44.000000500+09:00 pid 4711\nno label\n"},
		{Unix, "1767349664.000000500 pid 4711\nno label\n"},
		{Cat, "pid 4711\nno label\n"},
	} {
		if got := runQuery(t, Config{Format: tc.f, Zone: zone}, []string{dir}); got != tc.want {
			t.Errorf("format %d: %q, want %q", tc.f, got, tc.want)
		}
	}
}
