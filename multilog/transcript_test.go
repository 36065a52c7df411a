package multilog_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
)

// realMultilog returns Debian's multilog, skipping the test when it is
// missing (and failing when CI is set: CI installs daemontools).
func realMultilog(t *testing.T) string {
	t.Helper()
	return testkit.NeedPeer(t, "/usr/bin/multilog", "daemontools")
}

// result is what one multilog run left: exit code, stderr and the tree.
type result struct {
	code   int
	stderr string
	tree   map[string]fileInfo // path (stamps masked) -> info
}

type fileInfo struct {
	mode os.FileMode
	data string
}

var stampRE = regexp.MustCompile(`@[0-9a-f]{24}`)

func mask(s string) string { return stampRE.ReplaceAllString(s, "@xxxxxxxxxxxxxxxxxxxxxxxx") }

// multilogCommand runs prog, or ours (this test binary, through TestMain)
// when prog is "".
func multilogCommand(prog string, args []string) *exec.Cmd {
	if prog != "" {
		return exec.Command(prog, args...)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MLOG_TEST_PROG=multilog")
	return cmd
}

// runMultilog runs prog (the real one, or ours via TestMain when prog is
// "") in dir with args and input.
func runMultilog(t *testing.T, prog, dir string, args []string, input []byte) result {
	t.Helper()
	cmd := multilogCommand(prog, args)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{code: code, stderr: mask(stderr.String()), tree: readTree(t, dir)}
}

func readTree(t *testing.T, root string) map[string]fileInfo {
	tree := map[string]fileInfo{}
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		st, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		fi := fileInfo{mode: st.Mode()}
		if st.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			fi.data = mask(string(b))
		}
		tree[mask(rel)] = fi
		return nil
	})
	return tree
}

func describeTree(tree map[string]fileInfo) string {
	var names []string
	for n := range tree {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fi := tree[n]
		fmt.Fprintf(&b, "%s %v %q\n", n, fi.mode, fi.data)
	}
	return b.String()
}

func lines(n int, f func(i int) string) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(f(i))
	}
	return b.Bytes()
}

// TestTranscript runs each script through daemontools' multilog and ours on
// the same input and compares exit codes, stderr and the resulting trees
// (names, modes, contents) with stamps masked.
func TestTranscript(t *testing.T) {
	real := realMultilog(t)
	long := strings.Repeat("X", 1200)
	cases := []struct {
		name  string
		args  []string
		input string
	}{
		{"no actions", nil, "one\ntwo\n"},
		{"plain dir", []string{"./d"}, "one\ntwo\nthree\n"},
		{"stamped dir", []string{"t", "./d"}, "one\n\ntwo\n"},
		{"partial last line", []string{"t", "./d"}, "one\ntwo"},
		{"partial last line no t", []string{"./d"}, "one\ntwo"},
		{"empty input", []string{"t", "./d"}, ""},
		{"e", []string{"e"}, "a\nb\n"},
		{"t e", []string{"t", "e"}, "a\nb\n"},
		{"e 199 200 201", []string{"e"}, strings.Repeat("a", 199) + "\n" + strings.Repeat("b", 200) + "\n" + strings.Repeat("c", 201) + "\n"},
		{"e long", []string{"t", "e", "./d"}, long + "\n"},
		{"t not first", []string{"e", "t", "./d"}, "x\n"},
		{"deselect all", []string{"-*", "./d"}, "a\nb\n"},
		{"plus literal", []string{"-*", "+b", "./d"}, "a\nb\nbb\n"},
		{"two dirs", []string{"t", "./all", "-*", "+* error *", "./err"}, "ok line\nan error here\nno error\n"},
		{"first 1000 bytes only", []string{"-*END", "./d"}, long + "END\n" + "shortEND\n"},
		{"exactly 999 1000 1001", []string{"-*Z", "./d"}, strings.Repeat("a", 998) + "Z\n" + strings.Repeat("b", 999) + "Z\n" + strings.Repeat("c", 1000) + "Z\n"},
		{"stamp counts in 1000", []string{"t", "-*Z", "./d"}, strings.Repeat("a", 972) + "Z\n" + strings.Repeat("b", 973) + "Z\n" + strings.Repeat("c", 974) + "Z\n"},
		{"star rule", []string{"-*pid*", "./d"}, "tcpsvd: info: pid 1977\n"},
		{"star rule 2", []string{"-named[*]: Cleaned cache *", "./d"}, "named[135]: Cleaned cache of 3121 RRs\n"},
		{"fatal pattern with t", []string{"t", "-*", "+* fatal: *", "./d"}, "x fatal: y\nplain\n"},
		{"status file", []string{"=st"}, "one\ntwo\n"},
		{"status long", []string{"t", "=st"}, long + "\n"},
		{"status selected", []string{"-*", "+k*", "=st", "./d"}, "kept\nnot\n"},
		{"unknown actions", []string{"foo", "N5", "E", "x", "./d"}, "a\n"},
		{"no dot slash", []string{"t", "logdir"}, "a\n"},
		{"nul bytes", []string{"t", "./d"}, "a\x00b\n\x00\n"},
		{"crlf", []string{"t", "-*\r", "./d"}, "a\r\nb\n"},
		{"s junk", []string{"something", "./d"}, "a\n"},
		{"n junk", []string{"n", "./d"}, "a\n"},
		{"long lines to dir", []string{"t", "./d"}, long + "\n" + long + long + "\n"},
		{"missing parent", []string{"./no/such/dir"}, "a\n"},
		{"status in missing dir", []string{"=no/such/file"}, "a\n"},
		{"trailing slash", []string{"./d/"}, "a\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rdir, odir := t.TempDir(), t.TempDir()
			want := runMultilog(t, real, rdir, tc.args, []byte(tc.input))
			got := runMultilog(t, "", odir, tc.args, []byte(tc.input))
			if got.code != want.code {
				t.Errorf("exit %d, want %d", got.code, want.code)
			}
			if got.stderr != want.stderr {
				t.Errorf("stderr:\n%q\nwant:\n%q", got.stderr, want.stderr)
			}
			if g, w := describeTree(got.tree), describeTree(want.tree); g != w {
				t.Errorf("tree:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

// TestTranscriptRotation compares rotation with small sizes. Archive sizes
// may differ from daemontools' (its 512-byte chunks decide where it cuts),
// so it compares what must agree: the bytes in order across all files, how
// many archives are kept, their modes, and that each ends on a newline
// within [s-2000, s] unless a line was cut hard at s.
func TestTranscriptRotation(t *testing.T) {
	real := realMultilog(t)
	cases := []struct {
		name  string
		args  []string
		size  int
		input []byte
	}{
		{"s4096 n3", []string{"t", "s4096", "n3", "./d"}, 4096, lines(300, func(i int) string { return fmt.Sprintf("line %d of the log with some text\n", i) })},
		{"s4096 n5 no t", []string{"s4096", "n5", "./d"}, 4096, lines(500, func(i int) string { return fmt.Sprintf("line %d\n", i) })},
		{"hard cut", []string{"s4096", "n10", "./d"}, 4096, []byte(strings.Repeat("y", 5000) + "\nshort\n")},
		{"s clamped low", []string{"s100", "n4", "./d"}, 4096, lines(200, func(i int) string { return fmt.Sprintf("%060d\n", i) })},
		{"n1 means 2", []string{"s4096", "n1", "./d"}, 4096, lines(400, func(i int) string { return fmt.Sprintf("%040d\n", i) })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rdir, odir := t.TempDir(), t.TempDir()
			want := runMultilog(t, real, rdir, tc.args, tc.input)
			got := runMultilog(t, "", odir, tc.args, tc.input)
			if got.code != want.code || got.stderr != want.stderr {
				t.Fatalf("exit %d stderr %q, want %d %q", got.code, got.stderr, want.code, want.stderr)
			}
			ga, gc := archives(t, filepath.Join(odir, "d"))
			wa, wc := archives(t, filepath.Join(rdir, "d"))
			if len(ga) != len(wa) {
				t.Errorf("%d archives kept, want %d", len(ga), len(wa))
			}
			// The newest archives and current hold the newest bytes: compare
			// the tail both kept.
			g, w := strings.Join(ga, "")+gc, strings.Join(wa, "")+wc
			n := min(len(g), len(w))
			if g[len(g)-n:] != w[len(w)-n:] {
				t.Errorf("contents differ in the last %d bytes", n)
			}
			for _, a := range ga {
				if len(a) > tc.size || len(a) < tc.size-2000 && !strings.HasSuffix(a, "\n") {
					t.Errorf("archive of %d bytes, want within [%d, %d]", len(a), tc.size-2000, tc.size)
				}
				if !strings.HasSuffix(a, "\n") && len(a) != tc.size {
					t.Errorf("archive of %d bytes without final newline not cut at s", len(a))
				}
			}
			if gm, wm := modes(t, filepath.Join(odir, "d")), modes(t, filepath.Join(rdir, "d")); gm != wm {
				t.Errorf("modes %s, want %s", gm, wm)
			}
		})
	}
}

// archives returns the archives' contents and current's in logdir dir,
// stamps masked.
func archives(t *testing.T, dir string) ([]string, string) {
	t.Helper()
	var out []string
	for _, name := range archiveNames(t, dir) {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		out = append(out, mask(string(b)))
	}
	cur, _ := os.ReadFile(filepath.Join(dir, "current"))
	return out, mask(string(cur))
}

func modes(t *testing.T, dir string) string {
	ents, _ := os.ReadDir(dir)
	set := map[string]bool{}
	for _, e := range ents {
		st, _ := os.Lstat(filepath.Join(dir, e.Name()))
		set[mask(e.Name())+" "+st.Mode().String()] = true
	}
	var s []string
	for k := range set {
		s = append(s, k)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// TestTranscriptRestart compares the start-up recovery: a clean stop is
// appended to; a crashed current (644) becomes a .u archive and state is
// reset; a lock held by another process is fatal.
func TestTranscriptRestart(t *testing.T) {
	real := realMultilog(t)
	type step func(t *testing.T, dir string)
	run := func(prog string) func(t *testing.T, dir string) result {
		return func(t *testing.T, dir string) result {
			return runMultilog(t, prog, dir, []string{"t", "./d"}, []byte("again\n"))
		}
	}
	cases := []struct {
		name  string
		setup step
	}{
		{"clean stop appends", func(t *testing.T, dir string) {}},
		{"crash makes .u", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "d", "current"), 0644)
			os.WriteFile(filepath.Join(dir, "d", "state"), []byte("old state\n"), 0644)
		}},
		{"crash with previous", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "d", "current"), 0644)
			os.WriteFile(filepath.Join(dir, "d", "previous"), []byte("prev\n"), 0744)
			os.WriteFile(filepath.Join(dir, "d", "processed"), []byte("half\n"), 0644)
		}},
		{"crash with processed done", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "d", "current"), 0644)
			os.WriteFile(filepath.Join(dir, "d", "previous"), []byte("prev\n"), 0744)
			os.WriteFile(filepath.Join(dir, "d", "processed"), []byte("done\n"), 0744)
			os.WriteFile(filepath.Join(dir, "d", "newstate"), []byte("ns\n"), 0644)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var res [2]result
			for i, prog := range []string{real, ""} {
				dir := t.TempDir()
				runMultilog(t, real, dir, []string{"t", "./d"}, []byte("first\n"))
				tc.setup(t, dir)
				res[i] = run(prog)(t, dir)
			}
			if g, w := describeTree(res[1].tree), describeTree(res[0].tree); g != w || res[1].code != res[0].code || res[1].stderr != res[0].stderr {
				t.Errorf("got exit %d %q\n%s\nwant exit %d %q\n%s", res[1].code, res[1].stderr, g, res[0].code, res[0].stderr, w)
			}
		})
	}

	t.Run("lock held", func(t *testing.T) {
		var res [2]result
		for i, prog := range []string{real, ""} {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "d"), 0700)
			f, err := os.OpenFile(filepath.Join(dir, "d", "lock"), os.O_CREATE|os.O_WRONLY, 0600)
			if err != nil {
				t.Fatal(err)
			}
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
				t.Fatal(err)
			}
			res[i] = run(prog)(t, dir)
			f.Close()
		}
		if res[1].code != res[0].code || res[1].stderr != res[0].stderr {
			t.Errorf("got exit %d %q, want %d %q", res[1].code, res[1].stderr, res[0].code, res[0].stderr)
		}
	})
}

// TestTranscriptProcessor compares a processor run at rotation, its state
// passing, and the finished archive.
func TestTranscriptProcessor(t *testing.T) {
	real := realMultilog(t)
	input := lines(300, func(i int) string { return fmt.Sprintf("line %03d aaaa\n", i) })
	args := []string{"s4096", "n20", `!sed s/a/b/g; echo run >&5; cat <&4 >&5`, "./d"}
	rdir, odir := t.TempDir(), t.TempDir()
	want := runMultilog(t, real, rdir, args, input)
	got := runMultilog(t, "", odir, args, input)
	if got.code != want.code || got.stderr != want.stderr {
		t.Fatalf("exit %d stderr %q, want %d %q", got.code, got.stderr, want.code, want.stderr)
	}
	ga, gc := archives(t, filepath.Join(odir, "d"))
	wa, wc := archives(t, filepath.Join(rdir, "d"))
	// Rotation points differ (see TestTranscriptRotation), so which lines
	// were processed differs; with the substitution undone, all agree.
	undo := func(s string) string { return strings.ReplaceAll(s, "b", "a") }
	if g, w := undo(strings.Join(ga, "")+gc), undo(strings.Join(wa, "")+wc); g != w {
		t.Errorf("processed contents differ:\n%.200q\nwant\n%.200q", g, w)
	}
	if !strings.Contains(strings.Join(ga, ""), "bbbb") {
		t.Errorf("processor output not archived")
	}
	gs, _ := os.ReadFile(filepath.Join(odir, "d", "state"))
	if want := strings.Repeat("run\n", len(ga)); string(gs) != want {
		t.Errorf("state = %q, want %q", gs, want)
	}
	if gm, wm := modes(t, filepath.Join(odir, "d")), modes(t, filepath.Join(rdir, "d")); gm != wm {
		t.Errorf("modes %s, want %s", gm, wm)
	}
}
