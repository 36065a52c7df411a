package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/supervise"
	"github.com/mlog/mlog/tai64"
)

// fakeService makes dir look supervised (a reader holds supervise/ok) with
// status s, or not supervised when running is false.
func fakeService(t *testing.T, dir string, s supervise.Status, running bool) {
	t.Helper()
	if err := os.MkdirAll(dir+"/supervise", 0700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(dir+"/supervise/ok", 0600); err != nil {
		t.Fatal(err)
	}
	if running {
		fd, err := unix.Open(dir+"/supervise/ok", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
	}
	if err := os.WriteFile(dir+"/supervise/status", s.Append(nil), 0644); err != nil {
		t.Fatal(err)
	}
}

func TestStatusJSON(t *testing.T) {
	base := t.TempDir()
	now := time.Unix(1800000000, 0)
	stamp := tai64.FromUnix(1800000000-42, 500)
	fakeService(t, base+"/up", supervise.Status{Stamp: stamp, PID: 1234, Paused: true, Want: 'u'}, true)
	fakeService(t, base+"/down", supervise.Status{Stamp: stamp, Want: 'd'}, true)
	os.WriteFile(base+"/down/down", nil, 0644)
	fakeService(t, base+"/gone", supervise.Status{Stamp: stamp, PID: 7, Want: 'u'}, false)

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
	fakeService(t, dir, supervise.Status{Stamp: tai64.Now(), Want: 'u'}, true)
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
