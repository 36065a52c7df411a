package rotate

import (
	"testing"

	"github.com/mlog/mlog/tai64"
)

func TestParseArchiveName(t *testing.T) {
	stamp := tai64.Time{Sec: 0x400000006b04c828, Nsec: 0x31075a7c}
	tests := []struct {
		name string
		ok   bool
		code byte
		c    Compression
	}{
		{"@400000006b04c82831075a7c.s", true, 's', None},
		{"@400000006b04c82831075a7c.u", true, 'u', None},
		{"@400000006b04c82831075a7c.s.zst", true, 's', Zstd},
		{"@400000006b04c82831075a7c.s.gz", true, 's', Gzip},
		{"@400000006b04c82831075a7c.u.gz", false, 0, None},
		{"@400000006b04c82831075a7c.x", false, 0, None},
		{"@400000006b04c82831075a7c.s.bz2", false, 0, None},
		{"@400000006b04c82831075a7c", false, 0, None},
		{"@400000006b04c82831075a7.s", false, 0, None},
		{"@40000000xb04c82831075a7c.s", false, 0, None},
		{"@400000006B04C82831075A7C.s", false, 0, None},
		{"current", false, 0, None},
		{"tmp.@400000006b04c82831075a7c.s.zst", false, 0, None},
	}
	for _, tc := range tests {
		a, ok := ParseArchiveName(tc.name)
		if ok != tc.ok || ok && (a.Code != tc.code || a.Compression != tc.c || a.Stamp != stamp || a.Name != tc.name) {
			t.Errorf("ParseArchiveName(%q) = %+v, %v; want code %c, %v, %v", tc.name, a, ok, tc.code, tc.c, tc.ok)
		}
	}
	if got := ArchiveName(stamp, 's'); got != "@400000006b04c82831075a7c.s" {
		t.Errorf("ArchiveName = %q", got)
	}
}

func FuzzParseArchiveName(f *testing.F) {
	f.Add("@400000006b04c82831075a7c.s")
	f.Add("@400000006b04c82831075a7c.s.zst")
	f.Add("@400000006b04c82831075a7c.u")
	f.Fuzz(func(t *testing.T, name string) {
		a, ok := ParseArchiveName(name)
		if !ok {
			return
		}
		// A parsed name is rebuilt exactly from its parts.
		if got := ArchiveName(a.Stamp, a.Code) + a.Compression.Ext(); got != name {
			t.Errorf("ParseArchiveName(%q) rebuilt as %q", name, got)
		}
		if !countsForPruning(name) {
			t.Errorf("archive %q not counted for pruning", name)
		}
	})
}
