package multilog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Sizes (issue 14, item 4): daemontools' own s and n read numbers exactly
// as daemontools does; mlog's own size actions read what people write, or
// refuse the script before touching anything.

// TestSizeWordsAsDaemontools: s and n keep scan_ulong's reading, checked on
// ours and Debian's multilog alike: s500M is s500 (clamped to 4096), and
// numbers past 2^64 wrap as unsigned long does. Rotation points differ by
// design (our 256 KiB writes against daemontools' 512 bytes), so what is
// compared is the rule: every archive ends within the cut window below the
// size that was read, and n keeps n-1 archives.
func TestSizeWordsAsDaemontools(t *testing.T) {
	input := lines(400, func(i int) string { return fmt.Sprintf("%099d\n", i) }) // 40000 bytes
	for _, tc := range []struct {
		args     []string
		size     int // what daemontools reads
		archives int // how many it keeps; 0: not checked
	}{
		{[]string{"s500M", "n100", "./d"}, 4096, 0},
		{[]string{"s18446744073709556712", "n100", "./d"}, 5096, 0}, // 2^64 + 5096
		{[]string{"s5000x", "n100", "./d"}, 5000, 0},
		{[]string{"n18446744073709551619", "s4096", "./d"}, 4096, 2}, // n wraps to 3
		{[]string{"n3k", "s4096", "./d"}, 4096, 2},
	} {
		for _, prog := range progs(t) {
			t.Run(strings.Join(tc.args, " ")+"/"+name(prog), func(t *testing.T) {
				dir := t.TempDir()
				res := runMultilog(t, prog, dir, tc.args, input)
				if res.code != 0 {
					t.Fatalf("exit %d: %s", res.code, res.stderr)
				}
				archives := archivesIn(t, filepath.Join(dir, "d"))
				n := len(archives)
				for _, a := range archives {
					if l := int(a.size); l > tc.size || l < tc.size-2000 {
						t.Errorf("%s holds %d bytes, want %d..%d", a.name, l, tc.size-2000, tc.size)
					}
				}
				if n == 0 {
					t.Errorf("no archive: the size read was not %d", tc.size)
				}
				if tc.archives > 0 && n != tc.archives {
					t.Errorf("%d archives kept, want %d", n, tc.archives)
				}
			})
		}
	}
}

// TestWrongSizeKeepsHistory: a logdir with history, and a script whose
// mlog size action is malformed (m500X), or written as people write it
// (m500M). The first is refused with exit 100 before anything is touched;
// the second is 500 MiB and prunes nothing. (m500M read as 500 bytes once
// kept one archive and deleted the rest.)
func TestWrongSizeKeepsHistory(t *testing.T) {
	history := func(t *testing.T) string {
		dir := t.TempDir()
		d := filepath.Join(dir, "d")
		if err := os.Mkdir(d, 0700); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 5; i++ {
			name := fmt.Sprintf("@40000000690000000000000%d.s", i)
			if err := os.WriteFile(filepath.Join(d, name), lines(30, func(j int) string { return fmt.Sprintf("old %d %d\n", i, j) }), 0744); err != nil {
				t.Fatal(err)
			}
		}
		os.WriteFile(filepath.Join(d, "current"), []byte("last line\n"), 0744)
		return dir
	}

	t.Run("m500X refused", func(t *testing.T) {
		dir := history(t)
		before := readTree(t, dir)
		res := runMultilog(t, "", dir, []string{"t", "s4096", "n100", "m500X", "./d"}, []byte("new\n"))
		if res.code != 100 {
			t.Errorf("exit %d, want 100 (usage)", res.code)
		}
		if want := "multilog: usage: bad action m500X: "; !strings.HasPrefix(res.stderr, want) {
			t.Errorf("stderr %q, want it to start %q", res.stderr, want)
		}
		if got, want := describeTree(res.tree), describeTree(before); got != want {
			t.Errorf("the logdir changed:\n%s\nwas:\n%s", got, want)
		}
	})
	for _, m := range []string{"m500M", "m500m", "m1G"} {
		t.Run(m+" keeps history", func(t *testing.T) {
			dir := history(t)
			// 40 KB: rotations, each of which prunes to the cap.
			res := runMultilog(t, "", dir, []string{"t", "s4096", "n100", m, "./d"}, lines(1000, func(i int) string { return fmt.Sprintf("new %d\n", i) }))
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			have := map[string]bool{}
			for _, a := range archivesIn(t, filepath.Join(dir, "d")) {
				have[a.name] = true
			}
			for i := 1; i <= 5; i++ {
				if name := fmt.Sprintf("@40000000690000000000000%d.s", i); !have[name] {
					t.Errorf("%s pruned", name)
				}
			}
		})
	}
}

type archive struct {
	name string
	size int64
}

// archivesIn lists the archives in logdir d.
func archivesIn(t *testing.T, d string) []archive {
	t.Helper()
	var as []archive
	for _, name := range archiveNames(t, d) {
		st, err := os.Stat(filepath.Join(d, name))
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, archive{name, st.Size()})
	}
	return as
}
