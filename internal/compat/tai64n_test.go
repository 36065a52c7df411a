package compat

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/tai64"
)

// The test binary is also every program (as supervise_test.go arranges
// too): run through a symlink named tai64n, it is tai64n.
func init() {
	if name, m, ok := Lookup(os.Args[0]); ok && strings.HasPrefix(name, "tai64n") {
		os.Exit(Run(name, m, os.Args[1:]))
	}
}

// taiOurs returns the path of a symlink named name to the test binary.
func taiOurs(t *testing.T, name string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(exe, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// taiReal returns path, skipping the test when it is missing (failing
// when CI is set).
func taiReal(t *testing.T, path string) string {
	t.Helper()
	return testkit.NeedPeer(t, path, "daemontools s6")
}

type taiResult struct {
	stdout, stderr []byte
	code           int // 128+signal when killed, as the shell says: 139 for SIGSEGV
}

// taiRun runs prog with args and environment env (nil: none at all) on
// input.
func taiRun(t *testing.T, env []string, input []byte, prog string, args ...string) taiResult {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	if env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = bytes.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := taiResult{stdout: out.Bytes(), stderr: errb.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		} else {
			r.code = ee.ExitCode()
		}
	default:
		t.Fatal(err)
	}
	return r
}

// stampRE matches a tai64n label and its space at a line start.
var stampRE = regexp.MustCompile(`(?m)^@[0-9a-f]{24} `)

// taiMask replaces every label at a line start with x's.
func taiMask(b []byte) string {
	return stampRE.ReplaceAllString(string(b), "@"+strings.Repeat("x", 24)+" ")
}

// taiStamps returns the labels at line starts.
func taiStamps(t *testing.T, b []byte) []tai64.Time {
	t.Helper()
	var ts []tai64.Time
	for _, m := range stampRE.FindAll(b, -1) {
		l, _, err := tai64.Parse(m)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, l)
	}
	return ts
}

// tai64nInputs are the inputs the tai64n tests feed both programs.
func tai64nInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 200000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
		if rng.IntN(40) == 0 {
			random[i] = '\n'
		}
	}
	return map[string][]byte{
		"empty":            nil,
		"one line":         []byte("hello\n"),
		"no final newline": []byte("a\nb\nc"),
		"empty lines":      []byte("\n\n\n"),
		"NUL and CR":       []byte("\x00\r\n\r\x00x\n"),
		"long lines":       []byte(strings.Repeat("x", 70000) + "\n" + strings.Repeat("y", 200000) + "\nz"),
		"labels already":   []byte("@4000000037c219bf2ef02e94 x\n"),
		"random bytes":     random,
	}
}

// TestTai64nDiff runs daemontools' tai64n and ours on the same inputs and
// compares the output with the labels masked, then the labels themselves:
// well formed, in order, nanoseconds ending in 500, and the time of the run.
func TestTai64nDiff(t *testing.T) {
	real := taiReal(t, "/usr/bin/tai64n")
	ours := taiOurs(t, "tai64n")
	for name, in := range tai64nInputs() {
		t.Run(name, func(t *testing.T) {
			start := tai64.Now()
			want := taiRun(t, nil, in, real, "ignored", "args")
			got := taiRun(t, nil, in, ours, "ignored", "args")
			end := tai64.Now()
			if got.code != want.code || string(got.stderr) != string(want.stderr) {
				t.Errorf("exit %d, stderr %q; daemontools: exit %d, stderr %q", got.code, got.stderr, want.code, want.stderr)
			}
			if g, w := taiMask(got.stdout), taiMask(want.stdout); g != w {
				t.Errorf("masked output differs from daemontools':\n got %.200q\nwant %.200q", g, w)
			}
			labels := taiStamps(t, got.stdout)
			if w := len(taiStamps(t, want.stdout)); len(labels) != w {
				t.Errorf("%d labels, daemontools %d", len(labels), w)
			}
			for i, l := range labels {
				if l.Nsec%1000 != 500 || l.Before(start) || end.Before(l) || i > 0 && l.Before(labels[i-1]) {
					t.Errorf("label %d %v: want nanoseconds ending in 500, in order, between %v and %v", i, l, start, end)
				}
			}
		})
	}
}

// TestTai64nTAIDiff compares true TAI labels with s6-tai64n's: 27 s
// ahead of daemontools' since 2017.
func TestTai64nTAIDiff(t *testing.T) {
	real := taiReal(t, "/usr/bin/s6-tai64n")
	want := taiRun(t, nil, []byte("x\n"), real)
	var got bytes.Buffer
	if err := tai64.StampLines(&got, strings.NewReader("x\n"), tai64.StampConfig{TAI: true}); err != nil {
		t.Fatal(err)
	}
	w, g := taiStamps(t, want.stdout), taiStamps(t, got.Bytes())
	if len(w) != 1 || len(g) != 1 || taiMask(want.stdout) != taiMask(got.Bytes()) {
		t.Fatalf("s6-tai64n wrote %q, we wrote %q", want.stdout, got.Bytes())
	}
	if d := int64(g[0].Sec) - int64(w[0].Sec); d < 0 || d > 2 {
		t.Errorf("our TAI label %v is %d s after s6-tai64n's %v, want 0 to 2", g[0], d, w[0])
	}
	if d := g[0].Sec - tai64.Now().Sec; d < 26 || d > 28 {
		t.Errorf("our TAI label %v is %d s ahead of daemontools', want 27", g[0], d)
	}
}

func TestTai64nErrors(t *testing.T) {
	var out, errb bytes.Buffer
	tool := &Tool{Name: "tai64n", Stdin: iotest.ErrReader(syscall.EIO), Stdout: &out, Stderr: &errb}
	if code := tai64nMain(tool, nil); code != ExitTemporary {
		t.Errorf("read error: exit %d, want %d", code, ExitTemporary)
	}
	if want := "tai64n: fatal: unable to read input: input/output error\n"; errb.String() != want {
		t.Errorf("read error: stderr %q, want %q", errb.String(), want)
	}
	ours := taiOurs(t, "tai64n")
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	cmd := exec.Command(ours)
	cmd.Stdin, cmd.Stdout = strings.NewReader("x\n"), f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitTemporary {
		t.Errorf("writing to /dev/full: %v, want exit 111", err)
	}
	if want := "tai64n: fatal: unable to write output: out of disk space\n"; stderr.String() != want {
		t.Errorf("writing to /dev/full: stderr %q, want %q", stderr.String(), want)
	}
}

// TestTai64nStampTime checks that a line's label is the time its first
// byte arrived, not when the line ended: the line is written in two parts
// a second apart.
func TestTai64nStampTime(t *testing.T) {
	ours := taiOurs(t, "tai64n")
	cmd := exec.Command(ours)
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	before := tai64.Now()
	w.Write([]byte("first half, "))
	time.Sleep(1100 * time.Millisecond) // real time passing is the point here
	w.Write([]byte("second half\n"))
	w.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	labels := taiStamps(t, out.Bytes())
	if len(labels) != 1 || labels[0].Sec > before.Sec+1 {
		t.Errorf("output %q: want one label within a second of %v", out.Bytes(), before)
	}
}
