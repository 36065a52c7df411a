package ship

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/tai64"
)

// stopBound bounds the end of a run after its context is done: Grace
// (testConfig's 2 s) for the acknowledgements of what was sent, then the
// final commit. Generous, so that a loaded machine does not fail it;
// a run that does not see the stop never ends.
const stopBound = 30 * time.Second

// waitRun waits at most stopBound for Run's result on done, and fails the
// test if it is an error or does not come (what says why it may not).
func waitRun(t *testing.T, done <-chan error, what string) {
	t.Helper()
	if err := testkit.Result(t, done, stopBound, "Run "+what); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestShipStopBlocked: a backlog larger than the window, a collector
// that accepts and never answers, and then the context is done: Run ends,
// in every mode, on every network. Before, --once waited for its readers,
// which were blocked in the window's push for ever and never saw the
// stop.
func TestShipStopBlocked(t *testing.T) {
	for _, network := range []string{"relp", "tcp"} {
		for _, once := range []bool{true, false} {
			name := network + "/follow"
			if once {
				name = network + "/once"
			}
			t.Run(name, func(t *testing.T) {
				addr := testkit.SilentServer(t)
				dir, cfg := logdirConfig(t, addr, 100000) // 10 MB: more than loopback's socket buffers
				cfg.Network = network
				cfg.Once = once
				cfg.Window = 16
				cfg.Timeout = time.Hour // the collector's silence must not end the run either
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() {
					_, err := Run(ctx, cfg, []string{dir})
					done <- err
				}()
				// Stop while the readers are blocked in a full window: give
				// them time to fill it (if they have not, the stop comes
				// earlier, which must work too).
				time.Sleep(200 * time.Millisecond)
				cancel()
				waitRun(t, done, "did not end after the stop")
			})
		}
	}
}

// hostileLogdir is [testkit.HostileLogdir] with a secret that looks like
// line 1.
func hostileLogdir(t *testing.T, script string) string {
	t.Helper()
	return testkit.HostileLogdir(t, stampOfLine(1).String()+" SECRET-c0ffee root only\n", script)
}

// TestShipHostileOwner: root ships a logdir whose owner made archive
// names, previous and current symbolic links to a file only root may
// read, or FIFOs. The secret never reaches the collector, the real lines
// do, and nothing blocks: with --once, and following until stopped.
func TestShipHostileOwner(t *testing.T) {
	scripts := []struct{ name, script string }{
		{"links", `printf '%s' "$LINES" > @4000000069579d8c00000000.s
ln -s "$SECRET" @4000000069579d8d00000000.s
ln -s "$SECRET" @4000000069579d8e00000000.s.zst
ln -s "$SECRET" previous
ln -s "$SECRET" current`},
		{"fifos", `printf '%s' "$LINES" > @4000000069579d8c00000000.s
mkfifo @4000000069579d8d00000000.s @4000000069579d8e00000000.u processed current`},
	}
	for _, sc := range scripts {
		for _, once := range []bool{true, false} {
			name := sc.name + "/follow"
			if once {
				name = sc.name + "/once"
			}
			t.Run(name, func(t *testing.T) {
				lines := logLine(0) + logLine(1)
				dir := hostileLogdir(t, "LINES='"+lines+"'\n"+sc.script)
				srv := newFakeRELP(t)
				cfg := testConfig(t, srv.addr(), filepath.Join(t.TempDir(), "cursor"))
				cfg.Once = once
				var mu sync.Mutex
				var warnings []string
				cfg.Warn = func(err error) {
					mu.Lock()
					warnings = append(warnings, err.Error())
					mu.Unlock()
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := make(chan error, 1)
				go func() {
					_, err := Run(ctx, cfg, []string{dir})
					done <- err
				}()
				if !once {
					srv.waitAcked(2)
					time.Sleep(100 * time.Millisecond) // a few polls over the FIFOs
					cancel()
				}
				waitRun(t, done, "still running: blocked on a FIFO?")
				received, _, _ := srv.snapshot()
				for _, m := range received {
					if strings.Contains(m, "SECRET") {
						t.Fatalf("the secret was shipped: %q", m)
					}
				}
				checkDelivery(t, srv, 2)
				if len(received) != 2 || lineNumber(received[0]) != 0 || lineNumber(received[1]) != 1 {
					t.Errorf("received %q, want lines 0 and 1", received)
				}
				mu.Lock()
				defer mu.Unlock()
				if !strings.Contains(strings.Join(warnings, "\n"), "skipped "+filepath.Join(dir, "current")+": ") {
					t.Errorf("warnings %q: want current reported as skipped", warnings)
				}
			})
		}
	}
}

// TestShipISOStamps: lines stamped by multilog's i, by s6-log's T (the
// wall time of the zone it ran in, two spaces) and by t are shipped with
// their own times, the stamp cut from MSG. Before, only t lines were: the
// others took the time they were read, with the stamp left in MSG.
func TestShipISOStamps(t *testing.T) {
	srv := newFakeRELP(t)
	dir := newLogdir(t, "main")
	jst := time.FixedZone("JST", 9*3600)
	tm := time.Unix(base, 0).Add(1500 * time.Millisecond) // line 1500's time
	lines := stampOfLine(0).String() + " " + lineText(0) + "\n" +
		tm.UTC().Format("2006-01-02T15:04:05.000000Z07:00") + " " + lineText(1) + "\n" +
		tm.In(jst).Format("2006-01-02 15:04:05.000000000") + "  " + lineText(2) + "\n"
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte(lines), 0o644))
	cfg := testConfig(t, srv.addr(), filepath.Join(t.TempDir(), "cursor"))
	cfg.Once = true
	cfg.Zone = tai64.LoadZone(tai64.ZoneConfig{TZ: "JST-9", TZSet: true})
	cfg.Now = func() time.Time { return time.Unix(0, 0) } // a line shipped with the time it was read would show 1970
	_, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)
	checkDelivery(t, srv, 3)
	received, _, _ := srv.snapshot()
	want := []string{
		"<14>1 2026-01-01T00:00:00.000000Z testhost main - - - " + lineText(0),
		"<14>1 2026-01-01T00:00:01.500000Z testhost main - - - " + lineText(1),
		"<14>1 2026-01-01T00:00:01.500000Z testhost main - - - " + lineText(2),
	}
	for i, w := range want {
		if received[i] != w {
			t.Errorf("message %d = %q, want %q", i, received[i], w)
		}
	}
}

// TestShipVeryLongLine: a line longer than query.MaxLine reaches ship in
// pieces: it is sent cut to the message size, the lines after it are sent
// too, and the cursor ends exactly at the end of the file. (query holds
// at most MaxLine of it.)
func TestShipVeryLongLine(t *testing.T) {
	srv := newFakeRELP(t)
	dir := newLogdir(t, "main")
	long := strings.Repeat("y", 5*query.MaxLine+12345)
	text := logLine(0) + stampOfLine(1).String() + " " + long + "\n" + logLine(2)
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte(text), 0o644))
	cursor := filepath.Join(t.TempDir(), "cursor")
	cfg := testConfig(t, srv.addr(), cursor)
	cfg.Once = true
	var sh *shipper
	sh, err := newShipper(cfg, []string{dir})
	must(t, err)
	_, err = sh.run(context.Background())
	must(t, err)
	received, _, _ := srv.snapshot()
	if len(received) != 3 || lineNumber(received[0]) != 0 || lineNumber(received[2]) != 2 {
		t.Fatalf("%d messages, want lines 0, 1 (long) and 2", len(received))
	}
	if len(received[1]) != DefaultMaxSize || !strings.HasSuffix(received[1], "yyy") {
		t.Errorf("long line: %d bytes, want %d", len(received[1]), DefaultMaxSize)
	}
	c := readCursor(t, cursor)
	if len(c.Positions) != 1 || c.Positions[0].Offset != int64(len(text)) || c.Positions[0].Time != stampOfLine(2) {
		t.Errorf("cursor %+v, want the end of current, %d", c.Positions, len(text))
	}
	// Nothing is sent again.
	_, err = Run(context.Background(), cfg, []string{dir})
	must(t, err)
	if received, _, _ := srv.snapshot(); len(received) != 3 {
		t.Errorf("a second run sent %d more", len(received)-3)
	}
}
