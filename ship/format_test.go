package ship

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mlog/mlog/tai64"
)

func TestFormat(t *testing.T) {
	read := tai64.FromUnix(1767225600, 123456789) // 2026-01-01T00:00:00.123456789Z
	label := tai64.FromUnix(1767312245, 999999500).String()
	tests := []struct {
		name     string
		pri      int
		host     string
		app      string
		max      int
		line     string
		want     string
		stamped  bool
		readTime tai64.Time
	}{
		{
			name: "stamped", pri: 14, host: "mx1", app: "smtpd",
			line: label + " tcpserver: status: 1/40", stamped: true,
			want: "<14>1 2026-01-02T00:04:05.999999Z mx1 smtpd - - - tcpserver: status: 1/40",
		},
		{
			name: "label without space", pri: 14, host: "mx1", app: "smtpd",
			line: label + "x", stamped: true,
			want: "<14>1 2026-01-02T00:04:05.999999Z mx1 smtpd - - - x",
		},
		{
			name: "label alone", pri: 14, host: "mx1", app: "smtpd",
			line: label, stamped: true,
			want: "<14>1 2026-01-02T00:04:05.999999Z mx1 smtpd - - - ",
		},
		{
			name: "no label takes the read time", pri: 22, host: "mx1", app: "send",
			line: "no label here", readTime: read,
			want: "<22>1 2026-01-01T00:00:00.123456Z mx1 send - - - no label here",
		},
		{
			name: "empty fields are nil", pri: 191, line: label + " a", stamped: true,
			want: "<191>1 2026-01-02T00:04:05.999999Z - - - - - a",
		},
		{
			name: "header fields sanitised", pri: 14, host: "my host\x01", app: "app name",
			line: label + " a", stamped: true,
			want: "<14>1 2026-01-02T00:04:05.999999Z my_host_ app_name - - - a",
		},
		{
			name: "app cut to 48", pri: 14, host: "h", app: "0123456789012345678901234567890123456789012345678901234",
			line: label + " a", stamped: true,
			want: "<14>1 2026-01-02T00:04:05.999999Z h 012345678901234567890123456789012345678901234567 - - - a",
		},
		{
			name: "cut to max", pri: 14, host: "h", app: "a", max: 52,
			line: label + " 0123456789", stamped: true,
			want: "<14>1 2026-01-02T00:04:05.999999Z h a - - - 01234567",
		},
		{
			name: "max shorter than the header", pri: 14, host: "h", app: "a", max: 10,
			line: label + " 0123456789", stamped: true,
			want: "<14>1 2026-01-02T00:04:05.999999Z h a - - - ",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFormatter(tc.pri, tc.host, tc.app, tc.max)
			tm := tc.readTime
			if tc.stamped {
				var err error
				if tm, _, err = tai64.Parse([]byte(tc.line)); err != nil {
					t.Fatal(err)
				}
			}
			n := 0
			if tc.stamped {
				n = tai64.LabelLen
			}
			got := string(f.append(nil, []byte(tc.line), tm, n))
			if got != tc.want {
				t.Errorf("append(%q) =\n%q, want\n%q", tc.line, got, tc.want)
			}
		})
	}
}

// TestClock compares the RFC 3339 text with time.Format's over seconds
// spread from 1970 to 9999, each formatted twice (the second from the
// cached second) and in a shuffled order.
func TestClock(t *testing.T) {
	var c clock
	secs := []int64{0, -1, 86399, 86400, 951782400, 951868800, 1767225599, 1767225600, 4102444800, 253402300799, -62135596800}
	for i := int64(0); i < 2000; i++ {
		secs = append(secs, (i*7919*104729*13)%253402300799)
	}
	for _, sec := range secs {
		for _, nsec := range []int32{0, 999, 1000, 500000500, 999999999} {
			tm := tai64.FromUnix(sec, nsec)
			want := time.Unix(sec, int64(nsec)).UTC().Format("2006-01-02T15:04:05.000000Z")
			for range 2 {
				if got := string(c.appendRFC3339(nil, tm)); got != want {
					t.Fatalf("appendRFC3339(%d, %d) = %q, want %q", sec, nsec, got, want)
				}
			}
		}
	}
}

// TestClockClamps: what RFC 3339 cannot write is clamped to its ends.
func TestClockClamps(t *testing.T) {
	var c clock
	for _, tc := range []struct {
		t    tai64.Time
		want string
	}{
		{tai64.Time{Sec: tai64.Epoch + 1767225600, Nsec: 0xffffffff}, "2026-01-01T00:00:00.999999Z"},
		{tai64.Time{Sec: tai64.Epoch + 1767225600, Nsec: 1e9}, "2026-01-01T00:00:00.999999Z"},
		{tai64.FromUnix(maxRFC3339+86400*400, 5000), "9999-12-31T23:59:59.000005Z"},
		{tai64.FromUnix(minRFC3339-1, 0), "0000-01-01T00:00:00.000000Z"},
		{tai64.Time{}, "0000-01-01T00:00:00.000000Z"},
	} {
		if got := string(c.appendRFC3339(nil, tc.t)); got != tc.want {
			t.Errorf("appendRFC3339(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestParsePriority(t *testing.T) {
	tests := []struct {
		in   string
		fac  bool
		want int
		ok   bool
	}{
		{"user", true, 1, true},
		{"LOCAL7", true, 23, true},
		{"mail", true, 2, true},
		{"23", true, 23, true},
		{"24", true, 0, false},
		{"cron2", true, 15, true},
		{"info", false, 6, true},
		{"warn", false, 4, true},
		{"error", false, 3, true},
		{"7", false, 7, true},
		{"8", false, 0, false},
		{"", false, 0, false},
		{"bogus", true, 0, false},
	}
	for _, tc := range tests {
		parse := ParseSeverity
		if tc.fac {
			parse = ParseFacility
		}
		got, err := parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parse(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestFormatAllocs(t *testing.T) {
	f := newFormatter(14, "mx1.example.org", "smtpd", DefaultMaxSize)
	line := []byte(tai64.FromUnix(1767225600, 5000).String() + " info msg 123456: bytes 2391 from <alice@example.org> qp 4242 uid 89")
	tm, _, _ := tai64.Parse(line)
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(1000, func() {
		tm.Nsec += 1000
		dst = f.append(dst[:0], line, tm, tai64.LabelLen)
	}); n != 0 {
		t.Fatalf("allocs per message = %v, want 0", n)
	}
}

func BenchmarkFormat(b *testing.B) {
	f := newFormatter(14, "mx1.example.org", "smtpd", DefaultMaxSize)
	line := []byte(tai64.FromUnix(1767225600, 5000).String() + " info msg 123456: bytes 2391 from <alice@example.org> qp 4242 uid 89")
	tm, _, _ := tai64.Parse(line)
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)) + 1)
	for b.Loop() {
		tm.Nsec += 1000 // a busy log: many lines a second
		if tm.Nsec >= 1e9 {
			tm.Nsec -= 1e9
			tm.Sec++
		}
		dst = f.append(dst[:0], line, tm, tai64.LabelLen)
	}
}

// BenchmarkFrame is the per-line path of a RELP session: the message and
// its frame header into the send buffer.
func BenchmarkFrame(b *testing.B) {
	f := newFormatter(14, "mx1.example.org", "smtpd", DefaultMaxSize)
	line := []byte(tai64.FromUnix(1767225600, 5000).String() + " info msg 123456: bytes 2391 from <alice@example.org> qp 4242 uid 89")
	tm, _, _ := tai64.Parse(line)
	msg := make([]byte, 0, 256)
	buf := make([]byte, 0, sendBufSize+4096)
	var txnr uint32
	b.ReportAllocs()
	b.SetBytes(int64(len(line)) + 1)
	for b.Loop() {
		msg = f.append(msg[:0], line, tm, tai64.LabelLen)
		txnr++
		buf = appendFrameHeader(buf, txnr, "syslog", len(msg))
		buf = append(buf, msg...)
		buf = append(buf, '\n')
		if len(buf) >= sendBufSize {
			buf = buf[:0]
		}
	}
}

// sinkRELP is a RELP server that acknowledges every message and keeps
// nothing, for benchmarks: it allocates nothing per message.
func sinkRELP(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fr := frameReader{r: bufio.NewReaderSize(c, 64<<10)}
				bw := bufio.NewWriterSize(c, 16<<10)
				var out []byte
				for {
					txnr, cmd, _, err := fr.next()
					if err != nil {
						return
					}
					switch string(cmd) {
					case "open":
						out = appendFrame(out[:0], txnr, "rsp", []byte("200 OK\ncommands=syslog"))
					case "close":
						out = appendFrame(out[:0], txnr, "rsp", nil)
					default:
						out = appendFrame(out[:0], txnr, "rsp", []byte("200 OK"))
					}
					bw.Write(out)
					if fr.r.Buffered() == 0 {
						bw.Flush()
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkShip ships b.N lines of a logdir to a RELP server in the same
// process that acknowledges each message: one op is one line, read,
// formatted, framed, sent and acknowledged, the cursor committed.
func BenchmarkShip(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "main")
	if err := os.Mkdir(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "current"))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	size := 0
	for i := range b.N {
		l := stampOfLine(i).String() + " info msg 123456: bytes 2391 from <alice@example.org> qp 4242 uid 89\n"
		size += len(l)
		w.WriteString(l)
	}
	w.Flush()
	f.Close()
	cfg := Config{Network: "relp", Addr: sinkRELP(b), Hostname: "mx1", Cursor: filepath.Join(b.TempDir(), "cursor"), Once: true}
	b.SetBytes(int64(size / b.N))
	b.ReportAllocs()
	b.ResetTimer()
	st, err := Run(context.Background(), cfg, []string{dir})
	b.StopTimer()
	if err != nil || st.Acked != int64(b.N) {
		b.Fatalf("Run: acked %d of %d: %v", st.Acked, b.N, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
