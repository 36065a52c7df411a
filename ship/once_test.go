package ship

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// TestOnceGivesUp: with Once, a collector that is down, or that accepts
// and never answers, makes Run give up after GiveUp with a *GiveUpError
// (before, it retried forever and a cron job hung). Nothing is lost: the
// cursor stays where it was.
func TestOnceGivesUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	down := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name, addr string
		cause      bool // a failure to connect is named
	}{{"down", down, true}, {"silent", testkit.SilentServer(t), false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newLogdir(t, "main")
			appendLines(t, dir, 0, 100)
			cursor := filepath.Join(t.TempDir(), "cursor")
			cfg := testConfig(t, tc.addr, cursor)
			cfg.Once, cfg.GiveUp, cfg.Timeout, cfg.Grace = true, 300*time.Millisecond, time.Hour, 100*time.Millisecond
			done := make(chan error, 1)
			go func() {
				_, err := Run(context.Background(), cfg, []string{dir})
				done <- err
			}()
			select {
			case err := <-done:
				var gu *GiveUpError
				if !errors.As(err, &gu) || gu.After != cfg.GiveUp || (gu.Err != nil) != tc.cause {
					t.Fatalf("Run: %v, want a GiveUpError after %v (cause named: %v)", err, cfg.GiveUp, tc.cause)
				}
				t.Logf("%v", err)
			case <-time.After(time.Minute): // a hang detector
				t.Fatal("Run with Once did not give up")
			}
			if c := readCursor(t, cursor); len(c.Positions) != 0 {
				t.Errorf("cursor moved: %+v", c.Positions)
			}
		})
	}
}

// TestOnceStats: a run with Once reports the lines and bytes acknowledged.
func TestOnceStats(t *testing.T) {
	srv, dir, cfg := shipSetup(t, 50)
	cfg.Once = true
	st, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)
	received, _, _ := srv.snapshot()
	var bytes int64
	for _, m := range received {
		bytes += int64(len(m))
	}
	if st.Acked != 50 || st.Bytes != bytes {
		t.Errorf("Stats = %+v, want 50 messages of %d bytes", st, bytes)
	}
}
