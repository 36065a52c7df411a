package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// TestShipSignals: TERM, INT and HUP each end mlog ship, with --once and
// without, while its backlog is larger than --window and the collector
// accepts and never answers. Before, --once ignored all three.
func TestShipSignals(t *testing.T) {
	// The test catches the signals too, so that one sent before ship's
	// own handler is in place cannot kill the test binary; it is sent
	// again until ship ends.
	caught := make(chan os.Signal, 16)
	signal.Notify(caught, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(caught)

	addr := testkit.SilentServer(t)

	dir := filepath.Join(t.TempDir(), "main")
	must(t, os.Mkdir(dir, 0o755))
	var b bytes.Buffer
	for i := range 20000 {
		fmt.Fprintf(&b, "@40000000695700%02x%08x line %d\n", i/1000, i%1000*1000000, i)
	}
	must(t, os.WriteFile(filepath.Join(dir, "current"), b.Bytes(), 0o644))

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		for _, once := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/once=%v", sig, once), func(t *testing.T) {
				args := []string{"--to", "relp://" + addr, "--cursor", filepath.Join(t.TempDir(), "cursor"),
					"--window", "16", "--timeout", "1h", "--hostname", "h", dir}
				if once {
					args = append([]string{"--once"}, args...)
				}
				cmd := newShipCmd()
				var stderr bytes.Buffer
				cmd.SetErr(&stderr)
				cmd.SetArgs(args)
				cmd.SilenceErrors, cmd.SilenceUsage = true, true
				done := make(chan error, 1)
				go func() { done <- cmd.Execute() }()
				// Generous: a stop takes at most the grace for
				// acknowledgements (5 s) and a commit.
				deadline := time.After(60 * time.Second)
				tick := time.NewTicker(300 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case err := <-done:
						if err != nil {
							t.Fatalf("mlog ship: %v; stderr %q", err, stderr.String())
						}
						if strings.Contains(stderr.String(), "fatal") {
							t.Errorf("stderr %q", stderr.String())
						}
						return
					case <-tick.C:
						syscall.Kill(os.Getpid(), sig)
					case <-deadline:
						t.Fatalf("mlog ship still running 60 s after the first %v", sig)
					}
				}
			})
		}
	}
}

// shipOnce runs mlog ship --once with args and returns its exit code,
// stdout and stderr.
func shipOnce(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := newShipCmd()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(append([]string{"--once", "--hostname", "h"}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	select {
	case err := <-done:
		code := 0
		if err != nil {
			ee, ok := err.(*exitError)
			if !ok {
				t.Fatalf("mlog ship: %v", err)
			}
			code = ee.code
		}
		return code, stdout.String(), stderr.String()
	case <-time.After(2 * time.Minute): // a hang detector
		t.Fatal("mlog ship --once still running after 2 minutes")
	}
	return 0, "", ""
}

// TestShipOnceGivesUp: --once with the collector down exits 111 with a
// message saying it gave up, after --give-up (before, it retried forever).
func TestShipOnceGivesUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	dir := filepath.Join(t.TempDir(), "main")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte("@400000006957000000000000 hello\n"), 0o644))
	code, stdout, stderr := shipOnce(t, "--to", "relp://"+addr, "--cursor", filepath.Join(t.TempDir(), "cursor"),
		"--give-up", "500ms", "--backoff", "50ms", dir)
	if code != 111 || !strings.Contains(stderr, "mlog ship: fatal: no acknowledgement from relp://"+addr+" for 500ms, giving up") ||
		!strings.Contains(stderr, "connection refused") || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 111 and the reason", code, stdout, stderr)
	}
}

// TestShipOnceSummary: a successful --once prints one line: lines, bytes,
// seconds.
func TestShipOnceSummary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	received := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		received <- n
	}()
	dir := filepath.Join(t.TempDir(), "main")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte("@400000006957000000000000 hello\n@400000006957000000000000 world\n"), 0o644))
	code, stdout, stderr := shipOnce(t, "--to", "tcp://"+ln.Addr().String(), "--cursor", filepath.Join(t.TempDir(), "cursor"), dir)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var lines, bytes int64
	var secs float64
	var to string
	if n, err := fmt.Sscanf(stdout, "mlog ship: %d lines, %d bytes, %g seconds to %s\n", &lines, &bytes, &secs, &to); n != 4 || err != nil ||
		lines != 2 || bytes < int64(2*len("<14>1 2026-01-02T00:00:00.000000Z h main - - - hello")) || strings.Count(stdout, "\n") != 1 {
		t.Errorf("stdout %q, want one line: 2 lines, their bytes, seconds", stdout)
	}
}
