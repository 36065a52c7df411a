package supervise

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/tai64"
)

func unhexT(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Dumps of status files written by real daemontools 0.76 supervise.
var statusTests = []struct {
	name string
	in   string // hex
	want Status
}{
	{"up", "40 00 00 00 6b 04 b0 89 1f 59 bf cc a6 47 00 00 00 75",
		Status{Stamp: tai64.Time{Sec: 0x400000006b04b089, Nsec: 0x1f59bfcc}, PID: 18342, Want: WantUp}},
	{"paused", "40 00 00 00 6b 04 b0 89 1f 59 bf cc a6 47 00 00 01 75",
		Status{Stamp: tai64.Time{Sec: 0x400000006b04b089, Nsec: 0x1f59bfcc}, PID: 18342, Paused: true, Want: WantUp}},
	{"down", "40 00 00 00 6b 04 c8 b5 07 7e 3c 5c 00 00 00 00 00 64",
		Status{Stamp: tai64.Time{Sec: 0x400000006b04c8b5, Nsec: 0x077e3c5c}, Want: WantDown}},
	{"once", "40 00 00 00 6b 04 c7 b6 32 4a 32 ec 5e 19 00 00 00 00",
		Status{Stamp: tai64.Time{Sec: 0x400000006b04c7b6, Nsec: 0x324a32ec}, PID: 0x195e, Want: WantOnce}},
	{"max pid", "40 00 00 00 00 00 00 0a 00 00 01 f4 ff ff ff ff 00 64",
		Status{Stamp: tai64.Time{Sec: 0x400000000000000a, Nsec: 500}, PID: 0xffffffff, Want: WantDown}},
}

func TestParseStatus(t *testing.T) {
	for _, tc := range statusTests {
		t.Run(tc.name, func(t *testing.T) {
			in := unhexT(t, tc.in)
			got, n, err := ParseStatus(in)
			if err != nil || n != StatusLen || got != tc.want {
				t.Fatalf("ParseStatus(%s) = %+v, %d, %v, want %+v, %d, nil", tc.in, got, n, err, tc.want, StatusLen)
			}
			if b := got.Append(nil); !bytes.Equal(b, in) {
				t.Errorf("%+v.Append() = % x, want % x", got, b, in)
			}
			// runit's 20-byte status: the first 18 bytes are daemontools'.
			runit := append(append([]byte{}, in...), 0, 1)
			if got2, n2, err := ParseStatus(runit); err != nil || n2 != StatusLen || got2 != tc.want {
				t.Errorf("ParseStatus(runit %x) = %+v, %d, %v, want %+v", runit, got2, n2, err, tc.want)
			}
		})
	}
}

func TestParseStatusShort(t *testing.T) {
	for n := 0; n < StatusLen; n++ {
		if _, _, err := ParseStatus(make([]byte, n)); !errors.Is(err, ErrBadFormat) {
			t.Errorf("ParseStatus(%d bytes) error = %v, want ErrBadFormat", n, err)
		}
	}
}

func TestStatusPutAllocs(t *testing.T) {
	s := statusTests[0].want
	var b [StatusLen]byte
	if n := testing.AllocsPerRun(100, func() {
		s.Put(&b)
		ParseStatus(b[:])
	}); n != 0 {
		t.Errorf("allocs per Put+ParseStatus = %v, want 0", n)
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, tc := range statusTests {
		f.Add(unhexT(f, tc.in))
	}
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, n, err := ParseStatus(in)
		if err != nil {
			if len(in) >= StatusLen {
				t.Fatalf("ParseStatus(%x) = %v on %d bytes", in, err, len(in))
			}
			return
		}
		if n != StatusLen {
			t.Fatalf("ParseStatus(%x) consumed %d", in, n)
		}
		// Encoding gives back the input, with the paused byte as 0 or 1.
		want := append([]byte{}, in[:StatusLen]...)
		if want[16] != 0 {
			want[16] = 1
		}
		if got := s.Append(nil); !bytes.Equal(got, want) {
			t.Fatalf("Append(ParseStatus(%x)) = %x", want, got)
		}
		if s2, _, _ := ParseStatus(s.Append(nil)); s2 != s {
			t.Fatalf("round trip %+v -> %+v", s, s2)
		}
	})
}

func TestStateAppend(t *testing.T) {
	now := time.Unix(1700000000, 0)
	stamp := tai64.FromUnix(1700000000-42, 500)
	tests := []struct {
		name string
		st   State
		want string
	}{
		{"up", State{Status{Stamp: stamp, PID: 123, Want: WantUp}, true}, "up (pid 123) 42 seconds"},
		{"up normally down", State{Status{Stamp: stamp, PID: 123, Want: WantUp}, false}, "up (pid 123) 42 seconds, normally down"},
		{"up paused want down", State{Status{Stamp: stamp, PID: 7, Paused: true, Want: WantDown}, true}, "up (pid 7) 42 seconds, paused, want down"},
		{"up all", State{Status{Stamp: stamp, PID: 7, Paused: true, Want: WantDown}, false}, "up (pid 7) 42 seconds, normally down, paused, want down"},
		{"up once", State{Status{Stamp: stamp, PID: 7, Want: WantOnce}, true}, "up (pid 7) 42 seconds"},
		{"down", State{Status{Stamp: stamp, Want: WantDown}, true}, "down 42 seconds, normally up"},
		{"down normally down", State{Status{Stamp: stamp, Want: WantDown}, false}, "down 42 seconds"},
		{"down want up", State{Status{Stamp: stamp, Want: WantUp}, true}, "down 42 seconds, normally up, want up"},
		{"down paused ignored", State{Status{Stamp: stamp, Paused: true, Want: WantUp}, false}, "down 42 seconds, want up"},
		{"future stamp", State{Status{Stamp: tai64.FromUnix(1700000100, 0), Want: WantDown}, false}, "down 0 seconds"},
		// 4611686020127387914 through svstat's double (tai_approx): Debian's
		// svstat prints such rounded counts for a zeroed status file.
		{"zero stamp", State{Status{PID: 1}, true}, "up (pid 1) 4611686020127387648 seconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.st.Append(nil, now)); got != tc.want {
				t.Errorf("%+v.Append() = %q, want %q", tc.st, got, tc.want)
			}
		})
	}
}

func TestStatErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		setup func(d string)
		want  string // Op Path: Err
	}{
		{"missing dir", nil, "chdir : no such file or directory"},
		{"no supervise", func(d string) { os.Mkdir(d, 0755) }, "open supervise/ok: no such file or directory"},
		{"not running", func(d string) { os.MkdirAll(d+"/supervise", 0700); mkfifo(t, d+"/supervise/ok") }, "open supervise/ok: supervise not running"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if tc.setup != nil {
				tc.setup(d)
			}
			_, err := Stat(d)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Stat(%s) error = %v, want %q", tc.name, err, tc.want)
			}
		})
	}
}
