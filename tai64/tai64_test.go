package tai64

import (
	"errors"
	"testing"
	"time"
)

var parseTests = []struct {
	name string
	in   string
	want Time
	err  error
}{
	{"daemontools doc", "@4000000037c219bf2ef02e94", Time{0x4000000037c219bf, 0x2ef02e94}, nil},
	{"followed by text", "@400000006b04c72d125438fc hello", Time{0x400000006b04c72d, 0x125438fc}, nil},
	{"uppercase", "@400000006B04C72D125438FC", Time{0x400000006b04c72d, 0x125438fc}, nil},
	{"zero", "@000000000000000000000000", Time{}, nil},
	{"max", "@ffffffffffffffffffffffff", Time{1<<64 - 1, 1<<32 - 1}, nil},
	{"short", "@4000000037c219bf2ef02e9", Time{}, ErrSyntax},
	{"no at", "4000000037c219bf2ef02e94x", Time{}, ErrSyntax},
	{"empty", "", Time{}, ErrSyntax},
	{"bad digit in seconds", "@40000000g7c219bf2ef02e94", Time{}, ErrSyntax},
	{"bad digit in nanoseconds", "@4000000037c219bf2ef02e9x", Time{}, ErrSyntax},
}

func TestParse(t *testing.T) {
	for _, tc := range parseTests {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := Parse([]byte(tc.in))
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("Parse(%q) = %v, %d, %v, want %v, %v", tc.in, got, n, err, tc.want, tc.err)
			}
			if err == nil && n != LabelLen {
				t.Errorf("Parse(%q) consumed %d bytes, want %d", tc.in, n, LabelLen)
			}
		})
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, tc := range parseTests {
		if tc.err != nil {
			continue
		}
		want := []byte(tc.in[:LabelLen])
		for i, c := range want {
			if c >= 'A' && c <= 'F' {
				want[i] = c - 'A' + 'a'
			}
		}
		if got := tc.want.String(); got != string(want) {
			t.Errorf("%#v.String() = %q, want %q", tc.want, got, want)
		}
		if got := tc.want.Append([]byte("x")); string(got) != "x"+string(want) {
			t.Errorf("%#v.Append(x) = %q, want %q", tc.want, got, "x"+string(want))
		}
	}
}

func TestStamp(t *testing.T) {
	// The daemontools doc's example, 1999-08-23 21:03:43 in US/Pacific
	// in TAI, is 04:04:05 UTC in daemontools' arithmetic.
	at := time.Date(1999, 8, 24, 4, 4, 5, 787492999, time.UTC)
	if got, want := Stamp(at).String(), "@4000000037c219bf2ef02e94"; got != want {
		t.Errorf("Stamp(%v) = %s, want %s", at, got, want)
	}
	if got, want := FromTime(at).Nsec, uint32(787492999); got != want {
		t.Errorf("FromTime(%v).Nsec = %d, want %d", at, got, want)
	}
	if got := Stamp(at).Time(); !got.Equal(at.Truncate(time.Microsecond).Add(500)) {
		t.Errorf("Stamp(%v).Time() = %v", at, got)
	}
	if sec, nsec := FromUnix(-11, 5).Unix(); sec != -11 || nsec != 5 {
		t.Errorf("FromUnix(-11, 5).Unix() = %d, %d", sec, nsec)
	}
	if n := Now(); n.Nsec%1000 != 500 {
		t.Errorf("Now() = %v: nanoseconds do not end in 500", n)
	}
}

func TestCompare(t *testing.T) {
	a, b, c := Time{5, 1}, Time{5, 2}, Time{6, 0}
	tests := []struct {
		t, u Time
		want int
	}{{a, a, 0}, {a, b, -1}, {b, a, 1}, {b, c, -1}, {c, a, 1}}
	for _, tc := range tests {
		if got := tc.t.Compare(tc.u); got != tc.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tc.t, tc.u, got, tc.want)
		}
		if got := tc.t.Before(tc.u); got != (tc.want < 0) {
			t.Errorf("%v.Before(%v) = %v", tc.t, tc.u, got)
		}
	}
}

func TestPutAllocs(t *testing.T) {
	var b [LabelLen]byte
	buf := make([]byte, 0, 64)
	tm := Time{0x4000000037c219bf, 0x2ef02e94}
	n := testing.AllocsPerRun(100, func() {
		tm.Put(&b)
		buf = tm.Append(buf[:0])
		if _, _, err := Parse(buf); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("Put, Append and Parse: %v allocs, want 0", n)
	}
}
