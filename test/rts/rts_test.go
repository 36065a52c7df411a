// Package rts runs daemontools 0.76's own test script, rts.tests, once
// with Debian's daemontools and once with ours, and requires the same
// output section by section.
package rts

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// scriptTimeout bounds one run of rts.tests. The script sleeps about 4 s
// (its supervise sections poll svok once a second and a run script sleeps
// 1 s); the rest is forks. A hung program must fail the test, not hang it.
const scriptTimeout = 3 * time.Minute

// programs are daemontools 0.76's seventeen programs. Every one gets a
// link in the script's directory, so that none can be found in /usr/bin
// (on the script's own PATH) in its place.
var programs = []string{"envdir", "envuidgid", "fghack", "multilog", "pgrphack", "readproctitle", "setlock",
	"setuidgid", "softlimit", "supervise", "svc", "svok", "svscan", "svscanboot", "svstat", "tai64n", "tai64nlocal"}

// debianBin is where Debian's daemontools package puts its programs.
const debianBin = "/usr/bin"

// script returns the path of rts.tests: $RTS_TESTS if set, else the copy
// of daemontools 0.76's script (public domain) kept in testdata.
func script(t *testing.T) string {
	p := os.Getenv("RTS_TESTS")
	if p == "" {
		p = "testdata/rts.tests"
	}
	p, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no rts.tests to run: %v", err)
	}
	return p
}

// TestRTS runs rts.tests with each set of programs and compares the
// sections.
func TestRTS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs rts.tests twice (about 15 s)")
	}
	rts := script(t)
	theirs, mine := sets(t)
	want := sections(run(t, theirs, rts))
	got := sections(run(t, mine, rts))
	if len(want) < 2 {
		t.Fatalf("Debian's run of rts.tests has no sections: %q", want)
	}
	same := 0
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g section
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w == g {
			same++
			continue
		}
		t.Errorf("section %d differs:\n--- Debian's daemontools:\n%s--- ours:\n%s", i, w.text, g.text)
	}
	t.Logf("rts.tests: %d of %d sections identical", same, max(len(want), len(got)))
}

// sets builds ours and returns the directories holding Debian's set of
// programs and ours, each with matchtest. It skips the test when Debian's
// daemontools is missing (fails when CI is set).
func sets(t *testing.T) (theirs, mine string) {
	t.Helper()
	for _, n := range programs {
		testkit.NeedPeer(t, filepath.Join(debianBin, n), "daemontools")
	}
	ours := build(t)
	theirs = binDir(t, func(name string) string { return filepath.Join(debianBin, name) }, ours)
	mine = binDir(t, func(name string) string {
		if name == "multilog" || name == "supervise" { // binaries of their own, as make installs them
			return filepath.Join(ours, name)
		}
		return filepath.Join(ours, "mlog-tools")
	}, ours)
	return theirs, mine
}

// TestEncore runs the test cases of daemontools-encore that test 0.76
// behaviour (testdata/encore/README says which and why) with Debian's
// programs and with ours, each as encore's rts.sh.do runs it: the
// preamble, the case and the cleanup as one script under `env -`.
func TestEncore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs encore's cases twice (about 25 s)")
	}
	cases, _ := filepath.Glob("testdata/encore/*.sh")
	var names []string
	for _, c := range cases {
		n := strings.TrimSuffix(filepath.Base(c), ".sh")
		if n != "00-preamble" && n != "zz-cleanup" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		t.Skip("no encore cases in testdata/encore")
	}
	preamble, err := os.ReadFile("testdata/encore/00-preamble.sh")
	if err != nil {
		t.Fatal(err)
	}
	cleanup, err := os.ReadFile("testdata/encore/zz-cleanup.sh")
	if err != nil {
		t.Fatal(err)
	}
	theirs, mine := sets(t)
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			body, err := os.ReadFile("testdata/encore/" + n + ".sh")
			if err != nil {
				t.Fatal(err)
			}
			script := filepath.Join(t.TempDir(), "rts.sh")
			text := append(append(append([]byte{}, preamble...), body...), cleanup...)
			if err := os.WriteFile(script, text, 0644); err != nil {
				t.Fatal(err)
			}
			want := runEnv(t, theirs, script, []string{})
			got := runEnv(t, mine, script, []string{})
			if !bytes.Equal(got, want) {
				t.Errorf("encore's %s differs:\n--- Debian's daemontools:\n%s--- ours:\n%s", n, want, got)
			}
		})
	}
}

// section is one "--- title" block of the script's output (the first
// holds whatever comes before the first title).
type section struct{ text string }

func sections(out []byte) []section {
	var s []section
	cur := ""
	for _, line := range strings.SplitAfter(string(out), "\n") {
		if strings.HasPrefix(line, "--- ") && cur != "" {
			s = append(s, section{cur})
			cur = ""
		}
		cur += line
	}
	if cur != "" {
		s = append(s, section{cur})
	}
	return s
}

// build compiles our programs and matchtest into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	dir := t.TempDir()
	cmd := exec.Command(goTool, "build", "-o", dir+"/", "./cmd/mlog-tools", "./cmd/multilog", "./cmd/supervise", "./test/rts/matchtest")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// binDir makes the directory rts.tests runs in: the script puts its
// working directory first on PATH, so it holds one link per daemontools
// program, to target(name), and matchtest. Nothing else of daemontools'
// can be found before it.
func binDir(t *testing.T, target func(string) string, ours string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range programs {
		if err := os.Symlink(target(n), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(ours, "matchtest"), filepath.Join(dir, "matchtest")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// run runs rts.tests in dir, in a process group of its own, stdout and
// stderr together as djb's `sh rts.tests > rts.out 2>&1`. Whatever it
// leaves running is killed, however it ends.
func run(t *testing.T, dir, rts string) []byte {
	t.Helper()
	return runEnv(t, dir, rts, []string{"PATH=" + dir + ":/usr/bin:/bin", "LC_ALL=C"})
}

// runEnv is run with environment env.
func runEnv(t *testing.T, dir, rts string, env []string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := testkit.GroupCommand(ctx, "/bin/sh", rts)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Start()
	if err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	err = cmd.Wait()
	testkit.KillGroup(pgid)
	killUnder(t, dir)
	if ctx.Err() != nil {
		t.Fatalf("rts.tests in %s did not finish in %v; output so far:\n%s", dir, scriptTimeout, out.Bytes())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("rts.tests: %v", err)
	}
	return out.Bytes()
}

// killUnder kills any process still working in dir (one that left the
// script's process group, as pgrphack's child does) and reports it: the
// script must leave nothing behind.
func killUnder(t *testing.T, dir string) {
	t.Helper()
	for _, pid := range testkit.ProcessesIn(dir) {
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("rts.tests left process %d running in %s: %q", pid, dir, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
	}
}
