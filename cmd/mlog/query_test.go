package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/tai64"
)

// testify's assert needs a go.sum entry (yaml) this module does not have
// yet; these few helpers do instead.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func equal[T comparable](t *testing.T, got, want T, what string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// queryLogdir makes a logdir with three lines on 2026-01-02 UTC, at
// 10:27:00, 10:27:44 and 10:28:14.
func queryLogdir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "main")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "@4000000069579d8c00000000.s"), []byte(
		"@4000000069579d7e000001f4 tcpserver: status: 1/100\n"), 0o744))
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte(
		"@4000000069579daa000001f4 tcpserver: pid 4711 from 192.0.2.7\n"+
			"@4000000069579dc8000001f4 tcpserver: end 4711 status 0\n"), 0o644))
	return dir
}

// runQueryCmd runs mlog query with args and returns its exit code, stdout
// and stderr.
func runQueryCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, newQueryCmd(), args...)
}

// runCmd runs cmd with args in UTC and returns its exit code, stdout and
// stderr.
func runCmd(t *testing.T, cmd *cobra.Command, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("TZ", "UTC")
	// Under mlog, as a run is: named "mlog NAME ...", its error reported
	// and its code chosen by exit.
	root := newBareRoot()
	root.AddCommand(cmd)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{cmd.Name()}, args...))
	ran, err := root.ExecuteC()
	code := exit(ran, err, &errOut)
	return code, out.String(), errOut.String()
}

func TestQueryCmd(t *testing.T) {
	dir := queryLogdir(t)
	cases := []struct {
		name string
		args []string
		code int
		out  string
		err  string
	}{
		{"all", []string{dir}, 0, "@4000000069579d7e000001f4 tcpserver: status: 1/100\n@4000000069579daa000001f4 tcpserver: pid 4711 from 192.0.2.7\n@4000000069579dc8000001f4 tcpserver: end 4711 status 0\n", ""},
		{"pattern and range", []string{"--utc", "--since", "2026-01-02T10:00:00Z", "4711", dir}, 0,
			"2026-01-02T10:27:44.000000500Z tcpserver: pid 4711 from 192.0.2.7\n2026-01-02T10:28:14.000000500Z tcpserver: end 4711 status 0\n", ""},
		{"local", []string{"--local", "--until", "2026-01-02 10:27:30", dir}, 0, "2026-01-02 10:27:00.000000500 tcpserver: status: 1/100\n", ""},
		{"count", []string{"-c", "-e", "tcpserver", dir}, 0, "3\n", ""},
		{"nothing", []string{"--since", "2026-01-03", dir}, 1, "", ""},
		{"until now", []string{"-c", "--until", "now", dir}, 0, "3\n", ""},
		{"since now", []string{"-c", "--since", "now", dir}, 1, "0\n", ""},
		{"invert", []string{"-c", "-v", "tcpserver", dir}, 1, "0\n", ""},
		{"regexp", []string{"-E", "-i", "STATUS: [0-9]+/", dir}, 0, "@4000000069579d7e000001f4 tcpserver: status: 1/100\n", ""},
		{"two logdirs", []string{"-c", "-e", "", dir, dir}, 0, dir + ":3\n" + dir + ":3\n", ""},
		{"bad time", []string{"--since", "soon", dir}, 2, "", "mlog query: fatal: --since: invalid time \"soon\""},
		{"bad range", []string{"--since", "2026-01-03", "--until", "2026-01-02", dir}, 2, "", "mlog query: fatal: invalid time range: until 2026-01-02T00:00:00.000000000Z is before since 2026-01-03T00:00:00.000000000Z\n"},
		{"empty range", []string{"--since", "2026-01-02T10:27:44.0000005Z", "--until", "2026-01-02T10:27:44.0000005Z", dir}, 1, "", ""},
		{"empty range, count", []string{"-c", "--since", "@4000000069579daa000001f4", "--until", "@4000000069579daa000001f4", dir}, 1, "0\n", ""},
		{"empty range, missing logdir", []string{"--since", "2026-01-02", "--until", "2026-01-02", filepath.Join(dir, "nope")}, 2, "", "mlog query: fatal: unable to open"},
		{"until the zero label", []string{"--until", "@0000000000000000", dir}, 1, "", ""},
		{"until the zero label, count", []string{"-c", "--until", "@000000000000000000000000", dir}, 1, "0\n", ""},
		{"since after the zero label", []string{"--since", "2026-01-02", "--until", "@0000000000000000", dir}, 2, "", "mlog query: fatal: invalid time range"},
		{"until just after the first line", []string{"--until", "@4000000069579d7e000001f5", dir}, 0, "@4000000069579d7e000001f4 tcpserver: status: 1/100\n", ""},
		{"bad regexp", []string{"-E", "(", dir}, 2, "", "mlog query: fatal: error parsing regexp"},
		{"missing logdir", []string{filepath.Join(dir, "nope")}, 2, "", "mlog query: fatal: unable to open " + filepath.Join(dir, "nope") + ": file does not exist"},
		{"bad flag", []string{"--frobnicate", dir}, 100, "", "mlog query: usage: unknown flag: --frobnicate"},
		{"bad bucket", []string{"--histogram", "soon", dir}, 2, "", "mlog query: fatal: --histogram: invalid bucket"},
		{"two formats", []string{"--utc", "--json", dir}, 100, "", "mlog query: usage: choose one output format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runQueryCmd(t, tc.args...)
			equal(t, code, tc.code, "mlog query "+strings.Join(tc.args, " ")+": exit code (stderr "+errOut+")")
			equal(t, out, tc.out, "stdout")
			if !strings.HasPrefix(errOut, tc.err) || tc.err == "" && errOut != "" {
				t.Errorf("stderr %q, want it to start %q", errOut, tc.err)
			}
		})
	}
}

// TestQueryDamagedFiles: a damaged compressed archive and a directory
// under an archive name are reported on stderr with their paths in
// daemontools' words; everything else is printed (or counted), and the
// exit code is 2 at the end, as grep's after a file it could not read.
func TestQueryDamagedFiles(t *testing.T) {
	dir := queryLogdir(t)
	bad := filepath.Join(dir, "@4000000069579d8000000000.s.zst")
	must(t, os.WriteFile(bad, []byte("\x28\xb5\x2f\xfd not zstd after all\n"), 0o644))
	must(t, os.Mkdir(filepath.Join(dir, "@4000000069579d8100000000.s"), 0o755))
	warnBad := "mlog query: warning: unable to read " + bad + ": "
	warnDir := "mlog query: warning: skipped " + filepath.Join(dir, "@4000000069579d8100000000.s") + ": not a regular file\n"
	for _, tc := range []struct {
		args []string
		out  string
	}{
		{[]string{dir}, "@4000000069579d7e000001f4 tcpserver: status: 1/100\n@4000000069579daa000001f4 tcpserver: pid 4711 from 192.0.2.7\n@4000000069579dc8000001f4 tcpserver: end 4711 status 0\n"},
		{[]string{"--count", dir}, "3\n"},
	} {
		code, out, errOut := runQueryCmd(t, tc.args...)
		equal(t, code, 2, "mlog query "+strings.Join(tc.args, " ")+": exit code")
		equal(t, out, tc.out, "stdout")
		if strings.Count(errOut, "\n") != 2 || !strings.Contains(errOut, warnBad) || !strings.Contains(errOut, warnDir) {
			t.Errorf("stderr %q, want %q... and %q", errOut, warnBad, warnDir)
		}
	}
}

func TestQueryCursorFile(t *testing.T) {
	dir := queryLogdir(t)
	cursor := filepath.Join(t.TempDir(), "cursor")
	code, out, _ := runQueryCmd(t, "--cursor", cursor, dir)
	equal(t, code, 0, "first run: exit code")
	equal(t, strings.Count(out, "\n"), 3, "first run: lines")
	code, out, _ = runQueryCmd(t, "--cursor", cursor, dir)
	equal(t, code, 1, "second run, nothing new: exit code")
	equal(t, out, "", "second run: output")
	f, err := os.OpenFile(filepath.Join(dir, "current"), os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	f.WriteString("@4000000069579de6000001f4 tcpserver: status: 0/100\n")
	f.Close()
	code, out, _ = runQueryCmd(t, "--cursor", cursor, dir)
	equal(t, code, 0, "third run: exit code")
	equal(t, out, "@4000000069579de6000001f4 tcpserver: status: 0/100\n", "third run: output")
}

func TestSplitQueryArgs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args           []string
		explicit       bool
		patterns, dirs string
		err            string
	}{
		{[]string{"error", dir, dir}, false, "error", dir + " " + dir, ""},
		{[]string{"nope"}, false, "", "nope", ""},
		{[]string{"a", "b", dir}, false, "a", "b " + dir, ""},
		{[]string{dir, dir}, true, "", dir + " " + dir, ""},
		{[]string{dir, dir}, false, "", "", "is " + dir + " the PATTERN or a LOGDIR?"},
		{[]string{}, false, "", "", "missing LOGDIR"},
		{[]string{}, true, "", "", "missing LOGDIR"},
	} {
		p, l, err := splitQueryArgs(tc.args, tc.explicit)
		equal(t, strings.Join(p, " "), tc.patterns, "patterns of "+strings.Join(tc.args, " "))
		equal(t, strings.Join(l, " "), tc.dirs, "logdirs of "+strings.Join(tc.args, " "))
		if (err == nil) != (tc.err == "") || err != nil && !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
		}
	}
}

// TestQueryGrammar: in a directory holding logdirs z and z5, no word is
// silently taken for a logdir: -c z z5 is refused as ambiguous (z is a
// directory) with a usage error, exit 100; -e z z5 counts the lines of z5
// holding z; an empty -e counts every line of both; a pattern that is not a
// directory comes first, as grep's; -- ends the options.
func TestQueryGrammar(t *testing.T) {
	root := t.TempDir()
	z, z5 := filepath.Join(root, "z"), filepath.Join(root, "z5")
	for _, d := range []string{z, z5} {
		must(t, os.Mkdir(d, 0o755))
	}
	must(t, os.WriteFile(filepath.Join(z, "current"), []byte("@4000000069579d7e000001f4 a z b\n@4000000069579d7e000001f5 nothing\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(z5, "current"), []byte("@4000000069579d7e000001f4 lazy\n@4000000069579d7e000001f5 none\n@4000000069579d7e000001f6 fuzz\n"), 0o644))
	t.Chdir(root)
	for _, tc := range []struct {
		args []string
		code int
		out  string
		err  string
	}{
		{[]string{"-c", "z", "z5"}, 100, "", "mlog query: usage: is z the PATTERN or a LOGDIR?"},
		{[]string{"-c", "-e", "z", "z5"}, 0, "2\n", ""},
		{[]string{"-c", "-e", "", "z", "z5"}, 0, "z:2\nz5:3\n", ""},
		{[]string{"-c", "zz", "z5"}, 0, "1\n", ""},
		{[]string{"-c", "--", "-e", "z5"}, 1, "0\n", ""}, // the pattern "-e"
		{[]string{"-c", "z5"}, 0, "3\n", ""},
		{[]string{"-c"}, 100, "", "mlog query: usage: missing LOGDIR"},
		{[]string{}, 100, "", "mlog query: usage: missing LOGDIR"},
		{[]string{"--frobnicate", "z"}, 100, "", "mlog query: usage: unknown flag: --frobnicate"},
	} {
		code, out, errOut := runQueryCmd(t, tc.args...)
		name := "mlog query " + strings.Join(tc.args, " ")
		equal(t, code, tc.code, name+": exit code (stderr "+errOut+")")
		equal(t, out, tc.out, name+": stdout")
		if !strings.HasPrefix(errOut, tc.err) || tc.err == "" && errOut != "" {
			t.Errorf("%s: stderr %q, want it to start %q", name, errOut, tc.err)
		}
	}
}

// TestQueryFast: a plain run of mlog query, which skips cobra's Execute,
// prints and exits as the command run through cobra does; help and usage
// errors are left to cobra.
func TestQueryFast(t *testing.T) {
	t.Setenv("TZ", "UTC")
	dir := queryLogdir(t)
	cases := []struct {
		args []string
		fast bool
	}{
		{[]string{dir}, true},
		{[]string{"--utc", "--since", "2026-01-02T10:00:00Z", "4711", dir}, true},
		{[]string{"--local", "-S", "2026-01-02 10:27:30", dir, dir}, true},
		{[]string{"-c", "-e", "tcpserver", "--", dir}, true},
		{[]string{"-ci", "TCPSERVER", dir}, true},
		{[]string{"--since", "2026-01-03", dir}, true},
		{[]string{"--since", "soon", dir}, true},
		{[]string{"--utc", "--json", dir}, true},
		{[]string{"-E", "(", dir}, true},
		{[]string{filepath.Join(dir, "nope")}, true},
		{[]string{"--histogram", "1m", "--width", "40", dir}, true},
		{[]string{}, true},
		{[]string{"-c"}, true},
		{[]string{"--help"}, false},
		{[]string{"-h", dir}, false},
		{[]string{"-ch", dir}, false},
		{[]string{"--help=false", dir}, false},
		{[]string{"--frobnicate", dir}, false},
		{[]string{"--since"}, false},
	}
	for _, tc := range cases {
		name := "mlog query " + strings.Join(tc.args, " ")
		var out, errOut bytes.Buffer
		code, fast := queryFast(tc.args, &out, &errOut)
		equal(t, fast, tc.fast, name+": fast")
		if !fast {
			equal(t, out.String()+errOut.String(), "", name+": output of the refused fast path")
			continue
		}
		wantCode, wantOut, wantErr := runQueryCmd(t, tc.args...)
		equal(t, code, wantCode, name+": exit code")
		equal(t, out.String(), wantOut, name+": stdout")
		equal(t, errOut.String(), wantErr, name+": stderr")
	}
}

// TestQueryLines: -n N prints the last N lines selected, as tail -n and
// journalctl -n; -f without --since (or --cursor) starts with the last
// 10, as tail -F and journalctl -f, not with the whole history.
func TestQueryLines(t *testing.T) {
	dir := queryLogdir(t)
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"-n", "1", dir}, 0, "@4000000069579dc8000001f4 tcpserver: end 4711 status 0\n"},
		{[]string{"--lines=2", "-e", "tcpserver", dir}, 0, "@4000000069579daa000001f4 tcpserver: pid 4711 from 192.0.2.7\n@4000000069579dc8000001f4 tcpserver: end 4711 status 0\n"},
		{[]string{"-n", "1", "--until", "2026-01-02T10:28:00Z", dir}, 0, "@4000000069579daa000001f4 tcpserver: pid 4711 from 192.0.2.7\n"},
		{[]string{"-n", "0", dir}, 1, ""},
		{[]string{"-n", "5", dir}, 0, "@4000000069579d7e000001f4 tcpserver: status: 1/100\n@4000000069579daa000001f4 tcpserver: pid 4711 from 192.0.2.7\n@4000000069579dc8000001f4 tcpserver: end 4711 status 0\n"},
	} {
		code, out, errOut := runQueryCmd(t, tc.args...)
		equal(t, code, tc.code, "mlog query "+strings.Join(tc.args, " ")+": exit code (stderr "+errOut+")")
		equal(t, out, tc.out, "mlog query "+strings.Join(tc.args, " ")+": stdout")
	}
	for _, tc := range []struct {
		f        queryFlags
		linesSet bool
		hasLast  bool
		last     int
	}{
		{queryFlags{follow: true}, false, true, 10},
		{queryFlags{follow: true, lines: 3}, true, true, 3},
		{queryFlags{follow: true, lines: 0}, true, true, 0},
		{queryFlags{follow: true, since: "-1h"}, false, false, 0},
		{queryFlags{follow: true, cursor: "c"}, false, false, 0},
		{queryFlags{}, false, false, 0},
		{queryFlags{lines: 7}, true, true, 7},
	} {
		tc.f.linesSet = tc.linesSet
		cfg, _, err := queryConfig(&tc.f, []string{dir})
		must(t, err)
		equal(t, cfg.HasLast, tc.hasLast, "HasLast")
		equal(t, cfg.Last, tc.last, "Last")
	}
}

// TestQueryOutput: journalctl's -o modes; -l and -u, which grep and
// journalctl read otherwise, are refused with what to type instead.
func TestQueryOutput(t *testing.T) {
	dir := queryLogdir(t)
	last := []string{"-n", "1"}
	for _, tc := range []struct {
		args []string
		code int
		out  string
		err  string
	}{
		{[]string{"-o", "raw"}, 0, "@4000000069579dc8000001f4 tcpserver: end 4711 status 0\n", ""},
		{[]string{"-o", "short"}, 0, "2026-01-02 10:28:14.000000500 tcpserver: end 4711 status 0\n", ""},
		{[]string{"-o", "short-precise"}, 0, "2026-01-02 10:28:14.000000500 tcpserver: end 4711 status 0\n", ""},
		{[]string{"--output=short-iso"}, 0, "2026-01-02T10:28:14.000000500Z tcpserver: end 4711 status 0\n", ""},
		{[]string{"-o", "utc", "--utc"}, 0, "2026-01-02T10:28:14.000000500Z tcpserver: end 4711 status 0\n", ""},
		{[]string{"-o", "short-unix"}, 0, "1767349694.000000500 tcpserver: end 4711 status 0\n", ""},
		{[]string{"-o", "cat"}, 0, "tcpserver: end 4711 status 0\n", ""},
		{[]string{"-o", "json"}, 0, `{"time":"2026-01-02T10:28:14.000000500Z","logdir":"` + dir + `","line":"tcpserver: end 4711 status 0"}` + "\n", ""},
		{[]string{"-o", "jsonish"}, 100, "", "mlog query: usage: -o: unknown output mode \"jsonish\""},
		{[]string{"-o", "json", "--local"}, 100, "", "mlog query: usage: choose one output format"},
		{[]string{"-l"}, 100, "", "mlog query: usage: -l no longer means --local"},
		{[]string{"-u"}, 100, "", "mlog query: usage: -u no longer means --utc"},
	} {
		args := append(append(append([]string{}, last...), tc.args...), dir)
		code, out, errOut := runQueryCmd(t, args...)
		name := "mlog query " + strings.Join(args, " ")
		equal(t, code, tc.code, name+": exit code (stderr "+errOut+")")
		equal(t, out, tc.out, name+": stdout")
		if !strings.HasPrefix(errOut, tc.err) || tc.err == "" && errOut != "" {
			t.Errorf("%s: stderr %q, want it to start %q", name, errOut, tc.err)
		}
	}
}

// openPty returns the two ends of a new pseudo-terminal.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no pseudo-terminals:", err)
	}
	t.Cleanup(func() { m.Close() })
	must(t, unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	must(t, err)
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestQueryTerminal: on a terminal, lines show local times a person reads
// (TZ as tai64nlocal reads it); -o raw gives the labels; into a pipe the
// lines are as stored, as scripts have always had them.
func TestQueryTerminal(t *testing.T) {
	dir := queryLogdir(t)
	t.Setenv("TZ", "JST-9")
	run := func(out *os.File, args ...string) int {
		cmd := newQueryCmd()
		cmd.SetOut(out)
		var errOut bytes.Buffer
		cmd.SetErr(&errOut)
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		if errOut.Len() > 0 {
			t.Errorf("stderr %q", errOut.String())
		}
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 0
	}
	read := func(f *os.File) string {
		b := make([]byte, 4096)
		n, err := f.Read(b)
		must(t, err)
		return strings.ReplaceAll(string(b[:n]), "\r\n", "\n")
	}
	m, s := openPty(t)
	equal(t, run(s, "-n", "1", dir), 0, "exit code on a terminal")
	equal(t, read(m), "2026-01-02 19:28:14.000000500 tcpserver: end 4711 status 0\n", "on a terminal")
	equal(t, run(s, "-n", "1", "-o", "raw", dir), 0, "exit code on a terminal, -o raw")
	equal(t, read(m), "@4000000069579dc8000001f4 tcpserver: end 4711 status 0\n", "on a terminal, -o raw")
	r, w, err := os.Pipe()
	must(t, err)
	defer r.Close()
	equal(t, run(w, "-n", "1", dir), 0, "exit code into a pipe")
	w.Close()
	equal(t, read(r), "@4000000069579dc8000001f4 tcpserver: end 4711 status 0\n", "into a pipe")
}

// TestProgressBelowOutput: with stdout on the same terminal, the progress
// line is erased before each write of output and drawn again at the next
// update, so it stays below the lines; at the end it is erased.
func TestProgressBelowOutput(t *testing.T) {
	r, w, err := os.Pipe()
	must(t, err)
	defer r.Close()
	p := newProgress(w)
	p.start = time.Now().Add(-time.Second) // past the half second of quiet
	var out bytes.Buffer
	stdout := &belowOutput{&out, p}
	p.update(1e9, 4e9)
	stdout.Write([]byte("line\n"))
	p.update(2e9, 4e9)
	p.update(4e9, 4e9)
	w.Close()
	b, err := io.ReadAll(r)
	must(t, err)
	equal(t, string(b), "\rmlog query: 1.0 of 4.0 GB (25%)\033[K"+"\r\033[K"+"\rmlog query: 2.0 of 4.0 GB (50%)\033[K"+"\r\033[K", "stderr")
	equal(t, out.String(), "line\n", "stdout")
}

// tzZones are the TZ values of the local time tests: every form glibc
// reads. "-" means TZ unset (the zone of /etc/localtime).
var tzZones = []string{
	"Asia/Tokyo",
	":America/New_York",
	":/usr/share/zoneinfo/America/New_York",
	"Europe/Paris",
	"JST-9",
	"EST5EDT,M3.2.0,M11.1.0",
	"CET-1CEST,M3.5.0,M10.5.0/3",
	"CET-1CEST",
	"<+0330>-3:30",
	"AEST-10AEDT,M10.1.0,M4.1.0/3",
	"",
	"-",
}

// tzLines returns labelled lines 10 minutes apart from 3 hours before to
// 3 hours after each of 2026's US and EU clock changes, in order, as
// multilog writes them.
func tzLines() []string {
	changes := []time.Time{
		time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC),   // US spring
		time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),  // EU spring
		time.Date(2026, 4, 4, 16, 0, 0, 0, time.UTC),  // Australia autumn
		time.Date(2026, 10, 3, 16, 0, 0, 0, time.UTC), // Australia spring
		time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), // EU autumn
		time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),  // US autumn
	}
	var lines []string
	for _, c := range changes {
		for m := -180; m <= 180; m += 10 {
			t := tai64.Stamp(c.Add(time.Duration(m) * time.Minute))
			lines = append(lines, t.String()+" line "+strconv.Itoa(len(lines)))
		}
	}
	return lines
}

// setTZ sets TZ for the test ("-": unset) and returns the environment
// for a child process.
func setTZ(t *testing.T, tz string) []string {
	t.Setenv("TZ", "")
	env := []string{"PATH=" + os.Getenv("PATH")}
	if tz == "-" {
		os.Unsetenv("TZ")
		return env
	}
	os.Setenv("TZ", tz)
	return append(env, "TZ="+tz)
}

// queryTZ runs mlog query with args under the TZ already set.
func queryTZ(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := newQueryCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	code := 0
	if err := cmd.Execute(); err != nil {
		ee, ok := err.(*exitError)
		if !ok {
			t.Fatalf("mlog query %q: %v", args, err)
		}
		code = ee.code
	}
	if errOut.Len() > 0 {
		t.Errorf("mlog query %q: stderr %q", args, errOut.String())
	}
	return code, out.String()
}

// TestQueryLocalTZ checks local times under every TZ form: --local prints
// what Debian's tai64nlocal prints for the same lines, across clock
// changes; each time it prints, given back as --since and --until (1 ns
// later), finds its line; and --histogram's hour buckets are those local
// hours. Under TZ=JST-9 and the other rules with no zone file, mlog query
// used to print and read UTC.
func TestQueryLocalTZ(t *testing.T) {
	real := testkit.NeedPeer(t, "/usr/bin/tai64nlocal", "daemontools")
	if _, err := os.Stat(tai64.DefaultZoneDir + "/America/New_York"); err != nil {
		t.Skip("no zoneinfo:", err)
	}
	lines := tzLines()
	text := strings.Join(lines, "\n") + "\n"
	dir := filepath.Join(t.TempDir(), "main")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte(text), 0o644))
	for _, tz := range tzZones {
		t.Run(tz, func(t *testing.T) {
			env := setTZ(t, tz)
			cmd := exec.Command(real)
			cmd.Env = env
			cmd.Stdin = strings.NewReader(text)
			want, err := cmd.Output()
			must(t, err)
			code, got := queryTZ(t, "--local", dir)
			if code != 0 || got != string(want) {
				t.Fatalf("TZ=%s: mlog query --local (exit %d):\n%s\ntai64nlocal:\n%s", tz, code, got, want)
			}
			shown := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			const stampLen = len("2026-01-02 15:04:05.000000000")
			times := map[string]int{} // how often each local time shows
			for _, l := range shown {
				times[l[:stampLen]]++
			}
			for i, l := range shown {
				at := l[:stampLen]
				// 1 ns later, in the same form: the nanoseconds are 500.
				next := at[:len(at)-3] + "501"
				code, out := queryTZ(t, "--local", "--since", at, "--until", next, dir)
				switch {
				case code != 0:
					t.Errorf("TZ=%s: --since %q --until %q: exit %d, want line %d", tz, at, next, code, i)
				case times[at] == 1 && out != l+"\n":
					t.Errorf("TZ=%s: --since %q --until %q: got %q, want %q", tz, at, next, out, l)
				case !strings.HasPrefix(out, at) || strings.Count(out, "\n") != 1:
					// A time the clock shows twice (set back): mktime's
					// choice, one of the two lines.
					t.Errorf("TZ=%s: --since %q --until %q: got %q, want one line at that time", tz, at, next, out)
				}
			}
			// Hour buckets in local time: the local hours of the lines.
			counts := map[string]int{}
			for _, l := range shown {
				counts[l[:len("2026-01-02 15")]]++
			}
			_, hist := queryTZ(t, "--histogram", "1h", dir)
			rows := 0
			for _, row := range strings.Split(strings.TrimSuffix(hist, "\n"), "\n") {
				f := strings.Fields(row)
				if len(f) < 3 || f[2] == "0" {
					continue
				}
				rows++
				hour := f[0] + " " + f[1][:2]
				if f[1][2:] != ":00:00" || strconv.Itoa(counts[hour]) != f[2] {
					t.Errorf("TZ=%s: histogram row %q: want %d lines in hour %s", tz, row, counts[hour], hour)
				}
			}
			if rows != len(counts) {
				t.Errorf("TZ=%s: histogram has %d hours with lines, want %d:\n%s", tz, rows, len(counts), hist)
			}
		})
	}
}

// TestQueryTodayTZ checks the words and times of day in a TZ rule: at
// 2026-03-10 20:00 UTC it is already 11 March in Japan.
func TestQueryTodayTZ(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "main")
	must(t, os.Mkdir(dir, 0o755))
	now := time.Now()
	// Lines at 23:30 and 00:30 around local midnight today, JST: 14:30
	// and 15:30 UTC the day before.
	y, m, d := now.In(time.FixedZone("JST", 9*3600)).Date()
	mid := time.Date(y, m, d, 0, 0, 0, 0, time.FixedZone("JST", 9*3600))
	var b strings.Builder
	for _, off := range []time.Duration{-30 * time.Minute, 30 * time.Minute, 14*time.Hour + 30*time.Minute} {
		fmt.Fprintf(&b, "%s at %s\n", tai64.Stamp(mid.Add(off)), mid.Add(off).Format("15:04"))
	}
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte(b.String()), 0o644))
	setTZ(t, "JST-9")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "today", "--until", "14:00"}, "at 00:30\n"},
		{[]string{"--since", "yesterday", "--until", "today"}, "at 23:30\n"},
		{[]string{"--since", "14:00", "--until", "tomorrow"}, "at 14:30\n"},
	} {
		_, out := queryTZ(t, append(tc.args, dir)...)
		var got []string
		for _, l := range strings.SplitAfter(out, "\n") {
			if l != "" {
				got = append(got, l[tai64.LabelLen+1:])
			}
		}
		if strings.Join(got, "") != tc.want {
			t.Errorf("TZ=JST-9 mlog query %q: got %q, want %q", tc.args, out, tc.want)
		}
	}
}
