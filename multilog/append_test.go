package multilog_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
)

// Others writing to current (issue 13, item 9): multilog opens current
// O_APPEND, so a note an operator appends while it runs is kept, and a
// truncation (: > current, a copy-and-truncate rotation) leaves no NUL
// bytes. Ours writes through O_APPEND too, and its splice path (no t, no
// selection) holds a lease on current for each splice, so others wait for
// it to finish, and seeks to the real end first (see rotate/splice.go).
// Each case runs ours and Debian's multilog on the same sequence and
// compares current.

// appendNote appends text to file as `echo text >> file` does.
func appendNote(t *testing.T, file, text string) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.WriteString(f, text); err != nil {
		t.Fatal(err)
	}
}

func TestOthersWriteCurrent(t *testing.T) {
	for _, script := range [][]string{
		{"./d"},      // ours splices
		{"t", "./d"}, // ours writes
		{"-x*", "./d"},
	} {
		for _, prog := range progs(t) {
			t.Run(strings.Join(script, " ")+"/"+name(prog), func(t *testing.T) {
				s := startMultilog(t, prog, script...)
				current := filepath.Join(s.dir, "d", "current")
				send := func(line string) {
					t.Helper()
					io.WriteString(s.stdin, line)
					testkit.WaitFor(t, fmt.Sprintf("%q in current", line), func() bool { return strings.HasSuffix(s.read("d/current"), line) })
				}
				send("one\n")
				appendNote(t, current, "OPERATOR NOTE\n")
				send("two\n")
				if got, want := unstamp(s.read("d/current")), "one\nOPERATOR NOTE\ntwo\n"; got != want {
					t.Errorf("after a note: current = %q, want %q", got, want)
				}
				if err := os.Truncate(current, 0); err != nil {
					t.Fatal(err)
				}
				send("three\n")
				appendNote(t, current, "NOTE 2\n")
				send("four\n")
				if err := os.Truncate(current, 0); err != nil {
					t.Fatal(err)
				}
				s.stdin.Close()
				if code := s.wait(t); code != 0 {
					t.Fatalf("exit %d: %s", code, s.stderrText())
				}
				if got := s.read("d/current"); got != "" {
					t.Errorf("at exit: current = %q, want it empty", got)
				}
			})
		}
	}
}

// TestOthersWriteCurrentSplicing: the same while ours splices a stream:
// between bursts, notes and truncations land; every line sent and every
// note is found once, and current holds no NUL byte.
func TestOthersWriteCurrentSplicing(t *testing.T) {
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			s := startMultilog(t, prog, "s16777215", "./d")
			current := filepath.Join(s.dir, "d", "current")
			var want strings.Builder
			n := 0
			burst := func() {
				t.Helper()
				var b strings.Builder
				for k := 0; k < 2000; k++ {
					fmt.Fprintf(&b, "line %05d 0123456789012345678901234567890\n", n)
					n++
				}
				io.WriteString(s.stdin, b.String())
				want.WriteString(b.String())
				last := fmt.Sprintf("line %05d ", n-1)
				testkit.WaitFor(t, "the burst in current", func() bool { return strings.Contains(s.read("d/current"), last) })
			}
			burst()
			appendNote(t, current, "OPERATOR NOTE\n")
			want.WriteString("OPERATOR NOTE\n")
			burst()
			burst()
			if got := s.read("d/current"); got != want.String() {
				t.Errorf("current (%d bytes) is not the lines and the note in order (%d bytes)", len(got), want.Len())
			}
			os.Truncate(current, 0)
			want.Reset()
			burst()
			appendNote(t, current, "NOTE 2\n")
			want.WriteString("NOTE 2\n")
			burst()
			s.stdin.Close()
			if code := s.wait(t); code != 0 {
				t.Fatalf("exit %d: %s", code, s.stderrText())
			}
			got := s.read("d/current")
			if strings.IndexByte(got, 0) >= 0 {
				t.Errorf("current holds NUL bytes (%d of %d)", strings.Count(got, "\x00"), len(got))
			}
			if got != want.String() {
				t.Errorf("current (%d bytes) is not what was sent after the truncation, with the note (%d bytes)", len(got), want.Len())
			}
		})
	}
}

// TestOthersBytesDoNotCount: s follows what multilog itself wrote, as
// daemontools' d->bytes does: an operator's note does not bring the
// rotation forward, and a truncation does not put it back. With 100-byte
// lines written one at a time, s4096 rotates after the 21st (2100 bytes
// reach the cut window at 2096), whatever others did to the file between.
func TestOthersBytesDoNotCount(t *testing.T) {
	line := func(i int) string { return fmt.Sprintf("line %03d %s\n", i, strings.Repeat("x", 90)) }
	for _, prog := range progs(t) {
		t.Run(name(prog), func(t *testing.T) {
			s := startMultilog(t, prog, "s4096", "./d")
			d := filepath.Join(s.dir, "d")
			all := func() string {
				names, _ := filepath.Glob(filepath.Join(d, "@*"))
				var b strings.Builder
				for _, n := range append(names, filepath.Join(d, "current")) {
					c, _ := os.ReadFile(n)
					b.Write(c)
				}
				return b.String()
			}
			send := func(from, to int) {
				t.Helper()
				for i := from; i <= to; i++ {
					io.WriteString(s.stdin, line(i))
					testkit.WaitFor(t, fmt.Sprintf("line %d", i), func() bool { return strings.Contains(all(), line(i)) })
				}
			}
			send(1, 5)
			appendNote(t, filepath.Join(d, "current"), strings.Repeat("NOTE ", 600)+"\n")
			send(6, 10)
			if err := os.Truncate(filepath.Join(d, "current"), 0); err != nil {
				t.Fatal(err)
			}
			send(11, 21)
			var names []string
			testkit.WaitFor(t, "the rotation after line 21", func() bool {
				names, _ = filepath.Glob(filepath.Join(d, "@*"))
				return len(names) > 0 && s.read("d/current") == ""
			})
			// Ours names it .u until the finisher has it on disk.
			testkit.WaitFor(t, "the archive finished", func() bool {
				names, _ = filepath.Glob(filepath.Join(d, "@*.s"))
				return len(names) > 0
			})
			var want strings.Builder
			for i := 11; i <= 21; i++ {
				want.WriteString(line(i))
			}
			if len(names) != 1 {
				t.Fatalf("%d archives after line 21, want 1", len(names))
			}
			if got, _ := os.ReadFile(names[0]); string(got) != want.String() {
				t.Errorf("the archive holds %d bytes, want lines 11..21 (%d bytes)", len(got), want.Len())
			}
			if got := s.read("d/current"); got != "" {
				t.Errorf("current = %q after the rotation, want it empty", got)
			}
			s.stdin.Close()
			s.wait(t)
		})
	}
}

var stampedLine = regexp.MustCompile(`(?m)^@[0-9a-f]{24} `)

// unstamp removes t's stamps from the start of each line.
func unstamp(s string) string {
	return stampedLine.ReplaceAllString(s, "")
}
