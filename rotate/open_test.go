package rotate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// file is one entry of a logdir in an [TestOpen] case: its name, mode and
// contents.
type file struct {
	name string
	mode os.FileMode
	data string
}

// Archive names of the cases, oldest first: older than anything Open makes,
// since their stamps are in 2026 and Open stamps with the clock or a line's
// label.
const (
	arch1 = "@4000000069579d8100000000.s"
	arch2 = "@4000000069579d8200000000.s"
	arch3 = "@4000000069579d8300000000.s"
	arch4 = "@4000000069579d8400000000.s"
	arch5 = "@4000000069579d8500000000.s"
	archU = "@4000000069579d8600000000.u" // from an earlier boot: no boot mark
)

// openCases are the states a previous run can leave a logdir in (rotate's
// doc.go lists them) and what Open makes of each, as multilog's restart()
// does. In want, an archive Open made is written "@new.s" or "@new.u"
// (its stamp comes from the clock), and "lock" is left out (Open always
// makes it).
var openCases = []struct {
	name   string
	num    int // multilog's n; 0 for the default
	before []file
	want   []file
}{
	{
		name: "first run",
		want: []file{{"current", 0644, ""}, {"state", 0644, ""}},
	},
	{
		name:   "current finished cleanly is appended to",
		before: []file{{"current", 0744, "a\n"}, {"state", 0644, "s"}},
		want:   []file{{"current", 0644, "a\n"}, {"state", 0644, "s"}},
	},
	{
		name:   "current after a crash becomes .u",
		before: []file{{"current", 0644, "a\n"}, {"state", 0644, "s"}},
		want:   []file{{"@new.u", 0644, "a\n"}, {"current", 0644, ""}, {"state", 0644, ""}},
	},
	{
		name:   "empty current after a crash becomes an empty .u",
		before: []file{{"current", 0644, ""}},
		want:   []file{{"@new.u", 0644, ""}, {"current", 0644, ""}, {"state", 0644, ""}},
	},
	{
		name: "processor running: previous becomes .u, newstate goes",
		before: []file{{"previous", 0644, "p\n"}, {"newstate", 0644, "n"}, {"state", 0644, "s"},
			{"current", 0644, "c\n"}},
		want: []file{{"@new.u", 0644, "p\n"}, {"@new.u", 0644, "c\n"}, {"current", 0644, ""}, {"state", 0644, ""}},
	},
	{
		name: "processor finished (processed has the x bit): processed becomes .s, previous goes",
		before: []file{{"previous", 0644, "p\n"}, {"processed", 0744, "out\n"}, {"newstate", 0644, "n"},
			{"current", 0644, "c\n"}},
		want: []file{{"@new.s", 0744, "out\n"}, {"@new.u", 0644, "c\n"}, {"current", 0644, ""}, {"state", 0644, ""}},
	},
	{
		name:   "processor unfinished (processed without the x bit): processed goes, previous becomes .u",
		before: []file{{"previous", 0644, "p\n"}, {"processed", 0644, "half"}, {"current", 0644, "c\n"}},
		want:   []file{{"@new.u", 0644, "p\n"}, {"@new.u", 0644, "c\n"}, {"current", 0644, ""}, {"state", 0644, ""}},
	},
	{
		// restart() looks at previous and processed only after a crash.
		name:   "current finished cleanly: previous and processed are left as they are",
		before: []file{{"previous", 0644, "p\n"}, {"processed", 0644, "half"}, {"current", 0744, "c\n"}},
		want:   []file{{"previous", 0644, "p\n"}, {"processed", 0644, "half"}, {"current", 0644, "c\n"}},
	},
	{
		name:   "a .u left from an earlier boot stays .u",
		before: []file{{archU, 0644, "u\n"}, {"current", 0744, "c\n"}},
		want:   []file{{archU, 0644, "u\n"}, {"current", 0644, "c\n"}},
	},
	{
		name: "too many archives for n: the oldest go when current is finished",
		num:  3,
		before: []file{{arch1, 0744, "1\n"}, {arch2, 0744, "2\n"}, {arch3, 0744, "3\n"}, {arch4, 0744, "4\n"},
			{arch5, 0744, "5\n"}, {"current", 0644, "c\n"}},
		want: []file{{arch5, 0744, "5\n"}, {"@new.u", 0644, "c\n"}, {"current", 0644, ""}, {"state", 0644, ""}},
	},
	{
		name: "too many archives for n, clean current: nothing is pruned until a rotation",
		num:  3,
		before: []file{{arch1, 0744, "1\n"}, {arch2, 0744, "2\n"}, {arch3, 0744, "3\n"},
			{"current", 0744, "c\n"}},
		want: []file{{arch1, 0744, "1\n"}, {arch2, 0744, "2\n"}, {arch3, 0744, "3\n"}, {"current", 0644, "c\n"}},
	},
	{
		name: "a compressor's temporary file goes, and a plain archive with a compressed twin",
		before: []file{{tempPrefix + arch2 + ".zst", 0600, "half"}, {arch1, 0744, "1\n"}, {arch1 + ".zst", 0744, "z"},
			{"current", 0744, "c\n"}},
		want: []file{{arch1 + ".zst", 0744, "z"}, {"current", 0644, "c\n"}},
	},
}

// TestOpen: files in a logdir before Open, files after it.
func TestOpen(t *testing.T) {
	for _, tc := range openCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "log")
			writeFiles(t, dir, tc.before)
			d, err := Open(dir, Config{Num: tc.num, Warn: func(err error) { t.Errorf("warning: %v", err) }})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got := readFiles(t, dir, tc.before)
			d.Close()
			if want := showFiles(tc.want); got != want {
				t.Errorf("before Open:\n%s\nafter Open:\n%s\nwant:\n%s", showFiles(tc.before), got, want)
			}
		})
	}
}

// TestOpenLikeMultilog: daemontools' multilog, run on the same logdir with
// no input, leaves the same files (it then exits, setting current's x bit,
// as our Close does).
func TestOpenLikeMultilog(t *testing.T) {
	peer := testkit.NeedPeer(t, "/usr/bin/multilog", "daemontools")
	for _, tc := range openCases {
		if strings.Contains(tc.name, "compressor") {
			continue // mlog's own files: daemontools knows nothing of them
		}
		t.Run(tc.name, func(t *testing.T) {
			ours := filepath.Join(t.TempDir(), "log")
			writeFiles(t, ours, tc.before)
			d, err := Open(ours, Config{Num: tc.num})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			d.Close()

			theirs := filepath.Join(t.TempDir(), "log")
			writeFiles(t, theirs, tc.before)
			script := []string{theirs}
			if tc.num != 0 {
				script = []string{"n" + strconv.Itoa(tc.num), theirs}
			}
			cmd := exec.Command(peer, script...)
			cmd.Stdin = strings.NewReader("")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("multilog: %v: %s", err, out)
			}
			if got, want := readFiles(t, ours, tc.before), readFiles(t, theirs, tc.before); got != want {
				t.Errorf("ours:\n%s\ndaemontools':\n%s", got, want)
			}
		})
	}
}

func writeFiles(t *testing.T, dir string, files []file) {
	t.Helper()
	if err := os.Mkdir(dir, 0755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // past the umask
			t.Fatal(err)
		}
		// An hour old, as an earlier run left them.
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
	}
}

// readFiles lists dir as showFiles does, naming each archive that is not
// in before "@new" with its code.
func readFiles(t *testing.T, dir string, before []file) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]bool{}
	for _, f := range before {
		old[f.name] = true
	}
	var files []file
	for _, e := range entries {
		name := e.Name()
		if name == "lock" {
			continue
		}
		st, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := ParseArchiveName(name); ok && !old[name] {
			name = "@new." + string(a.Code)
		}
		files = append(files, file{name, st.Mode(), string(data)})
	}
	return showFiles(files)
}

// showFiles prints files one a line, sorted: "mode name data".
func showFiles(files []file) string {
	lines := make([]string, len(files))
	for i, f := range files {
		lines[i] = f.mode.String() + " " + f.name + " " + strconv.Quote(f.data)
	}
	sort.Strings(lines)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}
