package ship

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/durable"
	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// base is the time of line 0 of the test logs; line i is i ms later.
const base = 1767225600 // 2026-01-01T00:00:00Z

func stampOfLine(i int) tai64.Time {
	return tai64.FromUnix(base+int64(i/1000), int32(i%1000)*1e6+500)
}

// logLine is line i of a test log as multilog t writes it, newline and all.
func logLine(i int) string {
	return stampOfLine(i).String() + " " + lineText(i) + "\n"
}

func lineText(i int) string {
	return fmt.Sprintf("line %06d: info msg %d: bytes 2391 from <alice@example.org>", i, i)
}

// lineNumber returns i from a received message's MSG, or -1.
func lineNumber(msg string) int {
	_, text, ok := strings.Cut(msg, " - - - ")
	if !ok || !strings.HasPrefix(text, "line ") || len(text) < 11 {
		return -1
	}
	n, err := strconv.Atoi(text[5:11])
	if err != nil {
		return -1
	}
	return n
}

// appendLines appends lines [from, to) to dir/current, as multilog does
// between rotations.
func appendLines(t *testing.T, dir string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "current"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	must(t, err)
	w := bufio.NewWriter(f)
	for i := from; i < to; i++ {
		w.WriteString(logLine(i))
	}
	must(t, w.Flush())
	must(t, f.Close())
}

// multilogLines writes lines [from, to) through package rotate, as
// multilog with s4096 does: ~55 lines a file, then an archive.
func multilogLines(t *testing.T, dir string, from, to int) {
	t.Helper()
	d, err := rotate.Open(dir, rotate.Config{Size: 4096, Num: 1000})
	must(t, err)
	for i := from; i < to; i++ {
		d.Write([]byte(logLine(i)))
	}
	d.Close()
}

func newLogdir(t *testing.T, name string) string {
	dir := filepath.Join(t.TempDir(), name)
	must(t, os.Mkdir(dir, 0o700))
	return dir
}

// shipSetup starts what most tests ship with: a fake RELP server, a logdir
// "main" holding lines [0, n), and a config (see testConfig) that ships to
// that server, its cursor in a directory of its own.
func shipSetup(t *testing.T, n int) (srv *fakeRELP, dir string, cfg Config) {
	t.Helper()
	srv = newFakeRELP(t)
	dir, cfg = logdirConfig(t, srv.addr(), n)
	return srv, dir, cfg
}

// logdirConfig makes a logdir "main" holding lines [0, n), and a config
// (see testConfig) that ships to addr, its cursor in a directory of its
// own.
func logdirConfig(t *testing.T, addr string, n int) (dir string, cfg Config) {
	t.Helper()
	dir = newLogdir(t, "main")
	appendLines(t, dir, 0, n)
	return dir, testConfig(t, addr, filepath.Join(t.TempDir(), "cursor"))
}

// testConfig is a config with short pauses, for the fake server at addr.
func testConfig(t *testing.T, addr, cursor string) Config {
	return Config{
		Network:    "relp",
		Addr:       addr,
		Hostname:   "testhost",
		Cursor:     cursor,
		Backoff:    5 * time.Millisecond,
		BackoffMax: 50 * time.Millisecond,
		Timeout:    5 * time.Second,
		Grace:      2 * time.Second,
		Poll:       20 * time.Millisecond,
		Warn:       func(err error) { t.Logf("warning: %v", err) },
	}
}

// checkDelivery checks that every line in [0, n) was acknowledged once,
// that lines first arrived in order, and that the server saw no protocol
// violation, such as a message received again after its acknowledgement
// was sent.
func checkDelivery(t *testing.T, s *fakeRELP, n int) {
	t.Helper()
	received, acked, _ := s.snapshot()
	s.mu.Lock()
	violations := append([]string(nil), s.frames...)
	s.mu.Unlock()
	for _, v := range violations {
		t.Errorf("protocol: %s", v)
	}
	ackedSet := map[int]bool{}
	for _, m := range acked {
		i := lineNumber(m)
		if ackedSet[i] {
			t.Errorf("line %d acknowledged twice", i)
		}
		ackedSet[i] = true
	}
	seen := map[int]bool{}
	next := 0
	for _, m := range received {
		i := lineNumber(m)
		if i < 0 {
			t.Fatalf("unexpected message %q", m)
		}
		if !seen[i] {
			if i != next {
				t.Errorf("line %d first received after line %d: out of order", i, next-1)
			}
			next = i + 1
		}
		seen[i] = true
	}
	for i := range n {
		if !ackedSet[i] {
			t.Fatalf("line %d never acknowledged (%d received, %d acked)", i, len(received), len(acked))
		}
	}
	if len(ackedSet) != n {
		t.Errorf("%d lines acknowledged, want %d", len(ackedSet), n)
	}
}

func TestShipOnce(t *testing.T) {
	srv, dir, cfg := shipSetup(t, 1000)
	cursor := cfg.Cursor
	cfg.Once = true
	st, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)
	if st.Acked != 1000 {
		t.Errorf("Acked = %d, want 1000", st.Acked)
	}
	checkDelivery(t, srv, 1000)
	received, _, _ := srv.snapshot()
	want := "<14>1 2026-01-01T00:00:00.000000Z testhost main - - - " + lineText(0)
	if received[0] != want {
		t.Errorf("first message = %q, want %q", received[0], want)
	}

	// The cursor is after the last line, in current, exactly.
	c := readCursor(t, cursor)
	st0, err := os.Stat(filepath.Join(dir, "current"))
	must(t, err)
	if len(c.Positions) != 1 || c.Positions[0].Offset != st0.Size() || c.Positions[0].Ino == 0 || c.Positions[0].Time != stampOfLine(999) {
		t.Errorf("cursor = %+v, want the end of current (%d bytes) at line 999", c.Positions, st0.Size())
	}

	// Nothing new: nothing sent. Then 10 new lines: those only.
	_, err = Run(context.Background(), cfg, []string{dir})
	must(t, err)
	appendLines(t, dir, 1000, 1010)
	st, err = Run(context.Background(), cfg, []string{dir})
	must(t, err)
	if st.Acked != 10 {
		t.Errorf("third run: Acked = %d, want 10", st.Acked)
	}
	checkDelivery(t, srv, 1010)
}

func readCursor(t *testing.T, path string) query.Cursor {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	var c query.Cursor
	must(t, c.UnmarshalText(b))
	return c
}

func TestShipDelayedAcks(t *testing.T) {
	srv, dir, cfg := shipSetup(t, 600)
	srv.ackDelay = 2 * time.Millisecond
	cfg.Once = true
	cfg.Window = 16
	_, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)
	checkDelivery(t, srv, 600)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.maxOut > 16 {
		t.Errorf("%d messages unacknowledged at once, window 16", srv.maxOut)
	}
}

// TestShipMisbehavingServer drops the connection mid-window, sends
// serverclose, and refuses a message: each time ship connects again and
// sends what was not acknowledged, and nothing acknowledged twice.
func TestShipMisbehavingServer(t *testing.T) {
	tests := []struct {
		name   string
		policy func(n int) action
		conns  int
	}{
		{"drop mid-window", func(n int) action {
			if n == 300 || n == 1700 {
				return dropConn
			}
			return ackIt
		}, 3},
		{"serverclose", func(n int) action {
			if n == 500 {
				return serverClose
			}
			return ackIt
		}, 2},
		{"refused", func(n int) action {
			if n == 100 {
				return refuse
			}
			return ackIt
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, dir, cfg := shipSetup(t, 2000)
			srv.policy = tc.policy
			cfg.Once = true
			cfg.Window = 64
			var warnings []error
			var mu sync.Mutex
			cfg.Warn = func(err error) {
				mu.Lock()
				warnings = append(warnings, err)
				mu.Unlock()
			}
			_, err := Run(context.Background(), cfg, []string{dir})
			must(t, err)
			checkDelivery(t, srv, 2000)
			_, _, conns := srv.snapshot()
			if conns < tc.conns {
				t.Errorf("%d connections, want at least %d", conns, tc.conns)
			}
			mu.Lock()
			defer mu.Unlock()
			var pe *PauseError
			if len(warnings) == 0 || !errors.As(warnings[0], &pe) {
				t.Errorf("warnings = %v, want a *PauseError", warnings)
			}
		})
	}
}

// TestShipRestart ships a logdir that multilog rotates, stops in the
// middle, writes more, and starts again from the cursor: every line
// arrives, none acknowledged twice.
func TestShipRestart(t *testing.T) {
	srv := newFakeRELP(t)
	srv.ackDelay = 100 * time.Microsecond
	dir := newLogdir(t, "main")
	multilogLines(t, dir, 0, 2000)
	cursor := filepath.Join(t.TempDir(), "cursor")
	cfg := testConfig(t, srv.addr(), cursor)
	cfg.Window = 32

	for round, stopAt := range []int{700, 1500, 2600} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := Run(ctx, cfg, []string{dir})
			done <- err
		}()
		if round == 1 {
			// Lines arrive (and rotate) while ship follows.
			multilogLines(t, dir, 2000, 3000)
		}
		srv.waitAcked(stopAt)
		cancel()
		must(t, <-done)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := Run(ctx, cfg, []string{dir})
		done <- err
	}()
	srv.waitAcked(3000)
	cancel()
	must(t, <-done)
	checkDelivery(t, srv, 3000)
	_, _, conns := srv.snapshot()
	if conns < 4 {
		t.Errorf("%d connections, want 4 (one per run)", conns)
	}
	c := readCursor(t, cursor)
	if len(c.Positions) != 1 || c.Positions[0].Time != stampOfLine(2999) {
		t.Errorf("cursor = %+v, want line 2999", c.Positions)
	}
}

// TestShipSessionFull uses up the TXNRs of sessions: each is closed and a
// new one opened, with nothing lost or repeated.
func TestShipSessionFull(t *testing.T) {
	old := maxTxnr
	maxTxnr = 50
	defer func() { maxTxnr = old }()
	srv, dir, cfg := shipSetup(t, 500)
	cfg.Once = true
	cfg.Window = 20
	_, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)
	checkDelivery(t, srv, 500)
	received, _, conns := srv.snapshot()
	if len(received) != 500 {
		t.Errorf("%d messages received, want 500 (no repeats)", len(received))
	}
	if conns < 10 {
		t.Errorf("%d connections, want at least 10", conns)
	}
}

// TestShipCollectorLate starts ship before the collector: it retries
// until the collector is there, then catches up.
func TestShipCollectorLate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	dir, cfg := logdirConfig(t, addr, 300)
	cfg.Once = true
	paused := make(chan struct{}, 100)
	cfg.Warn = func(err error) {
		var pe *PauseError
		if errors.As(err, &pe) {
			paused <- struct{}{}
		}
	}
	done := make(chan error)
	go func() {
		_, err := Run(context.Background(), cfg, []string{dir})
		done <- err
	}()
	<-paused
	<-paused
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	srv := &fakeRELP{t: t, ln: ln}
	srv.cond = sync.NewCond(&srv.mu)
	go srv.serve()
	t.Cleanup(func() { ln.Close() })
	must(t, <-done)
	checkDelivery(t, srv, 300)
}

func TestShipTwoLogdirs(t *testing.T) {
	srv := newFakeRELP(t)
	a, b := newLogdir(t, "smtpd"), newLogdir(t, "send")
	appendLines(t, a, 0, 200)
	appendLines(t, b, 0, 100)
	cursor := filepath.Join(t.TempDir(), "cursor")
	cfg := testConfig(t, srv.addr(), cursor)
	cfg.Once = true
	st, err := Run(context.Background(), cfg, []string{a, b})
	must(t, err)
	if st.Acked != 300 {
		t.Errorf("Acked = %d, want 300", st.Acked)
	}
	received, _, _ := srv.snapshot()
	apps := map[string]int{}
	for _, m := range received {
		apps[strings.Fields(m)[3]]++
	}
	if apps["smtpd"] != 200 || apps["send"] != 100 {
		t.Errorf("messages per APP-NAME = %v, want smtpd 200, send 100", apps)
	}
	if c := readCursor(t, cursor); len(c.Positions) != 2 {
		t.Errorf("cursor = %+v, want a position per logdir", c.Positions)
	}
}

func TestShipUnstampedAndLong(t *testing.T) {
	srv := newFakeRELP(t)
	dir := newLogdir(t, "main")
	long := strings.Repeat("x", 10000)
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte("no label\n"+stampOfLine(0).String()+" "+long+"\n"), 0o644))
	cfg := testConfig(t, srv.addr(), filepath.Join(t.TempDir(), "cursor"))
	cfg.Once = true
	cfg.App = "app"
	cfg.Priority = 2*8 + 3 // mail.err
	cfg.Now = func() time.Time { return time.Date(2026, 2, 3, 4, 5, 6, 7000, time.UTC) }
	_, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)
	received, _, _ := srv.snapshot()
	if len(received) != 2 {
		t.Fatalf("%d messages, want 2", len(received))
	}
	if want := "<19>1 2026-02-03T04:05:06.000007Z testhost app - - - no label"; received[0] != want {
		t.Errorf("unstamped line = %q, want %q", received[0], want)
	}
	if len(received[1]) != DefaultMaxSize || !strings.HasSuffix(received[1], "xxx") {
		t.Errorf("long line: %d bytes, want %d", len(received[1]), DefaultMaxSize)
	}
}

func TestShipFatal(t *testing.T) {
	dir := newLogdir(t, "main")
	tests := []struct {
		name    string
		cfg     Config
		logdirs []string
		usage   bool
	}{
		{"no logdir", Config{Network: "relp", Addr: "127.0.0.1:1"}, nil, true},
		{"bad network", Config{Network: "http", Addr: "127.0.0.1:1"}, []string{dir}, true},
		{"missing logdir", Config{Network: "relp", Addr: "127.0.0.1:1"}, []string{dir + "/nope"}, false},
		{"logdir twice", Config{Network: "relp", Addr: "127.0.0.1:1"}, []string{dir, dir + "/"}, true},
		{"bad cursor", Config{Network: "relp", Addr: "127.0.0.1:1", Cursor: writeFile(t, "junk\n")}, []string{dir}, false},
		{"cursor in a missing directory", Config{Network: "relp", Addr: "127.0.0.1:1", Cursor: dir + "/no/cursor"}, []string{dir}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.cfg, tc.logdirs)
			if err == nil {
				t.Fatal("Run succeeded")
			}
			if errors.Is(err, ErrUsage) != tc.usage {
				t.Errorf("Run: %v; usage error %v, want %v", err, !tc.usage, tc.usage)
			}
		})
	}
}

// TestShipCursorLocked: a second ship on the same cursor stops at once.
func TestShipCursorLocked(t *testing.T) {
	dir := newLogdir(t, "main")
	cursor := filepath.Join(t.TempDir(), "cursor")
	unlock, err := durable.Lock(cursor)
	must(t, err)
	defer unlock()
	_, err = Run(context.Background(), Config{Network: "relp", Addr: "127.0.0.1:1", Cursor: cursor}, []string{dir})
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "lock" || !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Errorf("Run with the cursor locked: %v, want unable to lock", err)
	}
}

func writeFile(t *testing.T, text string) string {
	p := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestParseDestination(t *testing.T) {
	tests := []struct {
		in, network, addr string
		ok                bool
	}{
		{"relp://127.0.0.1:2514", "relp", "127.0.0.1:2514", true},
		{"tcp://logs.example.org:514", "tcp", "logs.example.org:514", true},
		{"udp://[::1]:514", "udp", "[::1]:514", true},
		{"relp://host", "", "", false},
		{"http://host:80", "", "", false},
		{"relp://host:99999", "", "", false},
		{"relp://host:1/path", "", "", false},
		{"host:514", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		n, a, err := ParseDestination(tc.in)
		if (err == nil) != tc.ok || n != tc.network || a != tc.addr {
			t.Errorf("ParseDestination(%q) = %q, %q, %v; want %q, %q, ok %v", tc.in, n, a, err, tc.network, tc.addr, tc.ok)
		}
	}
}

// TestShipTCP sends octet-counted frames to a TCP server that closes the
// first connection after 150 messages: what its TCP acknowledged is lost
// with it, everything after arrives.
func TestShipTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	var mu sync.Mutex
	got := map[int]int{}
	total := 0
	conns := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns++
			first := conns == 1
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for n := 0; ; n++ {
					if first && n == 150 {
						return
					}
					lenText, err := r.ReadString(' ')
					if err != nil {
						return
					}
					l, err := strconv.Atoi(strings.TrimSuffix(lenText, " "))
					if err != nil {
						t.Errorf("bad octet count %q", lenText)
						return
					}
					msg := make([]byte, l)
					if _, err := io.ReadFull(r, msg); err != nil {
						return
					}
					mu.Lock()
					got[lineNumber(string(msg))]++
					total++
					mu.Unlock()
				}
			}()
		}
	}()
	dir, cfg := logdirConfig(t, ln.Addr().String(), 1000)
	cfg.Network = "tcp"
	cfg.Once = true
	_, err = Run(context.Background(), cfg, []string{dir})
	must(t, err)
	mu.Lock()
	defer mu.Unlock()
	// What the server's TCP had acknowledged and the server had not read
	// when it closed is lost, as it is when a collector dies: a run of
	// lines from 150 on. Nothing else may be missing.
	lost := 0
	for i := 150; i < 1000 && got[i] == 0; i++ {
		lost++
	}
	for i := range 1000 {
		if got[i] == 0 && (i < 150 || i >= 150+lost) {
			t.Fatalf("line %d never arrived", i)
		}
	}
	t.Logf("%d messages for 1000 lines; %d lost in the server's buffers at its close", total, lost)
}

func TestShipUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	must(t, err)
	defer pc.Close()
	got := make(chan string, 1000)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	dir, cfg := logdirConfig(t, pc.LocalAddr().String(), 200)
	cfg.Network = "udp"
	cfg.Once = true
	_, err = Run(context.Background(), cfg, []string{dir})
	must(t, err)
	for i := range 200 {
		select {
		case m := <-got:
			if n := lineNumber(m); n != i {
				t.Fatalf("datagram %d is line %d: %q", i, n, m)
			}
		case <-time.After(time.Minute): // a hang detector
			t.Fatalf("datagram %d never arrived", i)
		}
	}
}

func TestBacklogWarning(t *testing.T) {
	dir := newLogdir(t, "main")
	var names []string
	for i := range 9 {
		st := stampOfLine(i*100 + 99)
		st.Nsec += 1000 // finished just after its last line
		name := rotate.ArchiveName(st, 's')
		names = append(names, name)
		var b strings.Builder
		for j := i * 100; j < i*100+100; j++ {
			b.WriteString(logLine(j))
		}
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o744))
	}
	appendLines(t, dir, 900, 950)

	atEnd := query.Position{Logdir: dir, Time: stampOfLine(99), N: 1}
	tests := []struct {
		name string
		pos  query.Position
		have bool
		keep int
		want bool
	}{
		{"nothing shipped", query.Position{}, false, 10, true},
		{"in the oldest", query.Position{Logdir: dir, Time: stampOfLine(50), N: 1}, true, 10, true},
		{"past the oldest by time", query.Position{Logdir: dir, Time: stampOfLine(150), N: 1}, true, 10, false},
		{"fewer archives than kept", query.Position{}, false, 11, false},
		{"at the end of the oldest", withFile(t, atEnd, filepath.Join(dir, names[0])), true, 10, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name, risk := atRisk(dir, tc.pos, tc.have, tc.keep)
			if risk != tc.want || risk && name != names[0] {
				t.Errorf("atRisk = %q, %v; want %v (%s)", name, risk, tc.want, names[0])
			}
		})
	}

	// And through Run: the warning comes before anything can be shipped.
	warned := make(chan *BacklogError, 10)
	cfg := testConfig(t, "127.0.0.1:1", filepath.Join(t.TempDir(), "cursor"))
	cfg.Warn = func(err error) {
		var be *BacklogError
		if errors.As(err, &be) {
			warned <- be
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := Run(ctx, cfg, []string{dir})
		done <- err
	}()
	select {
	case be := <-warned:
		if be.Archive != names[0] || be.Keep != 10 {
			t.Errorf("warning %v, want one about %s", be, names[0])
		}
		t.Logf("warning: %v", be)
	case <-time.After(time.Minute): // a hang detector
		t.Error("no backlog warning")
	}
	cancel()
	must(t, <-done)
}

// must fails the test at once on a setup error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func fileID(t *testing.T, path string) (dev, ino uint64) {
	var st syscall.Stat_t
	must(t, syscall.Stat(path, &st))
	return uint64(st.Dev), uint64(st.Ino)
}

// withFile returns p placed at the end of file path.
func withFile(t *testing.T, p query.Position, path string) query.Position {
	st, err := os.Stat(path)
	must(t, err)
	dev, ino := fileID(t, path)
	p.Dev, p.Ino, p.Offset = dev, ino, st.Size()
	return p
}

// TestPositions checks the position given to each line (query's, through
// Pull): starting from a cursor in the middle of an archive, every line,
// in that archive and in the files after it, gets its own file's inode
// and its exact end offset there, its own time and count.
func TestPositions(t *testing.T) {
	dir := newLogdir(t, "main")
	multilogLines(t, dir, 0, 1000)
	as, err := rotate.Archives(dir)
	must(t, err)
	if len(as) < 5 {
		t.Fatalf("%d archives, want 5 or more", len(as))
	}
	files := map[uint64][]byte{}
	var names []string
	for _, a := range as {
		names = append(names, a.Name)
	}
	names = append(names, "current")
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		must(t, err)
		_, ino := fileID(t, filepath.Join(dir, n))
		files[ino] = b
	}
	// Start after the 10th line of the third archive.
	third := filepath.Join(dir, as[2].Name)
	b := files[must2(fileID(t, third))]
	off, first := 0, -1
	for k := 0; k < 10; k++ {
		i := strings.IndexByte(string(b[off:]), '\n')
		if first < 0 {
			first = lineNumber(" - - - " + string(b[off+26:off+i]))
		}
		off += i + 1
	}
	start := first + 10
	dev, ino := fileID(t, third)
	cursor := filepath.Join(t.TempDir(), "cursor")
	c := query.Cursor{Positions: []query.Position{{Logdir: filepath.Clean(dir), Dev: dev, Ino: ino, Offset: int64(off), Time: stampOfLine(start - 1), N: 1}}}
	must(t, query.SaveCursor(cursor, &c))

	sh, err := newShipper(Config{Network: "relp", Addr: "127.0.0.1:1", Cursor: cursor, Once: true, Window: 2000}, []string{dir})
	must(t, err)
	must(t, sh.srcs[0].run(context.Background()))
	w := &sh.w
	if int(w.tail) != 1000-start {
		t.Fatalf("%d lines read from the cursor, want %d", w.tail, 1000-start)
	}
	exact := 0
	for seq := uint64(0); seq < w.tail; seq++ {
		m := w.slot(seq)
		i := lineNumber(string(m.msg))
		p := m.pos
		if i != start+int(seq) || p.Time != stampOfLine(i) || p.N != 1 {
			t.Fatalf("message %d: line %d at %v N %d, want line %d at %v N 1", seq, i, p.Time, p.N, start+int(seq), stampOfLine(i))
		}
		content, ok := files[p.Ino]
		switch {
		case !ok:
			t.Fatalf("line %d: position in unknown inode %d", i, p.Ino)
		case p.Offset <= int64(len(content)):
			if !strings.HasSuffix(string(content[:p.Offset]), logLine(i)) {
				t.Fatalf("line %d: offset %d of inode %d is not the end of the line", i, p.Offset, p.Ino)
			}
			exact++
		default:
			t.Fatalf("line %d: offset %d past the end of inode %d (%d bytes)", i, p.Offset, p.Ino, len(content))
		}
	}
	// query's own position, given to the last line: the end of the file
	// that holds it (current, or the newest archive if current is empty).
	if last := w.slot(w.tail - 1).pos; last.Ino == ino || last.Offset != int64(len(files[last.Ino])) {
		t.Errorf("last line at inode %d offset %d, want the end of its own file", last.Ino, last.Offset)
	}
	if exact != int(w.tail) {
		t.Errorf("%d lines, %d with their exact offset", w.tail, exact)
	}
}

func must2(_, ino uint64) uint64 { return ino }

// TestCommitErrorSaysItsStepOnce: a cursor that cannot be saved is
// reported as "unable to save cursor FILE, pausing 1s: ...", naming the
// step once, not "save cursor FILE: save cursor FILE: ..." (commit's error
// already carried its step, and the commit loop wrapped it again).
func TestCommitErrorSaysItsStepOnce(t *testing.T) {
	_, dir, cfg := shipSetup(t, 100)
	cursor := cfg.Cursor
	var mu sync.Mutex
	var warnings []string
	cfg.Warn = func(err error) {
		mu.Lock()
		warnings = append(warnings, fault.Describe(err))
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := Run(ctx, cfg, []string{dir}); done <- err }()
	// Once the first save is done (Run stops at once if it fails), a
	// directory at cursor.new, which SaveCursor writes first, makes every
	// later save fail; more lines make the commit loop save again.
	testkit.WaitFor(t, "the first save", func() bool {
		_, err := os.Stat(cursor)
		return err == nil && os.Mkdir(cursor+".new", 0o755) == nil
	})
	appendLines(t, dir, 100, 200)
	testkit.WaitFor(t, "a warning", func() bool { mu.Lock(); defer mu.Unlock(); return len(warnings) > 0 })
	cancel()
	err := <-done
	mu.Lock()
	defer mu.Unlock()
	texts := warnings
	if err != nil {
		texts = append(texts, fault.Describe(err))
	}
	saves := 0
	for _, s := range texts {
		if n := strings.Count(s, "save cursor"); n > 1 {
			t.Errorf("%q names its step %d times", s, n)
		} else if n == 1 {
			saves++
		}
	}
	if saves == 0 {
		t.Errorf("no failed save reported: warnings %q, error %v", warnings, err)
	}
}

// TestShipStepBackCompressed: ship's cursor is in current; current is
// then finished and compressed before the next run, and the clock had
// stepped back, so the next current's lines are stamped before the
// cursor's. The next run ships exactly the lines after the cursor: it
// finds the file compressed and reads every file after it whole.
func TestShipStepBackCompressed(t *testing.T) {
	srv, dir, cfg := shipSetup(t, 100)
	cfg.Once = true
	_, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)

	// More lines, then the step back: multilog rotates current, whose
	// archive is compressed, and goes on stamping an hour earlier.
	appendLines(t, dir, 100, 110)
	cur := filepath.Join(dir, "current")
	data, err := os.ReadFile(cur)
	must(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	must(t, zw.Close())
	name := rotate.ArchiveName(stampOfLine(110), 's')
	must(t, os.WriteFile(filepath.Join(dir, name+".gz"), gz.Bytes(), 0o744))
	must(t, os.Remove(cur))
	var b strings.Builder
	for i := 110; i < 120; i++ {
		b.WriteString(stampOfLine(i-3600e3).String() + " " + lineText(i) + "\n")
	}
	must(t, os.WriteFile(cur, []byte(b.String()), 0o644))

	st, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)
	if st.Acked != 20 {
		t.Errorf("second run: Acked = %d, want 20", st.Acked)
	}
	checkDelivery(t, srv, 120)
}
