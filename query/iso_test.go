package query

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/multilog"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// lineByLine hands a reader's lines over one Read at a time, calling tick
// before each: multilog reads its clock once per chunk, so each line gets
// a time of its own.
type lineByLine struct {
	lines []string
	tick  func()
}

func (r *lineByLine) Read(p []byte) (int, error) {
	if len(r.lines) == 0 {
		return 0, io.EOF
	}
	r.tick()
	n := copy(p, r.lines[0])
	r.lines[0] = r.lines[0][n:]
	if r.lines[0] == "" {
		r.lines = r.lines[1:]
	}
	return n, nil
}

// stampClock is a clock that moves forward by a random step, at least a
// microsecond (multilog's i keeps microseconds, t adds 500 ns: a smaller
// step could put an i line before the t line it follows).
type stampClock struct {
	r   *rand.Rand
	now time.Time
}

func (c *stampClock) tick() {
	c.now = c.now.Add(time.Microsecond + time.Duration(c.r.Int64N(int64(3*time.Second))))
}

// isoZone is the zone the T lines of the tests are written in: New York,
// whose clocks go forward on the day the tests' logs start, or a fixed
// zone where the zone database is missing.
func isoZone(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Logf("no zone database (%v): a fixed zone instead", err)
		return time.FixedZone("EST", -5*3600)
	}
	return loc
}

// s6Stamp is s6-log's T stamp: the local time, nanoseconds, two spaces.
// wallZone is the WallZone that tz names (as TZ would), for a Stamper.
func wallZone(tz string) WallZone {
	if z := tai64.LoadZone(tai64.ZoneConfig{TZ: tz, TZSet: true}); z != nil {
		return z
	}
	return nil // UTC
}

// isoTZ is the TZ that isoZone stands for.
const isoTZ = "America/New_York"

func s6Stamp(tm time.Time, loc *time.Location) string {
	return tm.In(loc).Format("2006-01-02 15:04:05.000000000") + "  "
}

// writeMixedLogdir writes a logdir the way users end up with one: lines
// from multilog t, then multilog i, then s6-log T, then all three in one
// file (and some lines with no stamp), through our multilog, rotating
// every 4 KB. It returns the logdir and the times of the stamps.
func writeMixedLogdir(t *testing.T, r *rand.Rand, loc *time.Location) (string, []tai64.Time) {
	dir := filepath.Join(t.TempDir(), "log")
	clock := &stampClock{r: r, now: time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC)} // New York springs forward at 07:00 UTC
	var stamps []tai64.Time
	n := 0
	text := func() string {
		n++
		return fmt.Sprintf("line %d %s\n", n, strings.Repeat("z", r.IntN(90)))
	}
	run := func(script string, lines int, line func() string) {
		var in []string
		for range lines {
			in = append(in, line())
		}
		ticks := 0
		src := &lineByLine{lines: in, tick: func() {
			clock.tick()
			ticks++
		}}
		now := func() time.Time { return clock.now }
		cfg := multilog.Config{Stdin: src, Now: now, Script: mustScript(t, []string{script, "s4096", "n1000", dir})}
		cfg.Logdir.Now = now
		l, err := multilog.Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		l.Run()
	}
	// The stamps of t and i lines are read back from the logdir below;
	// the others' lines carry their own.
	run("t", 300, text)
	run("i", 300, text)
	// s6-log's T, and its lines copied by a multilog with no stamping.
	run("+*", 300, func() string {
		clock.tick()
		return s6Stamp(clock.now, loc) + text()
	})
	run("+*", 300, func() string {
		clock.tick()
		switch r.IntN(5) {
		case 0:
			return s6Stamp(clock.now, loc) + text()
		case 1:
			return clock.now.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z07:00") + " " + text()
		case 2:
			return tai64.Stamp(clock.now).String() + " " + text()
		case 3:
			return clock.now.In(loc).Format(time.RFC3339Nano) + " " + text()
		}
		return "no stamp: " + text()
	})
	st := NewStamper(wallZone(isoTZ))
	for _, l := range bruteForceIn(t, dir, tai64.Time{}, tai64.Time{}, st) {
		if _, ok := st.of([]byte(l.text)); ok {
			stamps = append(stamps, l.t)
		}
	}
	return dir, stamps
}

// TestISOStampsMatchBruteForce: logdirs of t, i and T lines, mixed within
// files too, queried over random ranges (bisected, since the lines are in
// order), give exactly what a scan of every line gives; the output in
// every format shows the line's time.
func TestISOStampsMatchBruteForce(t *testing.T) {
	defer func(n int64) { bisectMin = n }(bisectMin)
	bisectMin = 256 // bisect even small files
	loc := isoZone(t)
	r := rand.New(rand.NewPCG(14, 5))
	dir, stamps := writeMixedLogdir(t, r, loc)
	ents, _ := os.ReadDir(dir)
	t.Logf("%d stamps, %d names in the logdir", len(stamps), len(ents))
	for i := 1; i < len(stamps); i++ {
		if stamps[i].Before(stamps[i-1]) {
			t.Fatalf("stamp %d %v is before the one before it, %v: the test's logdir is not in order", i, stamps[i], stamps[i-1])
		}
	}
	st := NewStamper(wallZone(isoTZ))
	for i := range 300 {
		since, until := pickTime(r, stamps), pickTime(r, stamps)
		if until.Before(since) {
			since, until = until, since
		}
		if i%7 == 0 {
			until = tai64.Time{}
		}
		want := bruteMerge([]string{dir}, [][]bruteLine{bruteForceIn(t, dir, since, until, st)}, false)
		for _, scan := range []bool{false, true} {
			got := runQuery(t, Config{Since: since, Until: until, Scan: scan, Zone: tai64.LoadZone(tai64.ZoneConfig{TZ: isoTZ, TZSet: true})}, []string{dir})
			if got != want {
				t.Fatalf("range [%v, %v) scan %v: %d bytes, want %d; first difference: %s", since, until, scan, len(got), len(want), firstDiff(got, want))
			}
		}
	}
	// --utc and JSON show every stamped line's own time, --local too.
	for _, f := range []Format{UTC, JSON, Local} {
		var out bytes.Buffer
		if _, err := Run(context.Background(), Config{Format: f, Zone: tai64.LoadZone(tai64.ZoneConfig{TZ: isoTZ, TZSet: true})}, []string{dir}, &out); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		k := 0
		for _, l := range lines {
			if strings.Contains(l, "no stamp:") {
				continue
			}
			l = strings.Replace(l, "  ", " ", 1) // s6-log's T stamp is followed by two spaces
			var want string
			switch f {
			case UTC:
				want = stamps[k].Time().UTC().Format("2006-01-02T15:04:05.000000000Z") + " line "
			case JSON:
				want = `{"time":"` + stamps[k].Time().UTC().Format("2006-01-02T15:04:05.000000000Z") + `","logdir":"` + dir + `","line":"line `
			case Local:
				want = stamps[k].Time().In(loc).Format("2006-01-02 15:04:05.000000000") + " "
			}
			if !strings.HasPrefix(l, want) {
				t.Fatalf("format %v: line %q, want it to start %q", f, l, want)
			}
			k++
		}
		if k != len(stamps) {
			t.Errorf("format %v: %d stamped lines, want %d", f, k, len(stamps))
		}
	}
}

// TestISOStampsSince: the issue's case: "echo hi | multilog i ./iso; mlog
// query --since -5m iso" found nothing.
func TestISOStampsSince(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "iso")
	l, err := multilog.Open(multilog.Config{Stdin: strings.NewReader("hi\n"), Script: mustScript(t, []string{"i", dir})})
	if err != nil {
		t.Fatal(err)
	}
	l.Run()
	since := tai64.FromTime(time.Now().Add(-5 * time.Minute))
	var out bytes.Buffer
	st, err := Run(context.Background(), Config{Since: since, Format: JSON}, []string{dir}, &out)
	if err != nil || st.Matched != 1 || !strings.HasSuffix(out.String(), `"line":"hi"}`+"\n") {
		t.Errorf("query --since -5m of a logdir multilog i wrote just now: %d lines, %v, %q", st.Matched, err, out.String())
	}
}

// TestS6LogT: lines stamped by Debian's s6-log T (local time, in the zone
// TZ gives it) are found by time when read in that zone, and their times
// are the time s6-log ran.
func TestS6LogT(t *testing.T) {
	s6log := testkit.NeedPeer(t, "s6-log", "s6")
	for _, tc := range []struct {
		tz  string
		loc *time.Location
	}{{"JST-9", time.FixedZone("JST", 9*3600)}, {"UTC0", time.UTC}, {"EST5EDT,M3.2.0,M11.1.0", isoZone(t)}} {
		t.Run(tc.tz, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "s6")
			before := time.Now()
			cmd := exec.Command(s6log, "T", "s4096", dir)
			cmd.Env = []string{"TZ=" + tc.tz}
			var in strings.Builder
			for i := range 300 {
				fmt.Fprintf(&in, "%s line %d\n", tc.tz, i)
			}
			cmd.Stdin = strings.NewReader(in.String())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("s6-log: %v: %s", err, out)
			}
			after := time.Now()
			if as, _ := rotate.Archives(dir); len(as) == 0 {
				t.Errorf("s6-log made no archive: the test means to cover archives too")
			}
			var out bytes.Buffer
			cfg := Config{Since: tai64.FromTime(before.Add(-time.Second)), Until: tai64.FromTime(after.Add(time.Second)), Zone: tai64.LoadZone(tai64.ZoneConfig{TZ: tc.tz, TZSet: true}), Format: JSON}
			st, err := Run(context.Background(), cfg, []string{dir}, &out)
			if err != nil {
				t.Fatal(err)
			}
			if st.Matched != 300 {
				t.Errorf("%d lines in the time s6-log ran, want 300", st.Matched)
			}
			if !strings.Contains(out.String(), `"line":"`+tc.tz+` line 0"}`) {
				t.Errorf("the line after s6-log's two spaces is not the line: %.300s", out.String())
			}
			// Every range, against the brute force.
			stp := NewStamper(wallZone(tc.tz))
			var stamps []tai64.Time
			for _, l := range bruteForceIn(t, dir, tai64.Time{}, tai64.Time{}, stp) {
				stamps = append(stamps, l.t)
			}
			r := rand.New(rand.NewPCG(6, 6))
			for range 100 {
				since, until := pickTime(r, stamps), pickTime(r, stamps)
				if until.Before(since) {
					since, until = until, since
				}
				got := runQuery(t, Config{Zone: tai64.LoadZone(tai64.ZoneConfig{TZ: tc.tz, TZSet: true}), Since: since, Until: until}, []string{dir})
				want := bruteMerge([]string{dir}, [][]bruteLine{bruteForceIn(t, dir, since, until, stp)}, false)
				if got != want {
					t.Fatalf("[%v, %v): %s", since, until, firstDiff(got, want))
				}
			}
		})
	}
}
