package ship

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/rotate"
)

// rsyslog is a real rsyslogd on loopback, started by a test with its own
// configuration: imrelp (and imtcp) on 127.0.0.1, every message's MSG into
// a file, nothing else (no imuxsock, no imklog, its own work directory).
type rsyslog struct {
	t        *testing.T
	bin      string // rsyslogd
	dir      string
	conf     string
	out      string // the output file
	relpPort int
	tcpPort  int
	cmd      *exec.Cmd
	stderr   *bytes.Buffer
}

// needRsyslog returns the rsyslogd binary, or skips the test when it or
// its RELP module is missing (fails it when CI is set, as every
// differential test here does).
func needRsyslog(t *testing.T) string {
	t.Helper()
	missing := func(what string) { testkit.Missing(t, "%s is missing (apt-get install rsyslog rsyslog-relp)", what) }
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		bin = "/usr/sbin/rsyslogd"
		if _, err := os.Stat(bin); err != nil {
			missing("rsyslogd")
		}
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "check.conf")
	os.WriteFile(conf, []byte(`module(load="imrelp")`+"\n"+`action(type="omfile" file="`+dir+`/out")`+"\n"), 0o644)
	if out, err := exec.Command(bin, "-N1", "-f", conf).CombinedOutput(); err != nil {
		t.Logf("rsyslogd -N1: %v\n%s", err, out)
		missing("rsyslog's imrelp module")
	}
	return bin
}

// newRsyslog starts an rsyslogd listening for RELP and TCP on free ports,
// or skips the test as needRsyslog does.
func newRsyslog(t *testing.T) *rsyslog {
	bin := needRsyslog(t)
	dir := t.TempDir()
	r := &rsyslog{t: t, bin: bin, dir: dir, out: filepath.Join(dir, "out.log"), relpPort: testkit.FreePort(t), tcpPort: testkit.FreePort(t)}
	must(t, os.Mkdir(filepath.Join(dir, "work"), 0o700))
	// The main queue is direct: a message is written to the file before
	// imrelp answers for it, so that what was acknowledged is in the file
	// even when rsyslogd is stopped right after.
	conf := `global(workDirectory="` + dir + `/work" maxMessageSize="64k")
main_queue(queue.type="Direct")
module(load="imrelp")
module(load="imtcp")
template(name="msgonly" type="string" string="%msg%\n")
ruleset(name="shipped") {
	action(type="omfile" file="` + r.out + `" template="msgonly")
}
input(type="imrelp" address="127.0.0.1" port="` + strconv.Itoa(r.relpPort) + `" ruleset="shipped")
input(type="imtcp" address="127.0.0.1" port="` + strconv.Itoa(r.tcpPort) + `" ruleset="shipped")
`
	r.conf = filepath.Join(dir, "rsyslog.conf")
	must(t, os.WriteFile(r.conf, []byte(conf), 0o644))
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *rsyslog) start() {
	r.t.Helper()
	r.stderr = new(bytes.Buffer)
	r.cmd = exec.Command(r.bin, "-n", "-f", r.conf, "-i", filepath.Join(r.dir, "rsyslogd.pid"))
	r.cmd.Stdout, r.cmd.Stderr = r.stderr, r.stderr
	must(r.t, r.cmd.Start())
}

// stop stops rsyslogd with TERM, as an init system does, and waits.
func (r *rsyslog) stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		r.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
	if s := strings.TrimSpace(r.stderr.String()); s != "" {
		r.t.Logf("rsyslogd said:\n%s", s)
	}
	r.cmd = nil
}

// counts returns how many times each line number is in the output.
// duplicates fails the test for each of lines [0, n) that is not in
// rsyslogd's file, and returns how many lines are there more than once.
func (r *rsyslog) duplicates(n int) int {
	r.t.Helper()
	c := r.counts()
	dups := 0
	for i := range n {
		switch {
		case c[i] == 0:
			r.t.Errorf("line %d never arrived", i)
		case c[i] > 1:
			dups += c[i] - 1
		}
	}
	return dups
}

func (r *rsyslog) counts() map[int]int {
	c := map[int]int{}
	f, err := os.Open(r.out)
	if err != nil {
		return c
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if n := lineNumber(" - - - " + sc.Text()); n >= 0 {
			c[n]++
		}
	}
	return c
}

// waitLines waits until n distinct lines are in the output, polling it:
// rsyslogd tells nothing else.
func (r *rsyslog) waitLines(n int, d time.Duration) map[int]int {
	r.t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c := r.counts()
		if len(c) >= n {
			return c
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("rsyslog: %d lines in %v, want %d", len(c), d, n)
		}
		<-tick.C
	}
}

// ackLedger records, across ship restarts, the lines acknowledged and any
// line sent again after its acknowledgement.
type ackLedger struct {
	mu      sync.Mutex
	acked   map[int]bool
	sent    int
	resent  int // sent again while not acknowledged: allowed
	badSent []int
}

func (l *ackLedger) install(t *testing.T) {
	l.acked = map[int]bool{}
	seen := map[int]bool{}
	testHookSent = func(msg []byte) {
		n := lineNumber(string(msg))
		l.mu.Lock()
		defer l.mu.Unlock()
		l.sent++
		if l.acked[n] {
			l.badSent = append(l.badSent, n)
		} else if seen[n] {
			l.resent++
		}
		seen[n] = true
	}
	testHookAcked = func(msg []byte) {
		n := lineNumber(string(msg))
		l.mu.Lock()
		l.acked[n] = true
		l.mu.Unlock()
	}
	t.Cleanup(func() { testHookSent, testHookAcked = nil, nil })
}

// TestRsyslog ships a logdir that multilog keeps writing and rotating to a
// real rsyslogd over RELP, restarts rsyslogd in the middle and ship in the
// middle, and counts: every line arrives, and none is sent again once
// rsyslogd acknowledged it.
func TestRsyslog(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 20000
	r := newRsyslog(t)
	var ledger ackLedger
	ledger.install(t)

	dir := newLogdir(t, "smtpd")
	multilogLines(t, dir, 0, n/4)
	// The rest arrives while ship runs, 100 lines every 10 ms, rotating
	// every ~750 lines (s65536).
	writer := make(chan struct{})
	go func() {
		defer close(writer)
		d, err := rotate.Open(dir, rotate.Config{Size: 65536, Num: 1000})
		if err != nil {
			t.Error(err)
			return
		}
		defer d.Close()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := n / 4; i < n; i++ {
			d.Write([]byte(logLine(i)))
			if i%100 == 0 {
				d.Flush()
				<-tick.C
			}
		}
	}()

	cursor := filepath.Join(t.TempDir(), "cursor")
	cfg := testConfig(t, "127.0.0.1:"+strconv.Itoa(r.relpPort), cursor)
	cfg.Hostname = "mx1"
	cfg.Keep = 1000
	cfg.Backoff, cfg.BackoffMax = 20*time.Millisecond, 200*time.Millisecond
	start := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := Run(ctx, cfg, []string{dir})
			done <- err
		}()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	began := time.Now()
	stopShip := start()

	r.waitLines(n/3, 20*time.Second)
	t.Logf("%v: %d lines in rsyslog; restarting rsyslogd", time.Since(began), len(r.counts()))
	r.stop()
	r.start()

	r.waitLines(2*n/3, 20*time.Second)
	t.Logf("%v: %d lines in rsyslog; restarting ship", time.Since(began), len(r.counts()))
	stopShip()
	stopShip = start()

	<-writer
	r.waitLines(n, 30*time.Second)
	stopShip()
	t.Logf("%v: all %d lines in rsyslog", time.Since(began), n)
	r.stop()
	dups := r.duplicates(n)
	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	if len(ledger.badSent) > 0 {
		t.Errorf("%d lines sent again after rsyslogd acknowledged them, e.g. %v", len(ledger.badSent), ledger.badSent[:min(10, len(ledger.badSent))])
	}
	t.Logf("%d messages sent for %d lines; %d sent again unacknowledged; %d duplicates in rsyslog's file", ledger.sent, n, ledger.resent, dups)
	if dups > ledger.resent {
		t.Errorf("%d duplicates in rsyslog's file, but only %d messages were sent again", dups, ledger.resent)
	}
}

// TestRsyslogTCP ships to the same rsyslogd over TCP (octet counting):
// with the collector up, every line arrives once.
func TestRsyslogTCP(t *testing.T) {
	r := newRsyslog(t)
	dir := newLogdir(t, "main")
	multilogLines(t, dir, 0, 3000)
	cfg := testConfig(t, "127.0.0.1:"+strconv.Itoa(r.tcpPort), filepath.Join(t.TempDir(), "cursor"))
	cfg.Network = "tcp"
	cfg.Once = true
	cfg.Keep = 1000
	cfg.Backoff = 20 * time.Millisecond
	began := time.Now()
	_, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)
	t.Logf("Run: %v", time.Since(began))
	c := r.waitLines(3000, 20*time.Second)
	t.Logf("waitLines: %v", time.Since(began))
	for i := range 3000 {
		if c[i] != 1 {
			t.Fatalf("line %d arrived %d times", i, c[i])
		}
	}
}

// TestMain lets the test binary act as a ship process (with
// SHIP_TEST_CHILD set), so that a test can kill it with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("SHIP_TEST_CHILD") == "1" {
		os.Exit(childShip())
	}
	os.Exit(m.Run())
}

// childShip runs Run with the arguments after "--": NETWORK ADDR CURSOR
// LOGDIR..., until TERM.
func childShip() int {
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cfg := Config{Network: args[0], Addr: args[1], Cursor: args[2], Hostname: "child", Keep: 1000,
		Backoff: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond, Poll: 20 * time.Millisecond,
		Warn: func(err error) { os.Stderr.WriteString("ship: warning: " + err.Error() + "\n") }}
	if _, err := Run(ctx, cfg, args[3:]); err != nil {
		os.Stderr.WriteString("ship: fatal: " + err.Error() + "\n")
		return 111
	}
	return 0
}

// TestRsyslogKill kills ship with SIGKILL twice while it catches up with
// a backlog, and restarts it: every line arrives, and no line the cursor
// had committed at a kill arrives again. (How many were sent and not
// committed at a kill depends on how long the commit's fsync took then: a
// bound on their number, once 2 windows per kill, failed on a loaded
// machine, on main as well.)
func TestRsyslogKill(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 30000
	r := newRsyslog(t)
	dir := newLogdir(t, "smtpd")
	multilogLines(t, dir, 0, n)
	cursor := filepath.Join(t.TempDir(), "cursor")
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "relp", "127.0.0.1:"+strconv.Itoa(r.relpPort), cursor, dir)
		cmd.Env = append(os.Environ(), "SHIP_TEST_CHILD=1")
		cmd.Stderr = os.Stderr
		must(t, cmd.Start())
		return cmd
	}
	kills := 0
	var committed []int // per kill, the last line the cursor had committed
	for _, at := range []int{n / 4, n / 2} {
		cmd := start()
		r.waitLines(at, 20*time.Second)
		cmd.Process.Kill()
		cmd.Wait()
		kills++
		last := -1
		if c := readCursor(t, cursor); len(c.Positions) == 1 {
			sec, nsec := c.Positions[0].Time.Unix()
			last = int((sec-base)*1000 + int64(nsec)/1e6)
		}
		committed = append(committed, last)
	}
	cmd := start()
	r.waitLines(n, 20*time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("ship after TERM: %v", err)
	}
	r.stop()
	dups := r.duplicates(n)
	c := r.counts()
	t.Logf("%d lines, %d kills (committed up to lines %v): %d duplicates in rsyslog's file", n, kills, committed, dups)
	for i := range n {
		resent := 0 // the kills after which line i could be sent again
		for _, last := range committed {
			if i > last {
				resent++
			}
		}
		if c[i]-1 > resent {
			t.Errorf("line %d arrived %d times, though the cursor had it committed at %d of %d kills", i, c[i], kills-resent, kills)
		}
	}
}
