package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/supervise"
	"github.com/mlog/mlog/tai64"
)

func TestStatusJSON(t *testing.T) {
	base := t.TempDir()
	now := time.Unix(1800000000, 0)
	stamp := tai64.FromUnix(1800000000-42, 500)
	testkit.FakeService(t, base+"/up", supervise.Status{Stamp: stamp, PID: 1234, Paused: true, Want: 'u'}.Append(nil), false, true)
	testkit.FakeService(t, base+"/down", supervise.Status{Stamp: stamp, Want: 'd'}.Append(nil), false, true)
	os.WriteFile(base+"/down/down", nil, 0644)
	testkit.FakeService(t, base+"/gone", supervise.Status{Stamp: stamp, PID: 7, Want: 'u'}.Append(nil), false, false)

	var out bytes.Buffer
	code := runStatus(&out, []string{base + "/up", base + "/down", base + "/gone", base + "/missing"}, true, now)
	if code != 111 {
		t.Errorf("exit code %d, want 111", code)
	}
	var got []statusJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	since := stamp.Time().UTC()
	want := []statusJSON{
		{Dir: base + "/up", Supervised: true, State: "up", PID: 1234, Seconds: 42, Since: since, NormallyUp: true, Paused: true, Want: "up"},
		{Dir: base + "/down", Supervised: true, State: "down", Seconds: 42, Since: since, Want: "down"},
		{Dir: base + "/gone", State: "unknown", NormallyUp: true, Error: "supervise not running"},
		{Dir: base + "/missing", State: "unknown", Error: "unable to chdir: file does not exist"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d objects, want %d: %s", len(got), len(want), out.Bytes())
	}
	for i := range want {
		if !got[i].Since.Equal(want[i].Since) {
			t.Errorf("[%d].since = %v, want %v", i, got[i].Since, want[i].Since)
		}
		got[i].Since, want[i].Since = time.Time{}, time.Time{}
		if got[i] != want[i] {
			t.Errorf("[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}

	out.Reset()
	if code := runStatus(&out, []string{base + "/up", base + "/gone"}, false, now); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if want := base + "/up: up (pid 1234) 42 seconds, paused\n" + base + "/gone: supervise not running\n"; out.String() != want {
		t.Errorf("mlog status = %q, want %q", out.String(), want)
	}
}

func TestWait(t *testing.T) {
	base := t.TempDir()
	dir := base + "/svc"
	testkit.FakeService(t, dir, supervise.Status{Stamp: tai64.Now(), Want: 'u'}.Append(nil), false, true)
	var stderr bytes.Buffer
	if code := runWait(&stderr, []string{dir}, true, 100*time.Millisecond); code != 1 {
		t.Errorf("wait -u on a down service = %d, want 1 (timeout)", code)
	}
	if code := runWait(&stderr, []string{dir}, false, time.Second); code != 0 {
		t.Errorf("wait -d on a down service = %d, want 0", code)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		s := supervise.Status{Stamp: tai64.Now(), PID: 99, Want: 'u'}
		os.WriteFile(dir+"/supervise/status.new", s.Append(nil), 0644)
		os.Rename(dir+"/supervise/status.new", dir+"/supervise/status")
	}()
	if code := runWait(&stderr, []string{dir}, true, 5*time.Second); code != 0 {
		t.Errorf("wait -u while it comes up = %d, want 0", code)
	}
	if code := runWait(&stderr, []string{base + "/missing"}, true, time.Second); code != 111 || stderr.String() != "mlog: fatal: "+base+"/missing: unable to chdir: file does not exist\n" {
		t.Errorf("wait on a missing dir = %d, %q", code, stderr.String())
	}
}

// rawStatus is a status file: sec as the 8-byte TAI64 label, then the
// other ten bytes as given.
func rawStatus(sec uint64, rest ...byte) []byte {
	b := make([]byte, 8, 8+len(rest))
	for i := 7; i >= 0; i-- {
		b[i] = byte(sec)
		sec >>= 8
	}
	return append(b, rest...)
}

// corruptStatuses are status files as a disk error, a truncation or a
// stranger's write could leave them: svstat prints each of them, so mlog
// status must too, and --json must never fail.
var corruptStatuses = []struct {
	name string
	b    []byte
}{
	{"zeros", make([]byte, 18)},
	{"ones", bytes.Repeat([]byte{0xff}, 18)},
	{"year 0", rawStatus(tai64.FromUnix(-62167219200, 0).Sec, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'u')},
	{"year -1", rawStatus(tai64.FromUnix(-62167219200-86400*366, 0).Sec, 0, 0, 0, 0, 1, 0, 0, 0, 0, 'u')},
	{"year 10000", rawStatus(tai64.FromUnix(253402300800, 0).Sec, 0, 0, 0, 0, 1, 0, 0, 0, 0, 'u')},
	{"before tai64 epoch", rawStatus(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'd')},
	{"top bit", rawStatus(1<<63|5, 0, 0, 0, 0, 1, 0, 0, 0, 1, 'u')},
	{"future up", rawStatus(tai64.FromUnix(4000000000, 0).Sec, 0, 0, 0, 0, 0x39, 0x30, 0, 0, 0, 'd')},
	{"nsec too big", rawStatus(tai64.FromUnix(1700000000, 0).Sec, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 7, 'x')},
	{"pid ffffffff", rawStatus(tai64.FromUnix(1700000000, 0).Sec, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 'u')},
	{"text", []byte("root:$6$abcdefgh:1")},
	{"runit's 20", rawStatus(tai64.FromUnix(1700000000, 0).Sec, 0, 0, 0, 0, 1, 0, 0, 0, 0, 'u', 0, 0)},
	{"short", []byte("0123456789")},
	{"empty", []byte{}},
}

// A corrupt status file never makes mlog status panic: without --json it
// prints what Debian's svstat prints, with --json each directory gets its
// object (the state svstat reads, and an error when the stamp is no time)
// and the others still get theirs.
func TestStatusCorrupt(t *testing.T) {
	base := t.TempDir()
	var dirs []string
	for _, tc := range corruptStatuses {
		dir := base + "/" + strings.ReplaceAll(tc.name, " ", "_")
		testkit.FakeService(t, dir, supervise.Status{}.Append(nil), false, true)
		if err := os.WriteFile(dir+"/supervise/status", tc.b, 0644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	good := base + "/good"
	testkit.FakeService(t, good, supervise.Status{Stamp: tai64.Now(), PID: 42, Want: 'u'}.Append(nil), false, true)
	dirs = append(dirs, good)

	var out bytes.Buffer
	if code := runStatus(&out, dirs, true, time.Now()); code != 111 {
		t.Errorf("exit code %d, want 111 (corrupt status files)", code)
	}
	var got []statusJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v: %s", err, out.Bytes())
	}
	if len(got) != len(dirs) {
		t.Fatalf("--json gave %d objects for %d directories: %s", len(got), len(dirs), out.Bytes())
	}
	if g := got[len(got)-1]; g.State != "up" || g.PID != 42 || g.Error != "" {
		t.Errorf("the good directory after the corrupt ones: %+v", g)
	}
	if g := got[0]; g.State != "down" || !g.Since.IsZero() || g.Error != errBadStamp {
		t.Errorf("zeros: %+v, want down, no since, error %q", g, errBadStamp)
	}

	svstat := testkit.NeedPeer(t, "/usr/bin/svstat", "daemontools")
	for i, dir := range dirs {
		// The seconds may tick between the two runs: take ours on both
		// sides of Debian's.
		var before, after bytes.Buffer
		runStatus(&before, dirs[i:i+1], false, time.Now())
		ref, _ := exec.Command(svstat, dir).Output()
		runStatus(&after, dirs[i:i+1], false, time.Now())
		if before.String() != string(ref) && after.String() != string(ref) {
			t.Errorf("%s: mlog status = %q, svstat = %q", filepath.Base(dir), after.String(), ref)
			continue
		}
		// --json reads the same state as the text.
		g := got[i]
		line := strings.TrimPrefix(string(ref), dir+": ")
		switch {
		case strings.HasPrefix(line, "up (pid "):
			if g.State != "up" || !strings.HasPrefix(line, "up (pid "+strconv.Itoa(g.PID)+") ") {
				t.Errorf("%s: --json %+v for %q", filepath.Base(dir), g, line)
			}
		case strings.HasPrefix(line, "down "):
			if g.State != "down" || g.PID != 0 {
				t.Errorf("%s: --json %+v for %q", filepath.Base(dir), g, line)
			}
		default:
			if g.State != "unknown" || g.Error == "" {
				t.Errorf("%s: --json %+v for %q", filepath.Base(dir), g, line)
			}
		}
	}
}

// Every 18 bytes give JSON and no panic.
func FuzzStatusJSON(f *testing.F) {
	for _, tc := range corruptStatuses {
		f.Add(tc.b)
	}
	base := f.TempDir()
	dir := base + "/svc"
	testkit.FakeService(f, dir, supervise.Status{}.Append(nil), false, true)
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(dir+"/supervise/status", b, 0644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		runStatus(&out, []string{dir}, true, time.Now())
		var got []statusJSON
		if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) != 1 {
			t.Fatalf("status %x: --json gave %q (%v)", b, out.Bytes(), err)
		}
	})
}

// TestStatusJSONLogsAndExits: mlog status --json lists each service's log
// service after it, and a service that keeps dying says why: its restarts
// and how it last exited (from supervise/exit). Before, /service/* gave
// the services only, and a crash loop read as "state": "down".
func TestStatusJSONLogsAndExits(t *testing.T) {
	base := t.TempDir()
	now := time.Unix(1800000000, 0)
	stamp := tai64.FromUnix(1800000000-1, 500)
	testkit.FakeService(t, base+"/qmail", supervise.Status{Stamp: stamp, Want: 'u'}.Append(nil), false, true)
	testkit.FakeService(t, base+"/qmail/log", supervise.Status{Stamp: stamp, PID: 99, Want: 'u'}.Append(nil), false, true)
	testkit.FakeService(t, base+"/dns", supervise.Status{Stamp: stamp, PID: 98, Want: 'u'}.Append(nil), false, true)
	must(t, os.WriteFile(base+"/qmail/supervise/exit", []byte("mlog-exit 1 37 1 0 "+stamp.String()+"\n"), 0o644))
	must(t, os.WriteFile(base+"/qmail/log/supervise/exit", []byte("mlog-exit 1 2 -1 9 "+stamp.String()+"\n"), 0o644))

	var out bytes.Buffer
	if code := runStatus(&out, []string{base + "/dns", base + "/qmail"}, true, now); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	var got []map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	var dirs []string
	for _, o := range got {
		dirs = append(dirs, o["dir"].(string))
	}
	if want := []string{base + "/dns", base + "/qmail", base + "/qmail/log"}; strings.Join(dirs, " ") != strings.Join(want, " ") {
		t.Fatalf("dirs %q, want %q", dirs, want)
	}
	q := got[1]
	last, _ := q["last_exit"].(map[string]any)
	if q["state"] != "down" || q["restarts"] != 37.0 || last["status"] != 1.0 ||
		q["why"] != "exits while wanted up: 37 restarts, last exit status 1" {
		t.Errorf("crash-looping service: %v", q)
	}
	if l, _ := got[2]["last_exit"].(map[string]any); got[2]["state"] != "up" || l["signal"] != "SIGKILL" || got[2]["why"] != nil {
		t.Errorf("log service: %v", got[2])
	}
	if _, ok := got[0]["restarts"]; ok {
		t.Errorf("service without supervise/exit: %v", got[0])
	}

	// Without --json the lines stay svstat's: no log lines added.
	out.Reset()
	runStatus(&out, []string{base + "/qmail"}, false, now)
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("mlog status without --json: %q", out.String())
	}
}
