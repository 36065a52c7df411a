package qmail

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mlog/mlog/tai64"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Kind
		check    func(l *Line) bool
	}{
		{"new", "new msg 4194304", NewMsg, func(l *Line) bool { return l.Msg == 4194304 }},
		{"info", "info msg 4194304: bytes 2391 from <alice@example.org> qp 4242 uid 89", InfoMsg,
			func(l *Line) bool {
				return l.Msg == 4194304 && l.Bytes == 2391 && string(l.Addr) == "alice@example.org" && l.Qp == 4242 && l.Uid == 89
			}},
		{"info bounce", "info msg 7: bytes 1 from <> qp 1 uid 2", InfoMsg, func(l *Line) bool { return len(l.Addr) == 0 }},
		{"start remote", "starting delivery 12: msg 4194304 to remote bob@example.com", StartDelivery,
			func(l *Line) bool {
				return l.Delivery == 12 && l.Msg == 4194304 && l.Remote && string(l.Addr) == "bob@example.com"
			}},
		{"start local", "starting delivery 1: msg 5 to local example.org-bob@example.org", StartDelivery,
			func(l *Line) bool { return !l.Remote && string(l.Addr) == "example.org-bob@example.org" }},
		{"success", "delivery 12: success: did_0+0+1/", DeliveryDone, func(l *Line) bool { return l.Result == Success && string(l.Reason) == "did_0+0+1/" }},
		{"failure", "delivery 3: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/", DeliveryDone, func(l *Line) bool { return l.Result == Failure }},
		{"deferral", "delivery 3: deferral: x/", DeliveryDone, func(l *Line) bool { return l.Result == Deferral && string(l.Reason) == "x/" }},
		{"bounce", "bounce msg 5 qp 77", BounceMsg, func(l *Line) bool { return l.Msg == 5 && l.Qp == 77 }},
		{"triple", "triple bounce: discarding bounce/5", TripleBounce, func(l *Line) bool { return l.Msg == 5 }},
		{"end", "end msg 5", EndMsg, func(l *Line) bool { return l.Msg == 5 }},
		{"status", "status: local 2/10 remote 7/20", Status, func(l *Line) bool { return l.N == 2 && l.Max == 10 && l.N2 == 7 && l.Max2 == 20 }},
		{"exiting", "status: exiting", Exiting, nil},
		{"warning", "warning: trouble opening remote/3/5", SendNote, nil},
		{"tcp status", "tcpserver: status: 3/40", TCPStatus, func(l *Line) bool { return l.N == 3 && l.Max == 40 }},
		{"tcp pid", "tcpserver: pid 2001 from 192.0.2.1", TCPPid, func(l *Line) bool { return l.Pid == 2001 && string(l.Host) == "192.0.2.1" }},
		{"tcp ok", "tcpserver: ok 2001 mail.example.org:192.0.2.25:25 mx1.example.com:198.51.100.3::4000", TCPOk,
			func(l *Line) bool { return string(l.Host) == "198.51.100.3" }},
		{"tcp deny", "tcpserver: deny 2001 mail.example.org:192.0.2.25:25 :198.51.100.3::4000", TCPDeny, nil},
		{"tcp end", "tcpserver: end 2001 status 256", TCPEnd, func(l *Line) bool { return l.Pid == 2001 && l.N2 == 256 }},
		{"rbl", "rblsmtpd: 192.0.2.9 pid 2002: 451 http://x", RBL, func(l *Line) bool { return string(l.Host) == "192.0.2.9" && l.Pid == 2002 }},
		{"cut new", "new msg 41943", NewMsg, nil},
		{"junk", "hello world", Unknown, nil},
		{"short", "new", Unknown, nil},
		{"bad num", "new msg 12x", Unknown, nil},
		{"huge num", "new msg 123456789012345678901234", Unknown, nil},
		{"delivery no result", "delivery 3: maybe: x", Unknown, nil},
		{"status cut", "status: local 2/10 remo", Unknown, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l Line
			if got := Parse([]byte(tc.in), &l); got != tc.want {
				t.Fatalf("Parse(%q) = %v, want %v", tc.in, got, tc.want)
			}
			if tc.check != nil && !tc.check(&l) {
				t.Errorf("Parse(%q) = %+v", tc.in, l)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range benchLines {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var l Line
		Parse(b, &l)
	})
}

// benchLines is one message's life and an SMTP session, repeated by the
// allocation guard and the benchmark.
var benchLines = []string{
	"tcpserver: status: 1/40",
	"tcpserver: pid 2001 from 192.0.2.1",
	"tcpserver: ok 2001 mail.example.org:192.0.2.25:25 mx1.example.com:198.51.100.3::4000",
	"new msg 4194304",
	"info msg 4194304: bytes 2391 from <alice@example.org> qp 4242 uid 89",
	"tcpserver: end 2001 status 0",
	"starting delivery 12: msg 4194304 to remote bob@example.com",
	"starting delivery 13: msg 4194304 to local example.org-carol@example.org",
	"status: local 1/10 remote 1/20",
	"delivery 13: success: did_0+0+1/",
	"delivery 12: deferral: Connected_to_203.0.113.5_but_greeting_failed./Remote_host_said:_421_4.7.0_Try_again_later,_closing_connection./",
	"starting delivery 14: msg 4194304 to remote bob@example.com",
	"delivery 14: success: 203.0.113.5_accepted_message./Remote_host_said:_250_2.0.0_Ok:_queued_as_ABC/",
	"end msg 4194304",
	"rblsmtpd: 192.0.2.9 pid 2002: 451 http://www.spamhaus.org/query/bl?ip=192.0.2.9",
	"something else entirely",
}

func TestCollectorAllocs(t *testing.T) {
	t.Run("counting at once", func(t *testing.T) { collectorAllocs(t, false) })
	t.Run("counting in the background", func(t *testing.T) { collectorAllocs(t, true) })
}

func collectorAllocs(t *testing.T, background bool) {
	c := NewCollector(nil, 0)
	if background {
		defer c.background()()
	}
	lines := make([][]byte, len(benchLines))
	for i, s := range benchLines {
		lines[i] = []byte(s)
	}
	tm := tai64.Time{Sec: tai64.Epoch + 1700000000}
	run := func() {
		for _, l := range lines {
			tm.Nsec += 1000
			c.Add(tm, true, l)
		}
	}
	// The delay samples grow with the log; give them room first, as a
	// long run has after its first doublings.
	c.delays = make([]time.Duration, 0, 1<<16)
	c.queue = make([]time.Duration, 0, 1<<16)
	run()
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Fatalf("allocs per %d lines = %v, want 0", len(lines), n)
	}
}

func BenchmarkCollector(b *testing.B) {
	c := NewCollector(nil, time.Hour)
	lines := make([][]byte, len(benchLines))
	size := 0
	for i, s := range benchLines {
		lines[i] = []byte(s)
		size += len(s) + 26
	}
	tm := tai64.Time{Sec: tai64.Epoch + 1700000000}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, l := range lines {
			tm.Nsec += 1000
			c.Add(tm, true, l)
		}
		if len(c.delays) > 1<<20 {
			c.delays, c.queue = c.delays[:0], c.queue[:0]
		}
	}
}

// TestCollectAllocsPerLine: a run's allocations, through query, the pipe
// between the goroutines and the background counting, do not grow with
// the lines it reads, but for the growth of its delay samples. (It found
// the background counting's buffers coming back empty of capacity.)
func TestCollectAllocsPerLine(t *testing.T) {
	allocs := func(rounds int) float64 {
		dir := t.TempDir()
		var b bytes.Buffer
		tm := tai64.FromUnix(1767225600, 500)
		for range rounds {
			for _, l := range benchLines {
				tm.Nsec += 1000
				b.WriteString(tm.String() + " " + l + "\n")
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "current"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(3, func() {
			if _, err := Collect(context.Background(), Config{}, []string{dir}); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, big := allocs(100), allocs(10000) // 100 times the lines
	// The delays' and queue times' slices grow by a quarter at a time
	// once large: 2 x log(100)/log(1.25), about 41 more; one allocation
	// per thousand lines would be 158 more.
	if big > small+50 {
		t.Errorf("allocs: %v for %d lines, %v for %d: want no allocation per line", small, 100*len(benchLines), big, 10000*len(benchLines))
	}
}
