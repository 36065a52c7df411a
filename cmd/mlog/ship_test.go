package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never read, never answered
		}
	}()

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
				args := []string{"--to", "relp://" + ln.Addr().String(), "--cursor", filepath.Join(t.TempDir(), "cursor"),
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
