package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/tai64"
)

// tzZones are the TZ values of the local time tests: every form glibc
// reads. "-" means TZ unset (the zone of /etc/localtime).
var tzZones = []string{
	"Asia/Tokyo",
	":America/New_York",
	":/usr/share/zoneinfo/America/New_York",
	"Europe/Paris",
	"JST-9",
	"EST5EDT,M3.2.0,M11.1.0",
	"CET-1CEST,M3.5.0,M10.5.0/3",
	"CET-1CEST",
	"<+0330>-3:30",
	"AEST-10AEDT,M10.1.0,M4.1.0/3",
	"",
	"-",
}

// tzLines returns labelled lines 10 minutes apart from 3 hours before to
// 3 hours after each of 2026's US and EU clock changes, in order, as
// multilog writes them.
func tzLines() []string {
	changes := []time.Time{
		time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC),   // US spring
		time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),  // EU spring
		time.Date(2026, 4, 4, 16, 0, 0, 0, time.UTC),  // Australia autumn
		time.Date(2026, 10, 3, 16, 0, 0, 0, time.UTC), // Australia spring
		time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), // EU autumn
		time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),  // US autumn
	}
	var lines []string
	for _, c := range changes {
		for m := -180; m <= 180; m += 10 {
			t := tai64.Stamp(c.Add(time.Duration(m) * time.Minute))
			lines = append(lines, t.String()+" line "+strconv.Itoa(len(lines)))
		}
	}
	return lines
}

// setTZ sets TZ for the test ("-": unset) and returns the environment
// for a child process.
func setTZ(t *testing.T, tz string) []string {
	t.Setenv("TZ", "")
	env := []string{"PATH=" + os.Getenv("PATH")}
	if tz == "-" {
		os.Unsetenv("TZ")
		return env
	}
	os.Setenv("TZ", tz)
	return append(env, "TZ="+tz)
}

// queryTZ runs mlog query with args under the TZ already set.
func queryTZ(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := newQueryCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	code := 0
	if err := cmd.Execute(); err != nil {
		ee, ok := err.(*exitError)
		if !ok {
			t.Fatalf("mlog query %q: %v", args, err)
		}
		code = ee.code
	}
	if errOut.Len() > 0 {
		t.Errorf("mlog query %q: stderr %q", args, errOut.String())
	}
	return code, out.String()
}

// TestQueryLocalTZ checks local times under every TZ form: --local prints
// what Debian's tai64nlocal prints for the same lines, across clock
// changes; each time it prints, given back as --since and --until (1 ns
// later), finds its line; and --histogram's hour buckets are those local
// hours. Under TZ=JST-9 and the other rules with no zone file, mlog query
// used to print and read UTC.
func TestQueryLocalTZ(t *testing.T) {
	real := testkit.NeedPeer(t, "/usr/bin/tai64nlocal", "daemontools")
	if _, err := os.Stat(tai64.DefaultZoneDir + "/America/New_York"); err != nil {
		t.Skip("no zoneinfo:", err)
	}
	lines := tzLines()
	text := strings.Join(lines, "\n") + "\n"
	dir := filepath.Join(t.TempDir(), "main")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte(text), 0o644))
	for _, tz := range tzZones {
		t.Run(tz, func(t *testing.T) {
			env := setTZ(t, tz)
			cmd := exec.Command(real)
			cmd.Env = env
			cmd.Stdin = strings.NewReader(text)
			want, err := cmd.Output()
			must(t, err)
			code, got := queryTZ(t, "--local", dir)
			if code != 0 || got != string(want) {
				t.Fatalf("TZ=%s: mlog query --local (exit %d):\n%s\ntai64nlocal:\n%s", tz, code, got, want)
			}
			shown := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			const stampLen = len("2026-01-02 15:04:05.000000000")
			times := map[string]int{} // how often each local time shows
			for _, l := range shown {
				times[l[:stampLen]]++
			}
			for i, l := range shown {
				at := l[:stampLen]
				// 1 ns later, in the same form: the nanoseconds are 500.
				next := at[:len(at)-3] + "501"
				code, out := queryTZ(t, "--local", "--since", at, "--until", next, dir)
				switch {
				case code != 0:
					t.Errorf("TZ=%s: --since %q --until %q: exit %d, want line %d", tz, at, next, code, i)
				case times[at] == 1 && out != l+"\n":
					t.Errorf("TZ=%s: --since %q --until %q: got %q, want %q", tz, at, next, out, l)
				case !strings.HasPrefix(out, at) || strings.Count(out, "\n") != 1:
					// A time the clock shows twice (set back): mktime's
					// choice, one of the two lines.
					t.Errorf("TZ=%s: --since %q --until %q: got %q, want one line at that time", tz, at, next, out)
				}
			}
			// Hour buckets in local time: the local hours of the lines.
			counts := map[string]int{}
			for _, l := range shown {
				counts[l[:len("2026-01-02 15")]]++
			}
			_, hist := queryTZ(t, "--histogram", "1h", dir)
			rows := 0
			for _, row := range strings.Split(strings.TrimSuffix(hist, "\n"), "\n") {
				f := strings.Fields(row)
				if len(f) < 3 || f[2] == "0" {
					continue
				}
				rows++
				hour := f[0] + " " + f[1][:2]
				if f[1][2:] != ":00:00" || strconv.Itoa(counts[hour]) != f[2] {
					t.Errorf("TZ=%s: histogram row %q: want %d lines in hour %s", tz, row, counts[hour], hour)
				}
			}
			if rows != len(counts) {
				t.Errorf("TZ=%s: histogram has %d hours with lines, want %d:\n%s", tz, rows, len(counts), hist)
			}
		})
	}
}

// TestQueryTodayTZ checks the words and times of day in a TZ rule: at
// 2026-03-10 20:00 UTC it is already 11 March in Japan.
func TestQueryTodayTZ(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "main")
	must(t, os.Mkdir(dir, 0o755))
	now := time.Now()
	// Lines at 23:30 and 00:30 around local midnight today, JST: 14:30
	// and 15:30 UTC the day before.
	y, m, d := now.In(time.FixedZone("JST", 9*3600)).Date()
	mid := time.Date(y, m, d, 0, 0, 0, 0, time.FixedZone("JST", 9*3600))
	var b strings.Builder
	for _, off := range []time.Duration{-30 * time.Minute, 30 * time.Minute, 14*time.Hour + 30*time.Minute} {
		fmt.Fprintf(&b, "%s at %s\n", tai64.Stamp(mid.Add(off)), mid.Add(off).Format("15:04"))
	}
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte(b.String()), 0o644))
	setTZ(t, "JST-9")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "today", "--until", "14:00"}, "at 00:30\n"},
		{[]string{"--since", "yesterday", "--until", "today"}, "at 23:30\n"},
		{[]string{"--since", "14:00", "--until", "tomorrow"}, "at 14:30\n"},
	} {
		_, out := queryTZ(t, append(tc.args, dir)...)
		var got []string
		for _, l := range strings.SplitAfter(out, "\n") {
			if l != "" {
				got = append(got, l[tai64.LabelLen+1:])
			}
		}
		if strings.Join(got, "") != tc.want {
			t.Errorf("TZ=JST-9 mlog query %q: got %q, want %q", tc.args, out, tc.want)
		}
	}
}
