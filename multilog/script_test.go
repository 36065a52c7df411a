package multilog

import (
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
		{"s clamps high", []string{"s999999999", "./d"}, NoStamp, []rotate.Config{{Size: 16777215, Num: 10}}},
		{"s junk is 0", []string{"something", "./d"}, NoStamp, []rotate.Config{{Size: 4096, Num: 10}}},
		{"c lifts the ceiling", []string{"c104857600", "./d"}, NoStamp, []rotate.Config{{Size: 104857600, Num: 10}}},
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
			s := ParseScript(tc.args)
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

func FuzzParseScript(f *testing.F) {
	f.Add("t", "s4096", "./d")
	f.Add("-*", "+* error *", "/var/log/x")
	f.Add("a1h", "z", "m100")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		s := ParseScript([]string{a, b, c})
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
