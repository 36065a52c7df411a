package qmail

import (
	"bytes"
	"testing"
	"time"

	"github.com/mlog/mlog/tai64"
)

func at(sec int64) tai64.Time { return tai64.FromUnix(1767312000+sec, 500) } // 2026-01-02T00:00:00Z + sec

// TestSeries: --by counts each line in the bucket of its time, empty
// buckets included, aligned to the bucket width in UTC.
func TestSeries(t *testing.T) {
	c := NewCollector(nil, time.Hour)
	c.Add(at(10), true, []byte("new msg 1"))
	c.Add(at(20), true, []byte("info msg 1: bytes 100 from <a@b> qp 1 uid 2"))
	c.Add(at(30), true, []byte("starting delivery 1: msg 1 to remote x@y"))
	c.Add(at(2*3600+5), true, []byte("delivery 1: deferral: later/"))
	c.Add(at(2*3600+6), true, []byte("tcpserver: pid 4 from 192.0.2.1"))
	s := c.Stats()
	want := []Bucket{
		{Time: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Messages: 1, Bytes: 100},
		{Time: time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC)},
		{Time: time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC), Deferral: 1, Connections: 1},
	}
	if len(s.Series) != len(want) {
		t.Fatalf("series = %+v, want %+v", s.Series, want)
	}
	for i := range want {
		if s.Series[i] != want[i] {
			t.Errorf("bucket %d = %+v, want %+v", i, s.Series[i], want[i])
		}
	}
	if s.DeliveryDelay.N != 1 || s.DeliveryDelay.Max != 2*time.Hour-25*time.Second {
		t.Errorf("delivery delay = %+v", s.DeliveryDelay)
	}
}

// TestJoinEdges: the joiner's honest edges, line by line.
func TestJoinEdges(t *testing.T) {
	c := NewCollector(nil, 0)
	lines := []string{
		"delivery 7: success: did_0+0+1/", // started before the lines
		"end msg 5",                       // queued before the lines
		"starting delivery 8: msg 6 to local a@example.org", // msg 6 queued before
		"new msg 9",
		"new msg 9", // id reused with no end msg
		"starting delivery 1: msg 9 to remote b@example.com",
		"status: exiting", // delivery 1's result is lost
		"delivery 1: success: x/",
		"hello",
	}
	for i, l := range lines {
		c.Add(at(int64(i)), true, []byte(l))
	}
	c.Add(at(99), false, []byte("rest of a cut line"))
	s := c.Stats()
	for _, x := range []struct {
		name      string
		got, want int64
	}{
		{"results unstarted", s.ResultsUnstarted, 2}, // delivery 7, and delivery 1 after the restart
		{"ended unstarted", s.EndedUnstarted, 1},
		{"unended", s.Unended, 1},
		{"restarts", s.Restarts, 1},
		{"abandoned", s.Abandoned, 2},        // deliveries 8 and 1
		{"open messages", s.OpenMessages, 2}, // 6 and 9
		{"open deliveries", s.OpenDeliveries, 0},
		{"unknown", s.Unknown, 1},
		{"cut", s.Cut, 1},
		{"success", s.Success, 2},
		{"delays", s.DeliveryDelay.N, 0},
	} {
		if x.got != x.want {
			t.Errorf("%s = %d, want %d", x.name, x.got, x.want)
		}
	}
}

// FuzzCollect: any lines, in any order, and a cursor's save and restore
// in the middle, never panic, and the open counts stay sane.
func FuzzCollect(f *testing.F) {
	var all []byte
	for _, s := range benchLines {
		all = append(append(all, s...), '\n')
	}
	f.Add(all)
	f.Add([]byte("delivery 1: success: x\nstarting delivery 1: msg 2 to local a\nend msg 2\nstatus: exiting\nnew msg 2\nnew msg 2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewCollector(nil, time.Minute)
		lines := bytes.Split(b, []byte{'\n'})
		for i, l := range lines {
			c.Add(at(int64(i)), len(l) == 0 || l[0] != ' ', l)
			if i == len(lines)/2 {
				var st State
				c.Joiner().Save(&st)
				j := NewJoiner()
				j.Restore(&st)
				c.j = j
			}
		}
		s := c.Stats()
		if s.OpenMessages < 0 || s.OpenDeliveries < 0 {
			t.Fatalf("open counts %d %d", s.OpenMessages, s.OpenDeliveries)
		}
		for _, m := range c.j.msgs {
			if m.open < 0 {
				t.Fatalf("msg %d has %d deliveries open", m.ID, m.open)
			}
		}
	})
}
