package compat

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/supervise"
	"github.com/mlog/mlog/tai64"
)

// Our svstat prints the same bytes as Debian's for every combination of
// status and down file, and for each error.
func TestSvstatMatchesReal(t *testing.T) {
	tools := svTools(t)
	svReal(t, "svstat")
	base := t.TempDir()
	stamp := tai64.Now()
	stamp.Sec -= 1234
	var args []string
	n := 0
	for _, pid := range []int{0, 4242, 0x7fffffff} {
		for _, paused := range []bool{false, true} {
			for _, want := range []byte{supervise.WantUp, supervise.WantDown, supervise.WantOnce, 'z'} {
				for _, down := range []bool{false, true} {
					n++
					name := "s" + string(rune('a'+n/26)) + string(rune('a'+n%26))
					s := supervise.Status{Stamp: stamp, PID: pid, Paused: paused, Want: want}
					testkit.FakeService(t, filepath.Join(base, name), s.Append(nil), down, true)
					args = append(args, name)
				}
			}
		}
	}
	future := supervise.Status{Stamp: tai64.FromTime(time.Now().Add(time.Hour)), PID: 1, Want: 'u'}
	testkit.FakeService(t, base+"/future", future.Append(nil), false, true)
	testkit.FakeService(t, base+"/runit", append(future.Append(nil), 0, 1), false, true)
	testkit.FakeService(t, base+"/short", []byte("0123456789"), false, true)
	testkit.FakeService(t, base+"/nostatus", nil, false, true)
	testkit.FakeService(t, base+"/notrunning", future.Append(nil), false, false)
	os.Mkdir(base+"/nosupervise", 0755)
	os.WriteFile(base+"/file", nil, 0644)
	args = append(args, "future", "runit", "short", "nostatus", "notrunning", "nosupervise", "file", "missing", base+"/sab")

	for try := 0; ; try++ {
		// The seconds may tick between the two runs: try again then.
		want := svExec(t, nil, base, "/usr/bin/svstat", args...)
		got := svExec(t, nil, base, filepath.Join(tools, "svstat"), args...)
		if got == want {
			break
		}
		if try == 2 {
			t.Fatalf("svstat:\n got %+v\nwant %+v", got, want)
		}
	}
	svCompare(t, tools, base, "svstat") // no arguments: no output
}

func TestSvokMatchesReal(t *testing.T) {
	tools := svTools(t)
	base := t.TempDir()
	testkit.FakeService(t, base+"/up", nil, false, true)
	testkit.FakeService(t, base+"/notrunning", nil, false, false)
	os.Mkdir(base+"/nosupervise", 0755)
	os.WriteFile(base+"/file", nil, 0644)
	for _, args := range [][]string{{}, {"up"}, {"notrunning"}, {"nosupervise"}, {"missing"}, {"file"}, {"up", "notrunning"}} {
		svCompare(t, tools, base, "svok", args...)
	}
}

func TestSvcMatchesReal(t *testing.T) {
	tools := svTools(t)
	base := t.TempDir()
	testkit.FakeService(t, base+"/notrunning", nil, false, false)
	os.Mkdir(base+"/nosupervise", 0755)
	for _, args := range [][]string{
		{}, {"-z"}, {"-dz", "x"}, {"-w", "x"}, {"-1"}, {"-d", "missing"}, {"-", "x"}, {"--", "-d"},
		{"-u", "notrunning"}, {"-h", "nosupervise"}, {"missing", "notrunning"},
	} {
		svCompare(t, tools, base, "svc", args...)
	}
}

// svc sends its options, de-duplicated and in order, in one write.
func TestSvcCommandBytes(t *testing.T) {
	tools := svTools(t)
	base := t.TempDir()
	dir := base + "/svc"
	testkit.FakeService(t, dir, nil, false, false)
	unix.Mkfifo(dir+"/supervise/control", 0600)
	fd, err := unix.Open(dir+"/supervise/control", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-d", "-x"}, "dx"},
		{[]string{"-dx"}, "dx"},
		{[]string{"-udopchaitkx"}, "udopchaitkx"},
		{[]string{"-uuddu", "-x"}, "udx"},
		{[]string{"-t", "-t"}, "t"},
		{nil, ""},
	}
	for _, tc := range tests {
		r := svExec(t, nil, base, filepath.Join(tools, "svc"), append(tc.args, "svc")...)
		var b [64]byte
		n, _ := unix.Read(fd, b[:])
		if n < 0 {
			n = 0
		}
		if r.code != 0 || string(b[:n]) != tc.want {
			t.Errorf("svc %q: %+v, sent %q, want %q", tc.args, r, b[:n], tc.want)
		}
	}
}
