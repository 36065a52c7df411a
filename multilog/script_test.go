package multilog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/rotate"
)

func TestParseScript(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stamp Stamp
		dirs  []rotate.Config
	}{
		{"empty", nil, NoStamp, nil},
		{"t first", []string{"t", "./d"}, TAI64N, []rotate.Config{{Size: 99999, Num: 10}}},
		{"t not first", []string{"e", "t", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 10}}},
		{"t prefix counts", []string{"tx", "./d"}, TAI64N, []rotate.Config{{Size: 99999, Num: 10}}},
		{"i first", []string{"i", "./d"}, ISO, []rotate.Config{{Size: 99999, Num: 10}}},
		{"s clamps low", []string{"s100", "./d"}, NoStamp, []rotate.Config{{Size: 4096, Num: 10}}},
		// daemontools' scan_ulong stops at the first non-digit: s500M is
		// s500, clamped to 4096 (checked against Debian's multilog in
		// TestSizeWordsAsDaemontools).
		{"s stops at a suffix", []string{"s500M", "./d"}, NoStamp, []rotate.Config{{Size: 4096, Num: 10}}},
		{"s wraps as unsigned long", []string{"s18446744073709556712", "./d"}, NoStamp, []rotate.Config{{Size: 5096, Num: 10}}},
		{"n wraps as unsigned long", []string{"n18446744073709551619", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 3}}},
		{"n stops at a suffix", []string{"n5k", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 5}}},
		{"s clamps high", []string{"s999999999", "./d"}, NoStamp, []rotate.Config{{Size: 16777215, Num: 10}}},
		{"s junk is 0", []string{"something", "./d"}, NoStamp, []rotate.Config{{Size: 4096, Num: 10}}},
		{"c lifts the ceiling", []string{"c104857600", "./d"}, NoStamp, []rotate.Config{{Size: 104857600, Num: 10}}},
		{"c1M", []string{"c1M", "./d"}, NoStamp, []rotate.Config{{Size: 1 << 20, Num: 10}}},
		{"c100k", []string{"c100k", "./d"}, NoStamp, []rotate.Config{{Size: 100 << 10, Num: 10}}},
		{"c2g", []string{"c2g", "./d"}, NoStamp, []rotate.Config{{Size: 2 << 30, Num: 10}}},
		{"c clamps low", []string{"c1k", "./d"}, NoStamp, []rotate.Config{{Size: 4096, Num: 10}}},
		{"c clamps high", []string{"c2T", "./d"}, NoStamp, []rotate.Config{{Size: 1 << 40, Num: 10}}},
		{"m500M", []string{"m500M", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 10, TotalSize: 500 << 20}}},
		{"m bytes", []string{"m500", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 10, TotalSize: 500}}},
		{"m1G", []string{"m1G", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 10, TotalSize: 1 << 30}}},
		{"m1t", []string{"m1t", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 10, TotalSize: 1 << 40}}},
		{"m0 is no cap", []string{"m0", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 10}}},
		{"a seconds", []string{"a90s", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 10, MaxAge: 90 * time.Second}}},
		{"a1d", []string{"a1d", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 10, MaxAge: 24 * time.Hour}}},
		{"n clamps", []string{"n0", "./d"}, NoStamp, []rotate.Config{{Size: 99999, Num: 2}}},
		{"sticky and positional", []string{"s5000", "./a", "n3", "!gzip", "./b", "/c"}, NoStamp, []rotate.Config{
			{Size: 5000, Num: 10},
			{Size: 5000, Num: 3, Processor: "gzip"},
			{Size: 5000, Num: 3, Processor: "gzip"},
		}},
		{"mlog actions", []string{"z", "m1000000", "a1h", "./a", "zgzip", "a30m", "./b", "znone", "./c"}, NoStamp, []rotate.Config{
			{Size: 99999, Num: 10, Compression: rotate.Zstd, TotalSize: 1000000, MaxAge: time.Hour},
			{Size: 99999, Num: 10, Compression: rotate.Gzip, TotalSize: 1000000, MaxAge: 30 * time.Minute},
			{Size: 99999, Num: 10, TotalSize: 1000000, MaxAge: 30 * time.Minute},
		}},
		{"no dot slash is not a dir", []string{"t", "logdir"}, TAI64N, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.args)
			if s.Stamp != tc.stamp {
				t.Errorf("ParseScript(%q).Stamp = %v, want %v", tc.args, s.Stamp, tc.stamp)
			}
			dirs := s.Logdirs()
			if len(dirs) != len(tc.dirs) {
				t.Fatalf("ParseScript(%q) has %d logdirs, want %d", tc.args, len(dirs), len(tc.dirs))
			}
			for i, d := range dirs {
				if d.Logdir.Size != tc.dirs[i].Size || d.Logdir.Num != tc.dirs[i].Num ||
					d.Logdir.Processor != tc.dirs[i].Processor || d.Logdir.Compression != tc.dirs[i].Compression ||
					d.Logdir.TotalSize != tc.dirs[i].TotalSize || d.Logdir.MaxAge != tc.dirs[i].MaxAge {
					t.Errorf("ParseScript(%q) logdir %d = %+v, want %+v", tc.args, i, d.Logdir, tc.dirs[i])
				}
			}
		})
	}
}

// TestParseScriptRefuses: a malformed size or age in one of mlog's own
// actions refuses the whole script, where reading it as daemontools reads
// numbers would prune history (m500X as 500 bytes) or make tiny files.
func TestParseScriptRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"t", "s4096", "n100", "m500X", "./d"},
		{"m", "./d"},
		{"m500MB", "./d"},
		{"m1.5G", "./d"},
		{"m-1", "./d"},
		{"m 500M", "./d"},
		{"m99999999999999999999", "./d"},
		{"m8388608T", "./d"}, // 2^63: past what a size holds
		{"c", "./d"},
		{"c1MiB", "./d"},
		{"c16777215x", "./d"},
		{"count", "./d"}, // a word read as c0 was a 4096-byte current
		{"a", "./d"},
		{"a1w", "./d"},
		{"a30min", "./d"},
		{"a99999999999999999999", "./d"},
		{"./d", "maxsize"}, // refused even after the last logdir
	} {
		s, err := ParseScript(args)
		var se *ScriptError
		if !errors.As(err, &se) || s != nil {
			t.Errorf("ParseScript(%q) = %v, %v; want a *ScriptError", args, s, err)
			continue
		}
		if !strings.Contains(err.Error(), se.Action) {
			t.Errorf("ParseScript(%q): %q does not name the action", args, err)
		}
	}
}

// mustParse parses a script the test knows is good.
func mustParse(tb testing.TB, args []string) *Script {
	tb.Helper()
	s, err := ParseScript(args)
	if err != nil {
		tb.Fatalf("ParseScript(%q): %v", args, err)
	}
	return s
}

func FuzzParseScript(f *testing.F) {
	f.Add("t", "s4096", "./d")
	f.Add("-*", "+* error *", "/var/log/x")
	f.Add("a1h", "z", "m100")
	f.Add("c1M", "m500M", "a30m")
	f.Add("s500M", "n5k", "m500X")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		s, err := ParseScript([]string{a, b, c})
		if err != nil {
			return
		}
		if len(s.Actions) != 3 {
			t.Fatalf("%d actions for 3 arguments", len(s.Actions))
		}
		for _, d := range s.Logdirs() {
			if d.Logdir.Size < minSize || d.Logdir.Size > maxBigSize || d.Logdir.Num < minNum || d.Logdir.MaxAge < 0 {
				t.Fatalf("out-of-range settings %+v", d.Logdir)
			}
		}
	})
}
