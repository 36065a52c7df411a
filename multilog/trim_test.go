package multilog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// TestTrimWhileBusy: Config.Trim runs after the trimFirst-th chunk and then
// each time the count doubles, and logging goes on unchanged.
func TestTrimWhileBusy(t *testing.T) {
	input := bytes.Repeat([]byte("abcdefghi\n"), 4*trimFirst/10+1) // one chunk per byte below
	dir := filepath.Join(t.TempDir(), "d")
	calls := 0
	l, err := Open(Config{Script: mustParse(t, []string{dir}), Stdin: iotest.OneByteReader(bytes.NewReader(input)), Trim: func() { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	l.Run()
	if want := 3; calls != want { // after chunks trimFirst, 2*trimFirst, 4*trimFirst
		t.Errorf("Trim ran %d times over %d chunks, want %d", calls, len(input), want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "current")); !bytes.Equal(b, input) {
		t.Errorf("current holds %d bytes, want the %d of the input", len(b), len(input))
	}
}
