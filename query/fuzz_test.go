package query

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlog/mlog/tai64"
)

// FuzzSearch builds a logdir from the fuzzer's bytes, one line per byte
// (its value is the stamp's offset in seconds; 0xff makes a line without a
// label), split into archives at 0xfe, and checks a range query against
// the full scan: equal when the stamps are in order, and otherwise at
// least never a line out of range or twice.
func FuzzSearch(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, uint8(3), uint8(7))
	f.Add([]byte{1, 1, 1, 0xff, 2, 2, 0xfe, 3, 3, 0xff, 4}, uint8(2), uint8(3))
	f.Add([]byte{9, 8, 7, 0xfe, 1, 2, 3}, uint8(0), uint8(255))
	f.Add([]byte{0xff, 0xff, 5, 0xff}, uint8(5), uint8(6))
	f.Fuzz(func(t *testing.T, data []byte, since, until uint8) {
		defer func(n int64) { bisectMin = n }(bisectMin)
		bisectMin = 64
		if len(data) > 2000 {
			return
		}
		dir := t.TempDir()
		stamp := func(v byte) tai64.Time { return tai64.FromUnix(1767225600+int64(v), 500) }
		var file bytes.Buffer
		var last byte
		ordered := true
		seen := false
		archive := 0
		flush := func(name string) {
			if err := os.WriteFile(filepath.Join(dir, name), file.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			file.Reset()
		}
		for i, v := range data {
			switch v {
			case 0xff:
				fmt.Fprintf(&file, "unstamped %d\n", i)
			case 0xfe:
				// The archive is named at its last stamp, as multilog names it.
				archive++
				flush(fmt.Sprintf("%s.s", tai64.Time{Sec: stamp(last).Sec, Nsec: 500 + uint32(archive)}))
			default:
				if seen && v < last {
					ordered = false
				}
				seen, last = true, v
				fmt.Fprintf(&file, "%s line %d %s\n", stamp(v), i, strings.Repeat("x", int(v)%40))
			}
		}
		flush("current")
		cfg := Config{Since: stamp(since), Until: stamp(until)}
		if !cfg.Since.Before(cfg.Until) {
			return
		}
		want := bruteMerge([]string{dir}, [][]bruteLine{bruteForce(t, dir, cfg.Since, cfg.Until)}, false)
		got := runQuery(t, cfg, []string{dir})
		if ordered && got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		left := map[string]int{}
		for _, l := range strings.SplitAfter(want, "\n") {
			left[l]++
		}
		for _, l := range strings.SplitAfter(got, "\n") {
			if left[l] == 0 {
				t.Fatalf("line %q printed but not in range, or twice", l)
			}
			left[l]--
		}
		cfg.Scan = true
		if got := runQuery(t, cfg, []string{dir}); got != want {
			t.Fatalf("scan: got %q, want %q", got, want)
		}
	})
}

// FuzzCursor checks that a cursor's text never makes UnmarshalText panic
// and that what it reads writes back the same.
func FuzzCursor(f *testing.F) {
	c := Cursor{Positions: []Position{{Logdir: "./main", Dev: 2049, Ino: 1234, Offset: 99, HeadLen: 99, Head: 1 << 63, Time: tai64.FromUnix(1767225600, 500), N: 2}}}
	b, _ := c.MarshalText()
	f.Add(b)
	f.Add([]byte(cursorMagic))
	f.Add([]byte(cursorMagic + "@400000006955b90a000001f4 1 2 3 4 5 6 \"a b\"\n"))
	f.Add([]byte(cursorMagicV1 + "@400000006955b90a000001f4 1 2 3 4 \"a b\"\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		var c Cursor
		if err := c.UnmarshalText(text); err != nil {
			return
		}
		out, err := c.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var d Cursor
		if err := d.UnmarshalText(out); err != nil {
			t.Fatalf("UnmarshalText(MarshalText(%q)) = %v", text, err)
		}
		again, _ := d.MarshalText()
		if !bytes.Equal(out, again) {
			t.Fatalf("cursor text %q reads back as %q", out, again)
		}
	})
}
