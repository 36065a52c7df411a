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
