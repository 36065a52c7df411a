package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlog/mlog/docs"
	"github.com/mlog/mlog/internal/compat"
)

// TestDispatch: every daemontools name is found by its base name, however
// it is called; other names fall through to the cobra tree.
func TestDispatch(t *testing.T) {
	tests := []struct {
		argv0 string
		name  string
		ok    bool
	}{
		{"multilog", "multilog", true},
		{"/usr/local/bin/svc", "svc", true},
		{"./bin/tai64nlocal", "tai64nlocal", true},
		{"setuidgid", "setuidgid", true},
		{"mlog", "mlog", false},
		{"/usr/bin/mlog-tools", "mlog-tools", false},
	}
	for _, tc := range tests {
		name, m, ok := compat.Lookup(tc.argv0)
		assert.Equal(t, tc.ok, ok, "Lookup(%q)", tc.argv0)
		assert.Equal(t, tc.name, name, "Lookup(%q)", tc.argv0)
		assert.Equal(t, tc.ok, m != nil, "Lookup(%q) program", tc.argv0)
	}
}

// TestCompatCommands: every daemontools program is an mlog subcommand whose
// help is its manual page, and cobra leaves its arguments alone.
func TestCompatCommands(t *testing.T) {
	root := newRoot()
	for _, name := range compat.Names() {
		cmd, _, err := root.Find([]string{name})
		require.NoError(t, err, name)
		assert.Equal(t, name, cmd.Name())
		page, ok := docs.Text(name) // the manual as man shows it, not its Markdown
		require.True(t, ok, "no manual page for %s", name)
		if name == "tai64nlocal" {
			continue // mlog tai64nlocal has flags of its own (--utc, --format)
		}
		assert.True(t, cmd.DisableFlagParsing, "%s: cobra must not parse daemontools arguments", name)
		// Rendered when help is asked for, not by every run of mlog.
		assert.Empty(t, cmd.Long, "%s: the manual rendered before help was asked for", name)
		var help strings.Builder
		cmd.SetOut(&help)
		cmd.HelpFunc()(cmd, nil)
		assert.Contains(t, help.String(), strings.TrimSpace(page), "%s: help is not the manual page", name)
	}
}

// TestMain lets a test run this binary as mlog: with MLOG_TEST_MAIN set,
// the test binary is mlog itself.
func TestMain(m *testing.M) {
	if os.Getenv("MLOG_TEST_MAIN") != "" {
		os.Exit(run(append([]string{"mlog"}, os.Args[1:]...)))
	}
	os.Exit(m.Run())
}

// TestHelpRunsNothing: mlog NAME --help (and -h) prints NAME's manual page
// and exits 0 for every daemontools name, without reading stdin (a pipe
// nobody closes), touching the working directory or starting a process.
func TestHelpRunsNothing(t *testing.T) {
	for _, name := range compat.Names() {
		for _, flag := range []string{"--help", "-h"} {
			dir := t.TempDir()
			r, w, err := os.Pipe()
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			cmd := exec.CommandContext(ctx, os.Args[0], name, flag)
			cmd.Env = append(os.Environ(), "MLOG_TEST_MAIN=1")
			cmd.Dir = dir
			cmd.Stdin = r
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err = cmd.Start()
			require.NoError(t, err)
			err = cmd.Wait()
			timedOut := ctx.Err() != nil
			cancel()
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything it started
			r.Close()
			w.Close()
			require.False(t, timedOut, "mlog %s %s waited (on stdin?)", name, flag)
			require.NoError(t, err, "mlog %s %s: %s", name, flag, errOut.String())
			assert.Contains(t, out.String(), name, "mlog %s %s: no help", name, flag)
			entries, _ := os.ReadDir(dir)
			assert.Empty(t, entries, "mlog %s %s wrote in its working directory", name, flag)
		}
	}
}

// TestCommandsAddedInRoot: the command tree is built in one place, newRoot,
// not by init functions scattered over the files of cmd/mlog; and it holds
// every modern command.
func TestCommandsAddedInRoot(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s: func init at %s; add commands in newRoot", name, fset.Position(fn.Pos()))
			}
		}
	}
	root := newRoot()
	for _, name := range []string{"tai64nlocal", "query", "ship", "status", "wait", "bench", "man", "compress", "version"} {
		cmd, _, err := root.Find([]string{name})
		if assert.NoError(t, err, name) {
			assert.Equal(t, name, cmd.Name())
		}
	}
}

// TestExit: a command's error comes out as one line named after the
// command, never prefixed twice, with the code fault.ExitCode gives.
func TestExit(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"wait usage", []string{"wait", "-u", "-d", "x"}, 100, "mlog wait: usage: give exactly one of -u and -d\n"},
		{"unknown flag", []string{"wait", "--frob", "x"}, 100, "mlog wait: usage: unknown flag: --frob\n"},
		{"unknown command", []string{"frob"}, 100, "mlog: usage: unknown command \"frob\" for \"mlog\"\n"},
		{"compress method", []string{"compress", "lz4"}, 100, "mlog compress: usage: unknown method \"lz4\"\n"},
		{"man page", []string{"man", "nosuch"}, 100, "mlog man: usage: no page for nosuch\n"},
		{"man write", []string{"man", "--dir", "/nonexistent", "svok"}, 111, "mlog man: fatal: unable to open /nonexistent/svok.8: file does not exist\n"},
		// Too few words: what is missing and the command's use, as
		// written (cobra's "requires at least 1 arg(s)" said neither).
		{"wait no dir", []string{"wait", "-u"}, 100, "mlog wait: usage: missing DIR: mlog wait (-u|-d) [-T timeout] DIR...\n"},
		{"ship no logdir", []string{"ship"}, 100, "mlog ship: usage: missing LOGDIR: mlog ship --to URL --cursor FILE [flags] LOGDIR...\n"},
		{"status no dir", []string{"status"}, 100, "mlog status: usage: missing DIR: mlog status [--json] DIR...\n"},
		{"qmail stats no logdir", []string{"qmail", "stats"}, 100, "mlog qmail stats: usage: missing LOGDIR: mlog qmail stats [--since T] [--until T] [--json] [--by DURATION] [--cursor FILE [--cumulative]] LOGDIR...\n"},
		{"qmail trace no logdir", []string{"qmail", "trace", "4194304"}, 100, "mlog qmail trace: usage: missing what to trace or LOGDIR: mlog qmail trace [--since T] [--until T] [--json] MSG|ADDRESS|qp Q LOGDIR...\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot()
			var out, stderr bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&stderr)
			root.SetArgs(tc.args)
			cmd, err := root.ExecuteC()
			code := exit(cmd, err, &stderr)
			assert.Equal(t, tc.code, code, "mlog %q: exit code", tc.args)
			assert.Equal(t, tc.stderr, stderr.String(), "mlog %q: stderr", tc.args)
		})
	}
}
