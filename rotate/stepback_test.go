package rotate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/tai64"
)

func TestArchiveStamp(t *testing.T) {
	at := func(sec int64, nsec int32) tai64.Time { return tai64.FromUnix(1767225600+sec, nsec) }
	tests := []struct {
		name              string
		now, last, newest tai64.Time
		want              tai64.Time
	}{
		{"now", at(10, 500), at(9, 500), at(8, 500), at(10, 500)},
		{"clock behind the file's last stamp", at(5, 500), at(9, 500), at(8, 500), at(9, 500)},
		{"clock behind the newest name", at(5, 500), at(4, 500), at(8, 500), at(8, 1500)},
		{"last stamp is the newest name", at(5, 500), at(8, 500), at(8, 500), at(8, 1500)},
		{"carry into the seconds", at(5, 500), tai64.Time{}, at(8, 999999500), at(9, 500)},
		{"no archives, no stamps", at(5, 500), tai64.Time{}, tai64.Time{}, at(5, 500)},
	}
	for _, tc := range tests {
		if got := archiveStamp(tc.now, tc.last, tc.newest); got != tc.want {
			t.Errorf("%s: archiveStamp(%v, %v, %v) = %v, want %v", tc.name, tc.now, tc.last, tc.newest, got, tc.want)
		}
	}
}

// TestLastStamp: the last line that starts with a stamp is found whatever
// its length and wherever the reads cut the file.
func TestLastStamp(t *testing.T) {
	t1 := tai64.Stamp(time.Unix(1767225600, 123456789))
	t2 := tai64.Stamp(time.Unix(1767229200, 987654321))
	label := func(t tai64.Time) string { return t.String() }
	iso := func(t tai64.Time) string { return t.Time().UTC().Format("2006-01-02T15:04:05.000000Z") }
	long := strings.Repeat("y", 3*tailChunk)
	tests := []struct {
		name string
		data string
		want tai64.Time
	}{
		{"empty", "", tai64.Time{}},
		{"no stamps", "a\nb\n", tai64.Time{}},
		{"one line", label(t1) + " a\n", t1},
		{"the last of two", label(t1) + " a\n" + label(t2) + " b\n", t2},
		{"partial last line", label(t1) + " a\n" + label(t2) + " b", t2},
		{"unstamped lines after", label(t2) + " a\nplain\n" + long + "\nplain\n", t2},
		{"a long stamped line last", label(t1) + " a\n" + label(t2) + " " + long + "\n", t2},
		{"a stamp not at a line start", label(t1) + " a\nx" + label(t2) + "\n", t1},
		{"no stamp in the last MiB", label(t1) + " a\n" + strings.Repeat("plain line\n", tailMax/11+1), tai64.Time{}},
		{"iso", iso(t1) + " a\n" + iso(t2) + " b\n", t2},
		{"iso then label", iso(t2) + " a\n" + label(t1) + " b\n", t1},
		{"cut iso", label(t1) + " a\n" + iso(t2)[:20] + "\n", t1},
	}
	for _, tc := range tests {
		for _, pad := range []int{0, 1, tailChunk - 30, tailChunk - 1, tailChunk, 2*tailChunk + 7} {
			// Padding before moves every line start across the read
			// boundaries.
			data := strings.Repeat("p", pad) + "\n" + tc.data
			if got := lastStamp(strings.NewReader(data), int64(len(data))); got != tc.want {
				t.Errorf("%s, %d bytes before: lastStamp = %v, want %v", tc.name, pad, got, tc.want)
			}
		}
		if got := lastStamp(strings.NewReader(tc.data), int64(len(tc.data))); got != tc.want {
			t.Errorf("%s: lastStamp = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestStampRotates: a line stamped earlier than current's last stamp
// starts a new current; the archive is named at or after its last stamp
// though the clock says earlier; and a logdir reopened after a step back
// knows current's last stamp.
func TestStampRotates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	now := time.Unix(1767225600, 0)
	cfg := Config{Now: func() time.Time { return now }}
	write := func(d *Dir, at time.Time, text string) {
		st := tai64.Stamp(at)
		d.Stamp(st)
		d.WritePair([]byte(st.String()+" "), []byte(text+"\n"))
	}
	d, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	write(d, now, "one")
	write(d, now.Add(time.Hour), "two") // an hour ahead: the clock will step back
	write(d, now.Add(time.Hour), "three")
	if n := d.Rotations(); n != 0 {
		t.Fatalf("%d rotations with stamps in order", n)
	}
	write(d, now.Add(time.Minute), "four") // back 59 minutes
	if n := d.Rotations(); n != 1 {
		t.Fatalf("%d rotations after a step back, want 1", n)
	}
	d.Close()
	as, err := Archives(dir)
	if err != nil || len(as) != 1 {
		t.Fatalf("archives %v, %v; want one", as, err)
	}
	if want := tai64.Stamp(now.Add(time.Hour)); as[0].Stamp.Before(want) {
		t.Errorf("archive %s named before its last stamp %v (clock %v)", as[0].Name, want, now)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "current"))
	if !bytes.HasSuffix(b, []byte(" four\n")) || bytes.Contains(b, []byte("three")) {
		t.Errorf("current = %q, want only the line after the step back", b)
	}

	// Reopened: current's last stamp is read back, so a step back at the
	// first line rotates too.
	d, err = Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	write(d, now, "five")
	if n := d.Rotations(); n != 1 {
		t.Errorf("%d rotations after a step back across a restart, want 1", n)
	}
	write(d, now.Add(2*time.Hour), "six")
	d.Close()
	as, _ = Archives(dir)
	if len(as) != 2 || as[1].Name <= as[0].Name {
		t.Fatalf("archives %v, want two in written order", as)
	}

	// A crash (current not finished) with the clock back a day: the .u
	// that Open makes of current is named after current's last stamp.
	if err := os.Chmod(filepath.Join(dir, "current"), 0o644); err != nil {
		t.Fatal(err)
	}
	now = now.Add(-24 * time.Hour)
	d, err = Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	as, _ = Archives(dir)
	if len(as) != 3 || as[2].Code != 'u' || as[2].Stamp.Before(tai64.Stamp(now.Add(26*time.Hour))) {
		t.Fatalf("archives %v, want a third, .u, named at or after its last line", as)
	}
}
