package rotate

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLayoutOrder(t *testing.T) {
	names := []string{
		Current, Lock, State, NewState, Processed, Previous,
		"@400000006923600000000000.s.zst",
		"@400000006923500000000000.s",
		"@400000006923600000000000.s",
		"@400000006923400000000000.u",
		"tmp.@400000006923600000000000.s.zst",
		"@400000006923700000000000.s.gz",
		"@4000000069235", // multilog's pruning counts it; no lines of ours
		"notes.txt",
	}
	var got []string
	for _, f := range Layout(names) {
		got = append(got, f.Name)
	}
	want := []string{
		"@400000006923400000000000.u",
		"@400000006923500000000000.s",
		"@400000006923600000000000.s", // plain before its compressed twin
		"@400000006923600000000000.s.zst",
		"@400000006923700000000000.s.gz",
		Previous, Processed, Current,
	}
	if !slices.Equal(got, want) {
		t.Errorf("Layout:\n got %q\nwant %q", got, want)
	}
	fs := Layout(names)
	if !fs[2].Twin(&fs[3]) || fs[1].Twin(&fs[2]) || fs[3].Twin(&fs[4]) {
		t.Errorf("Twin: wrong for %q %q %q %q", fs[1].Name, fs[2].Name, fs[3].Name, fs[4].Name)
	}
	if k := fs[len(fs)-1].Kind; k != KindCurrent {
		t.Errorf("current's kind = %d", k)
	}
}

func TestListAndFinished(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{Current, Processed, "@400000006923500000000000.s", Lock} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || files[0].Kind != KindArchive || files[1].Name != Processed || files[2].Name != Current {
		t.Fatalf("List = %+v", files)
	}
	st, _ := os.Stat(filepath.Join(dir, Processed))
	if Finished(st.Mode()) {
		t.Error("processed 0644 reads as finished")
	}
	os.Chmod(filepath.Join(dir, Processed), 0o744)
	st, _ = os.Stat(filepath.Join(dir, Processed))
	if !Finished(st.Mode()) || !FinishedMode(0o100744) || FinishedMode(0o100644) {
		t.Error("processed 0744 does not read as finished")
	}
}

// TestUnread: the files a reader skips so that each line is read once,
// for each state a rotation or a crash can leave previous and processed
// in (see the package doc).
func TestUnread(t *testing.T) {
	arch := func(ino uint64) Copy { return Copy{Kind: KindArchive, Open: true, Dev: 1, Ino: ino} }
	old := Copy{Kind: KindArchive} // before the range: not opened, stat gives 1/5
	prev := func(ino uint64) Copy { return Copy{Kind: KindPrevious, Open: true, Dev: 1, Ino: ino} }
	proc := func(ino uint64) Copy { return Copy{Kind: KindProcessed, Open: true, Dev: 1, Ino: ino} }
	cur := Copy{Kind: KindCurrent, Open: true, Dev: 1, Ino: 99}
	for _, tc := range []struct {
		name  string
		files []Copy
		want  []bool
	}{
		{"current only", []Copy{cur}, []bool{false}},
		{"archives and current", []Copy{arch(2), arch(3), cur}, []bool{false, false, false}},
		{"processor running: previous", []Copy{arch(2), prev(7), cur}, []bool{false, false, false}},
		{"processed finished, previous not yet unlinked", []Copy{arch(2), prev(7), proc(8), cur}, []bool{false, false, true, false}},
		{"processed alone", []Copy{arch(2), proc(8), cur}, []bool{false, false, false}},
		{"processed linked, not yet unlinked", []Copy{arch(2), arch(8), proc(8), cur}, []bool{false, false, true, false}},
		{"previous linked by recovery, not yet unlinked", []Copy{arch(7), prev(7), cur}, []bool{false, true, false}},
		{"processed the same inode as an archive not opened", []Copy{old, proc(5), cur}, []bool{false, true, false}},
		{"an archive not opened and gone", []Copy{{Kind: KindArchive}, proc(5), cur}, []bool{false, false, false}},
		{"processed not opened (unfinished)", []Copy{prev(7), {Kind: KindProcessed}, cur}, []bool{false, false, false}},
		{"another device", []Copy{{Kind: KindArchive, Open: true, Dev: 2, Ino: 8}, proc(8)}, []bool{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stats := 0
			stat := func(i int) (dev, ino uint64, ok bool) {
				stats++
				if tc.files[i].Kind != KindArchive || tc.files[i].Open {
					t.Errorf("stat(%d) of %+v: only archives not opened are statted", i, tc.files[i])
				}
				if tc.name == "an archive not opened and gone" {
					return 0, 0, false
				}
				return 1, 5, true
			}
			got := Unread(tc.files, stat)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Unread(%+v) = %v, want %v", tc.files, got, tc.want)
			}
			if stats > 1 {
				t.Errorf("stat called %d times, want at most once per archive", stats)
			}
		})
	}
}
