package qmail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/benchmarks/smtplog"
	"github.com/mlog/mlog/multilog"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/rotate/compress"
	"github.com/mlog/mlog/tai64"
)

// ledger is the generator's truth.
type ledger struct {
	msgs  []*smtplog.LedgerMsg
	lines []*smtplog.LedgerLine
}

// generate makes a log of about size bytes of qmail-send's lines (send)
// and tcpserver's (smtpd) with the truth about them; setup, if given, is
// applied to the generator first.
func generate(t testing.TB, seed uint64, size int64, setup ...func(*smtplog.Queue)) (send, smtpd []byte, led *ledger) {
	var sb, tb, lb bytes.Buffer
	q := smtplog.NewQueue(seed, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), true, &lb)
	for _, f := range setup {
		f(q)
	}
	if err := q.Write(&sb, &tb, size); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	led = &ledger{}
	sc := bufio.NewScanner(&lb)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var kind struct{ Type string }
		json.Unmarshal(sc.Bytes(), &kind)
		switch kind.Type {
		case "msg":
			m := &smtplog.LedgerMsg{}
			if err := json.Unmarshal(sc.Bytes(), m); err != nil {
				t.Fatal(err)
			}
			if m.New != "" {
				led.msgs = append(led.msgs, m)
			}
		case "line":
			l := &smtplog.LedgerLine{}
			if err := json.Unmarshal(sc.Bytes(), l); err != nil {
				t.Fatal(err)
			}
			led.lines = append(led.lines, l)
		}
	}
	return sb.Bytes(), tb.Bytes(), led
}

// label reads a ledger time; "" is no time (never).
func label(t testing.TB, s string) (tai64.Time, bool) {
	if s == "" {
		return tai64.Time{}, false
	}
	tm, _, err := tai64.Parse([]byte(s))
	if err != nil {
		t.Fatalf("ledger time %q: %v", s, err)
	}
	return tm, true
}

// span is [since, until); a zero until is no end.
type span struct{ since, until tai64.Time }

func (r span) in(t tai64.Time, ok bool) bool {
	return ok && !t.Before(r.since) && (r.until == tai64.Time{} || t.Before(r.until))
}

func (r span) before(t tai64.Time, ok bool) bool { return ok && t.Before(r.since) }

// expect computes from the ledger what Collect must find in r.
func expect(t testing.TB, led *ledger, r span) (Stats, []time.Duration, []time.Duration) {
	var s Stats
	var delays, queue []time.Duration
	fail, def := newCounter(), newCounter()
	snd, rc, dom, cl := newCounter(), newCounter(), newCounter(), newCounter()
	hosts := map[string]*HostCount{}
	for _, m := range led.msgs {
		nt, nok := label(t, m.New)
		it, iok := label(t, m.Info)
		et, eok := label(t, m.End)
		bt, bok := label(t, m.Bounce)
		seen := r.in(nt, nok) || r.in(it, iok) || r.in(bt, bok)
		if r.in(nt, nok) {
			s.Messages++
		}
		if r.in(it, iok) {
			s.Infos++
			s.Bytes += int64(m.Bytes)
			snd.add([]byte(m.Sender), 1)
		}
		if r.in(et, eok) {
			s.Ended++
			if r.in(nt, nok) {
				queue = append(queue, stepped(&s, Sub(et, nt)))
			} else {
				s.EndedUnstarted++
			}
		}
		if r.in(bt, bok) {
			s.Bounces++
		}
		for _, a := range m.Attempts {
			st, sok := label(t, a.Start)
			at, aok := label(t, a.End)
			if r.in(st, sok) {
				seen = true
				s.Starts++
				if a.Remote {
					s.Remote++
				} else {
					s.Local++
				}
				rc.add([]byte(a.Rcpt), 1)
				dom.add([]byte(a.Rcpt[strings.LastIndexByte(a.Rcpt, '@')+1:]), 1)
				if !r.in(at, aok) {
					s.OpenDeliveries++
				}
			}
			if !r.in(at, aok) {
				continue
			}
			switch a.Result {
			case "success":
				s.Success++
			case "failure":
				s.Failure++
				fail.add([]byte(a.Reason), 1)
			case "deferral":
				s.Deferral++
				def.add([]byte(a.Reason), 1)
			}
			if !r.in(st, sok) {
				s.ResultsUnstarted++
				continue
			}
			delays = append(delays, stepped(&s, Sub(at, st)))
			if h := remoteHost([]byte(a.Reason)); a.Remote && h != nil {
				hc := hosts[string(h)]
				if hc == nil {
					hc = &HostCount{Host: string(h)}
					hosts[hc.Host] = hc
				}
				hc.Count++
				switch a.Result {
				case "success":
					hc.Success++
				case "failure":
					hc.Failure++
				case "deferral":
					hc.Deferral++
				}
			}
		}
		if seen && !r.in(et, eok) {
			s.OpenMessages++
		}
	}
	s.Recipients = s.Success + s.Failure
	for _, l := range led.lines {
		if !r.in(label(t, l.Time)) {
			continue
		}
		switch l.Kind {
		case "status":
			s.LocalPeak, s.LocalLimit = max(s.LocalPeak, l.N), 10
			s.RemotePeak, s.RemoteLimit = max(s.RemotePeak, l.N2), 20
		case "exiting":
			s.Restarts++
		case "warning":
			s.Notes++
		case "junk", "long":
			s.Unknown++
		case "tcp-status":
			s.SMTPPeak, s.SMTPLimit = max(s.SMTPPeak, l.N), 40
		case "tcp-pid":
			s.Connections++
			cl.add([]byte(l.Text), 1)
		case "tcp-ok":
			s.Sessions++
		case "tcp-end":
			s.SessionEnds++
			if l.N != 0 {
				s.SessionErrors++
			}
		case "rbl":
			s.RBLRejections++
		}
	}
	s.Failures, s.Deferrals = fail.top(0), def.top(0)
	s.Senders, s.Rcpts, s.Domains, s.Clients = snd.top(topN), rc.top(topN), dom.top(topN), cl.top(topN)
	for _, h := range hosts {
		s.Hosts = append(s.Hosts, *h)
	}
	s.Hosts = topHosts(s.Hosts, topN)
	slices.Sort(delays)
	slices.Sort(queue)
	return s, delays, queue
}

// stepped is what a delay of d by the stamps counts as: a negative one
// (the clock stepped back) is 0, and counted in ClockBack.
func stepped(s *Stats, d time.Duration) time.Duration {
	if d < 0 {
		s.ClockBack++
		return 0
	}
	return d
}

// longIn reports whether a line too long for multilog's s lies in r.
func longIn(t testing.TB, led *ledger, r span) bool {
	for _, l := range led.lines {
		if l.Kind == "long" && r.in(label(t, l.Time)) {
			return true
		}
	}
	return false
}

// compare checks got against the ledger's truth for r.
func compare(t *testing.T, name string, got Stats, led *ledger, r span) {
	t.Helper()
	want, delays, queue := expect(t, led, r)
	if longIn(t, led, r) != (got.Cut > 0) {
		t.Errorf("%s: %d lines cut by multilog, want some: %v", name, got.Cut, longIn(t, led, r))
	}
	if !slices.Equal(got.delays, delays) {
		t.Errorf("%s: %d delivery delays, want %d (or they differ)", name, len(got.delays), len(delays))
	}
	if !slices.Equal(got.queue, queue) {
		t.Errorf("%s: %d queue times, want %d (or they differ)", name, len(got.queue), len(queue))
	}
	if want.DeliveryDelay = Summarize(delays); got.DeliveryDelay != want.DeliveryDelay {
		t.Errorf("%s: delivery delay %+v, want %+v", name, got.DeliveryDelay, want.DeliveryDelay)
	}
	want.QueueTime = Summarize(queue)
	// What the ledger does not model.
	want.Lines, want.Cut, want.First, want.Last, want.delays, want.queue = got.Lines, got.Cut, got.First, got.Last, got.delays, got.queue
	if want.LocalLimit == 0 {
		want.LocalLimit, want.RemoteLimit = got.LocalLimit, got.RemoteLimit
	}
	if want.SMTPLimit == 0 {
		want.SMTPLimit = got.SMTPLimit
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s: stats differ from the ledger:\n%s", name, diffLines(string(gj), string(wj)))
	}
}

// diffLines returns the lines of got and want that differ, side by side.
func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < max(len(g), len(w)); i++ {
		var x, y string
		if i < len(g) {
			x = g[i]
		}
		if i < len(w) {
			y = w[i]
		}
		if x != y {
			fmt.Fprintf(&b, "got  %s\nwant %s\n", x, y)
		}
	}
	return b.String()
}

// writeLogdir feeds lines to our multilog (no t: the lines carry the
// generator's stamps) with script args ahead of the logdir, in one run.
func writeLogdir(t testing.TB, dir string, in []byte, args ...string) {
	t.Helper()
	script, err := multilog.ParseScript(append(args, dir))
	if err != nil {
		t.Fatal(err)
	}
	var lc rotate.Config
	lc.Warn = func(err error) { t.Errorf("multilog warning: %v", err) }
	// The compressor reads the archive on stdin and writes the compressed
	// archive on stdout.
	lc.CompressCommand = []string{"/bin/sh", "-c", "exec zstd -q -c", "sh"}
	l, err := multilog.Open(multilog.Config{Script: script, Stdin: bytes.NewReader(in), Logdir: lc})
	if err != nil {
		t.Fatal(err)
	}
	l.Run()
	l.Close()
}

// appendLogs writes more of the two logs to the logdirs sd and td (rotated
// at 4096 and 16384 bytes), compresses some archives, as a cron job finds
// them, and returns the state at statePath.
func appendLogs(t testing.TB, sd, td string, send, smtpd []byte, statePath string) *State {
	t.Helper()
	writeLogdir(t, sd, send, "s4096", "n100000")
	writeLogdir(t, td, smtpd, "s16384", "n100000")
	compressSome(t, sd)
	st, err := LoadState(statePath)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// writeLogdirs writes send to a logdir "send" rotated at 4096 bytes,
// every other archive compressed with zstd, and smtpd to a logdir
// "smtpd" with script smtpdArgs, and returns the two.
func writeLogdirs(t testing.TB, send, smtpd []byte, smtpdArgs ...string) (sd, td string) {
	t.Helper()
	root := t.TempDir()
	sd, td = filepath.Join(root, "send"), filepath.Join(root, "smtpd")
	writeLogdir(t, sd, send, "s4096", "n100000")
	writeLogdir(t, td, smtpd, smtpdArgs...)
	if compressSome(t, sd) == 0 {
		t.Fatal("no zstd archive made")
	}
	return sd, td
}

// compressSome compresses every other plain archive of dir with zstd, as
// multilog's z leaves them (its compressor, a process per archive, would
// make the test slow at s4096), and returns how many it compressed.
func compressSome(t testing.TB, dir string) int {
	names, _ := filepath.Glob(filepath.Join(dir, "@*.s"))
	n := 0
	for i, name := range names {
		if i%2 != 0 {
			continue
		}
		src, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(name + ".zst")
		if err != nil {
			t.Fatal(err)
		}
		if err := compress.File(rotate.Zstd, dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		dst.Close()
		os.Remove(name)
		n++
	}
	return n
}

// TestStatsAgainstLedger: stats over logdirs our multilog wrote (rotated
// at 4096 bytes, archives compressed with zstd, a line too long for s cut)
// equal what the generator's ledger says, for the whole log and for ranges
// that cut messages in half.
func TestStatsAgainstLedger(t *testing.T) {
	send, smtpd, led := generate(t, 7, 3<<20)
	sd, td := writeLogdirs(t, send, smtpd, "s262144", "n100000", "z")
	first, _ := label(t, led.msgs[0].New)
	last, _ := label(t, led.msgs[len(led.msgs)-1].New)
	mid := tai64.Time{Sec: (first.Sec + last.Sec) / 2, Nsec: 123456789}
	ranges := []struct {
		name string
		r    span
	}{
		{"all", span{}},
		{"first half", span{until: mid}},
		{"second half", span{since: mid}},
		{"middle", span{since: tai64.Time{Sec: first.Sec + (last.Sec-first.Sec)/4}, until: tai64.Time{Sec: last.Sec - (last.Sec-first.Sec)/4, Nsec: 999}}},
	}
	if !longIn(t, led, span{}) {
		t.Fatal("the generator logged no line too long for s: raise the size")
	}
	for _, tc := range ranges {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Range: Range{Since: tc.r.since, Until: tc.r.until, Warn: func(err error) { t.Error(err) }}}
			got, err := Collect(context.Background(), cfg, []string{sd, td})
			if err != nil {
				t.Fatal(err)
			}
			compare(t, tc.name, got, led, tc.r)
			if tc.name == "all" && (got.Restarts == 0 || got.Bounces == 0 || got.Failure == 0 || got.Deferral == 0 || got.Unknown == 0 || got.Notes == 0 || got.RBLRejections == 0) {
				t.Errorf("the log lacks a case the test is for: %+v", got)
			}
			if tc.name != "all" && got.EndedUnstarted+got.OpenMessages == 0 {
				t.Errorf("%s: the range cut no message: the test tests nothing", tc.name)
			}
		})
	}
}

// TestCursorRunsAddUp: a log written in chunks, with mlog qmail stats
// --cursor run after each (as cron would), counts in all what one run over
// the whole log counts, and their samples together are one run's.
func TestCursorRunsAddUp(t *testing.T) {
	send, smtpd, led := generate(t, 11, 2<<20)
	r := rand.New(rand.NewPCG(3, 4))
	// Split both logs at the same random instants, as a cron job cuts
	// them: a run reads what each logdir holds when it runs.
	var cuts []tai64.Time
	for range 12 {
		cuts = append(cuts, timeAt(t, send, r.IntN(len(send))))
	}
	slices.SortFunc(cuts, func(a, b tai64.Time) int { return a.Compare(b) })
	var sendCuts, smtpdCuts []int
	so, to := 0, 0
	for _, c := range cuts {
		so, to = upTo(t, send, so, c), upTo(t, smtpd, to, c)
		sendCuts, smtpdCuts = append(sendCuts, so), append(smtpdCuts, to)
	}
	checkCursorRuns(t, send, smtpd, led, sendCuts, smtpdCuts)
}

// checkCursorRuns writes send and smtpd to logdirs in pieces, ending at
// the offsets sendCuts and smtpdCuts and then at their ends, with mlog
// qmail stats --cursor run after each, and checks that the runs add up to
// one run over the whole log, and that one to the ledger.
func checkCursorRuns(t *testing.T, send, smtpd []byte, led *ledger, sendCuts, smtpdCuts []int) {
	root := t.TempDir()
	sd, td := filepath.Join(root, "send"), filepath.Join(root, "smtpd")
	statePath := filepath.Join(root, "cursor")
	sendCuts, smtpdCuts = append(sendCuts, len(send)), append(smtpdCuts, len(smtpd))
	var sum Stats
	var delays, queue []time.Duration
	so, to := 0, 0
	for i := range sendCuts {
		sn, tn := sendCuts[i], smtpdCuts[i]
		st := appendLogs(t, sd, td, send[so:sn], smtpd[to:tn], statePath)
		so, to = sn, tn
		got, err := Collect(context.Background(), Config{State: st, Range: Range{Warn: func(err error) { t.Error(err) }}}, []string{sd, td})
		if err != nil {
			t.Fatal(err)
		}
		if err := SaveState(statePath, st); err != nil {
			t.Fatal(err)
		}
		add(&sum, &got)
		delays = append(delays, got.delays...)
		queue = append(queue, got.queue...)
		if i == len(sendCuts)-1 {
			sum.OpenMessages, sum.OpenDeliveries = got.OpenMessages, got.OpenDeliveries
		}
	}
	slices.Sort(delays)
	slices.Sort(queue)
	one, err := Collect(context.Background(), Config{}, []string{sd, td})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(delays, one.delays) || !slices.Equal(queue, one.queue) {
		t.Errorf("the runs' samples (%d, %d) differ from one run's (%d, %d)", len(delays), len(queue), len(one.delays), len(one.queue))
	}
	want := one
	want.delays, want.queue, want.First, want.Last = nil, nil, time.Time{}, time.Time{}
	want.Failures, want.Deferrals, want.Senders, want.Rcpts, want.Domains, want.Hosts, want.Clients = nil, nil, nil, nil, nil, nil, nil
	want.DeliveryDelay, want.QueueTime = Dist{}, Dist{}
	if !reflect.DeepEqual(sum, want) {
		gj, _ := json.MarshalIndent(sum, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("the runs add up to something else than one run:\n%s", diffLines(string(gj), string(wj)))
	}
	compare(t, "one run", one, led, span{})
}

// add adds the counts of b to a.
func add(a, b *Stats) {
	a.Lines += b.Lines
	a.Unknown += b.Unknown
	a.Cut += b.Cut
	a.Messages += b.Messages
	a.Infos += b.Infos
	a.Bytes += b.Bytes
	a.Ended += b.Ended
	a.Bounces += b.Bounces
	a.TripleBounce += b.TripleBounce
	a.Starts += b.Starts
	a.Local += b.Local
	a.Remote += b.Remote
	a.Success += b.Success
	a.Failure += b.Failure
	a.Deferral += b.Deferral
	a.Recipients += b.Recipients
	a.EndedUnstarted += b.EndedUnstarted
	a.ResultsUnstarted += b.ResultsUnstarted
	a.Unended += b.Unended
	a.Restarts += b.Restarts
	a.Abandoned += b.Abandoned
	a.Notes += b.Notes
	a.ClockBack += b.ClockBack
	a.FailedFiles += b.FailedFiles
	a.LocalPeak, a.LocalLimit = max(a.LocalPeak, b.LocalPeak), max(a.LocalLimit, b.LocalLimit)
	a.RemotePeak, a.RemoteLimit = max(a.RemotePeak, b.RemotePeak), max(a.RemoteLimit, b.RemoteLimit)
	a.SMTPPeak, a.SMTPLimit = max(a.SMTPPeak, b.SMTPPeak), max(a.SMTPLimit, b.SMTPLimit)
	a.Connections += b.Connections
	a.Sessions += b.Sessions
	a.Denied += b.Denied
	a.SessionEnds += b.SessionEnds
	a.SessionErrors += b.SessionErrors
	a.RBLRejections += b.RBLRejections
}

// timeAt returns the stamp of the line at or after byte i of log.
func timeAt(t testing.TB, log []byte, i int) tai64.Time {
	for i > 0 && log[i-1] != '\n' {
		i--
	}
	for {
		if tm, _, err := tai64.Parse(log[i:]); err == nil {
			return tm
		}
		i += bytes.IndexByte(log[i:], '\n') + 1
	}
}

// upTo returns the end of the lines of log from byte from whose stamp is
// before c (unstamped lines go with the line before them).
func upTo(t testing.TB, log []byte, from int, c tai64.Time) int {
	i := from
	for i < len(log) {
		if tm, _, err := tai64.Parse(log[i:]); err == nil && !tm.Before(c) {
			return i
		}
		i += bytes.IndexByte(log[i:], '\n') + 1
	}
	return i
}

// TestTraceAgainstLedger: trace by message id, by address and by qp finds
// exactly the messages the ledger says, each with exactly its lines.
func TestTraceAgainstLedger(t *testing.T) {
	send, smtpd, led := generate(t, 5, 1<<20)
	sd, td := writeLogdirs(t, send, smtpd, "s65536", "n100000")
	checkTraces(t, send, led, []string{sd, td})
}

// checkTraces checks trace by message id, by address and by qp over
// logdirs against the ledger of send, qmail-send's log written there.
func checkTraces(t *testing.T, send []byte, led *ledger, logdirs []string) {
	// A message's lines come in the order qmail-send logged them, which
	// is their stamps' unless the clock stepped back.
	at := map[string]int{}
	for i := 0; i < len(send); {
		n := bytes.IndexByte(send[i:], '\n')
		at[string(send[i:i+n])] = i
		i += n + 1
	}
	type life struct {
		id    uint64
		start string
	}
	lines := func(m *smtplog.LedgerMsg) []string {
		type tl struct{ t, s string }
		var ls []tl
		ls = append(ls, tl{m.New, "new msg " + strconv.FormatUint(m.ID, 10)})
		if m.Info != "" {
			ls = append(ls, tl{m.Info, fmt.Sprintf("info msg %d: bytes %d from <%s> qp %d uid %d", m.ID, m.Bytes, m.Sender, m.Qp, m.Uid)})
		}
		for _, a := range m.Attempts {
			ch := "local"
			if a.Remote {
				ch = "remote"
			}
			ls = append(ls, tl{a.Start, fmt.Sprintf("starting delivery %d: msg %d to %s %s", a.Delivery, m.ID, ch, a.Rcpt)})
			if a.End != "" {
				ls = append(ls, tl{a.End, fmt.Sprintf("delivery %d: %s: %s", a.Delivery, a.Result, a.Reason)})
			}
		}
		if m.Bounce != "" {
			ls = append(ls, tl{m.Bounce, fmt.Sprintf("bounce msg %d qp %d", m.ID, m.BounceQp)})
		}
		if m.End != "" {
			ls = append(ls, tl{m.End, "end msg " + strconv.FormatUint(m.ID, 10)})
		}
		var out []string
		for _, l := range ls {
			out = append(out, l.t+" "+l.s)
		}
		slices.SortFunc(out, func(a, b string) int { return at[a] - at[b] })
		return out
	}
	check := func(t *testing.T, target Target, want func(m *smtplog.LedgerMsg) bool) {
		found, failed, err := Trace(context.Background(), Config{}, logdirs, target)
		if err != nil || failed != 0 {
			t.Fatal(err, failed)
		}
		got := map[life][]string{}
		for _, f := range found {
			var ls []string
			for _, l := range f.Lines {
				ls = append(ls, l.Time.String()+" "+l.Text)
			}
			got[life{f.Msg.ID, f.Msg.Start.String()}] = ls
			if f.Open == f.Msg.Ended {
				t.Errorf("msg %d: open %v, ended %v", f.Msg.ID, f.Open, f.Msg.Ended)
			}
		}
		n := 0
		for _, m := range led.msgs {
			if !want(m) {
				continue
			}
			n++
			k := life{m.ID, m.New}
			g, ok := got[k]
			if !ok {
				t.Errorf("%+v: msg %d of %s not found", target, m.ID, m.New)
				continue
			}
			if w := lines(m); !slices.Equal(g, w) {
				t.Errorf("%+v: msg %d of %s:\ngot  %q\nwant %q", target, m.ID, m.New, g, w)
			}
		}
		if n != len(got) || n == 0 {
			t.Errorf("%+v: found %d messages, want %d", target, len(got), n)
		}
	}
	// An id used by several messages in turn.
	ids := map[uint64]int{}
	for _, m := range led.msgs {
		ids[m.ID]++
	}
	var reused uint64
	for _, m := range led.msgs {
		if ids[m.ID] > 1 {
			reused = m.ID
			break
		}
	}
	if reused == 0 {
		t.Fatal("no id was reused: the test tests nothing")
	}
	t.Run("msg", func(t *testing.T) {
		check(t, Target{Msg: reused}, func(m *smtplog.LedgerMsg) bool { return m.ID == reused })
	})
	var bounced *smtplog.LedgerMsg
	for _, m := range led.msgs {
		if m.BounceQp != 0 {
			bounced = m
			break
		}
	}
	t.Run("qp", func(t *testing.T) {
		q := bounced.BounceQp
		check(t, Target{Qp: q}, func(m *smtplog.LedgerMsg) bool { return m.Qp == q || m.BounceQp == q })
	})
	t.Run("address", func(t *testing.T) {
		a := strings.ToUpper(bounced.Sender)
		check(t, Target{Addr: a}, func(m *smtplog.LedgerMsg) bool {
			if strings.EqualFold(m.Sender, a) {
				return true
			}
			for _, at := range m.Attempts {
				if strings.EqualFold(at.Rcpt, a) {
					return true
				}
			}
			return false
		})
	})
}

// cumulativeRun runs Collect with st, cumulative, over the logdirs sd and
// td, saves st at statePath, and checks that the report is one run's
// over everything there: what a cron run must give.
func cumulativeRun(t *testing.T, name string, st *State, statePath, sd, td string) Stats {
	t.Helper()
	cfg := Config{State: st, Cumulative: true, By: 10 * time.Minute}
	got, err := Collect(context.Background(), cfg, []string{sd, td})
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveState(statePath, st); err != nil {
		t.Fatal(err)
	}
	one, err := Collect(context.Background(), Config{By: 10 * time.Minute}, []string{sd, td})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, one) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(one, "", " ")
		t.Fatalf("%s: cumulative stats differ from one run's:\n%s", name, diffLines(string(gj), string(wj)))
	}
	return got
}

// TestCursorCumulative: with Cumulative, each run of a cron-like series
// (a log written in chunks, a run after each) reports exactly what one
// run over the logdir as it then is reports, percentiles and top lists
// included, though it reads only what is new; and at the end the ledger's
// truth.
func TestCursorCumulative(t *testing.T) {
	send, smtpd, led := generate(t, 13, 1<<20)
	r := rand.New(rand.NewPCG(5, 6))
	root := t.TempDir()
	sd, td := filepath.Join(root, "send"), filepath.Join(root, "smtpd")
	statePath := filepath.Join(root, "cursor")
	var cuts []tai64.Time
	for range 8 {
		cuts = append(cuts, timeAt(t, send, r.IntN(len(send))))
	}
	slices.SortFunc(cuts, func(a, b tai64.Time) int { return a.Compare(b) })
	cuts = append(cuts, tai64.Time{Sec: 1 << 63})
	so, to := 0, 0
	var got Stats
	for i, c := range cuts {
		sn, tn := upTo(t, send, so, c), upTo(t, smtpd, to, c)
		st := appendLogs(t, sd, td, send[so:sn], smtpd[to:tn], statePath)
		so, to = sn, tn
		got = cumulativeRun(t, fmt.Sprintf("run %d", i), st, statePath, sd, td)
	}
	got.Series, got.BucketSize = nil, ""
	compare(t, "cumulative", got, led, span{})

	// Another range: the counts start afresh.
	st, err := LoadState(statePath)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := label(t, led.msgs[len(led.msgs)/2].New)
	cfg := Config{State: st, Cumulative: true, Range: Range{Since: first}}
	got, err = Collect(context.Background(), cfg, []string{sd, td})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "another range", got, led, span{since: first})
}

// TestCursorCumulativeQuiet: a cumulative run that reads nothing new
// leaves the state file as it was (not written again) and reports what
// the run before did; a run whose new lines are smtpd's only (new SMTP
// clients, no deliveries) reports the other lists and the distributions
// the state file kept (unless it kept top lists of another length); each
// reports what one run over the logdirs as they are then reports.
func TestCursorCumulativeQuiet(t *testing.T) {
	send, smtpd, _ := generate(t, 19, 1<<20)
	c1, c2 := timeAt(t, send, len(send)/3), timeAt(t, send, 2*len(send)/3)
	root := t.TempDir()
	sd, td := filepath.Join(root, "send"), filepath.Join(root, "smtpd")
	statePath := filepath.Join(root, "cursor")
	s1, t1 := upTo(t, send, 0, c1), upTo(t, smtpd, 0, c1)
	t2 := upTo(t, smtpd, t1, c2)
	s2 := upTo(t, send, s1, c2)
	step := func(name string, st *State) os.FileInfo {
		t.Helper()
		cumulativeRun(t, name, st, statePath, sd, td)
		fi, err := os.Stat(statePath)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	before := step("first", appendLogs(t, sd, td, send[:s1], smtpd[:t1], statePath))
	st, err := LoadState(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if after := step("nothing new", st); !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("a run that read nothing wrote the state file again")
	}
	// Top lists kept for another length (another version's topN) are
	// not used: the tables are read whole.
	if st, err = LoadState(statePath); err != nil {
		t.Fatal(err)
	}
	st.Totals.TopN = topN - 3
	st.Totals.Stats.Clients = st.Totals.Stats.Clients[:topN-3]
	step("top lists of another length", st)
	st = appendLogs(t, sd, td, nil, smtpd[t1:t2], statePath)
	if before.Size() < 1000 || st.Totals == nil || st.Totals.base == nil {
		t.Fatalf("state file of %d bytes, totals %v: the test tests nothing", before.Size(), st.Totals)
	}
	step("smtpd only", st)
	step("both", appendLogs(t, sd, td, send[s1:s2], smtpd[t2:], statePath))
}

// TestStateFileCorrupt: a state file with a byte changed anywhere, read
// by a cumulative run that merges new lines with every table, gives an
// error or a report, and can be saved; never a panic.
func TestStateFileCorrupt(t *testing.T) {
	send, smtpd, _ := generate(t, 29, 256<<10)
	root := t.TempDir()
	sd, td := filepath.Join(root, "send"), filepath.Join(root, "smtpd")
	statePath, other := filepath.Join(root, "cursor"), filepath.Join(root, "other")
	st := appendLogs(t, sd, td, send[:len(send)/2], smtpd[:len(smtpd)/2], statePath)
	if _, err := Collect(context.Background(), Config{State: st, Cumulative: true}, []string{sd, td}); err != nil {
		t.Fatal(err)
	}
	if err := SaveState(statePath, st); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	appendLogs(t, sd, td, send[len(send)/2:], smtpd[len(smtpd)/2:], statePath)
	r := rand.New(rand.NewPCG(9, 10))
	refused := 0
	for range 200 {
		bad := slices.Clone(good)
		// Most in the tables, which take most of the file.
		i := r.IntN(len(bad))
		bad[i] ^= byte(1 + r.IntN(255))
		if err := os.WriteFile(statePath, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := LoadState(statePath)
		if err != nil {
			refused++
			continue
		}
		if _, err := Collect(context.Background(), Config{State: st, Cumulative: true, Range: Range{Warn: func(error) {}}}, []string{sd, td}); err != nil {
			refused++
			continue
		}
		if err := SaveState(other, st); err != nil {
			refused++
		}
	}
	t.Logf("%d of 200 refused", refused)
	if refused == 0 {
		t.Error("no damaged state file was refused: the test tests nothing")
	}
}

// TestStateFileVersion2: a version 2 state file (counts as hash-table
// dumps) gives its cursor and open messages; its counts are dropped, so
// a cumulative run counts its range afresh, exactly.
func TestStateFileVersion2(t *testing.T) {
	send, smtpd, led := generate(t, 23, 256<<10)
	sd, td := writeLogdirs(t, send, smtpd, "s65536", "n100000")
	st := &State{Magic: stateMagic}
	if _, err := Collect(context.Background(), Config{State: st, Cumulative: true}, []string{sd, td}); err != nil {
		t.Fatal(err)
	}
	st.Magic = stateMagic2
	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(st); err != nil {
		t.Fatal(err)
	}
	b := binary.AppendUvarint([]byte(stateMagic2+"\n"), uint64(g.Len()))
	b = append(append(b, g.Bytes()...), 3, 1, 2, 3) // and a section as version 2 wrote it
	path := filepath.Join(t.TempDir(), "cursor")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Totals != nil || back.Query != st.Query || back.Magic != stateMagic || len(back.Messages) != len(st.Messages) {
		t.Fatalf("version 2 read as totals %v, query %q, magic %q, %d messages; want none, %q, %q, %d", back.Totals, back.Query, back.Magic, len(back.Messages), st.Query, stateMagic, len(st.Messages))
	}
	got, err := Collect(context.Background(), Config{State: back, Cumulative: true}, []string{sd, td})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "after version 2", got, led, span{})
}

// TestStateFileDamaged: a cumulative state file cut short, or with bytes
// after its end, is refused (ErrState), never read as fewer counts; one
// whose table is damaged inside is refused (ErrState) by the run that
// reads the table.
func TestStateFileDamaged(t *testing.T) {
	c := NewCollector(nil, 0)
	for i, l := range []string{"new msg 1", "tcpserver: pid 4 from 192.0.2.1", "starting delivery 1: msg 1 to local a@b", "delivery 1: success: ok/", "end msg 1"} {
		c.Add(at(int64(i)), true, []byte(l))
	}
	s := c.Stats()
	st := &State{Magic: stateMagic, Totals: c.save("k", &s)}
	path := filepath.Join(t.TempDir(), "cursor")
	if err := SaveState(path, st); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	_, delays, err := back.Totals.base.dist(secDelays, nil, Dist{})
	if err != nil {
		t.Fatal(err)
	}
	one := newCounter()
	one.add([]byte("192.0.2.1"), 1)
	top, err := back.Totals.base.top(secTables+5, one, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(delays, []time.Duration{time.Second}) || !slices.Equal(top, []Count{{"192.0.2.1", 2}}) {
		t.Fatalf("state read back wrong: %v %v", delays, top)
	}
	for _, bad := range [][]byte{good[:len(good)-1], append(slices.Clone(good), 0), good[:len(good)/2]} {
		os.WriteFile(path, bad, 0o600)
		if _, err := LoadState(path); !errors.Is(err, ErrState) {
			t.Errorf("a state file of %d bytes (%d good): %v, want ErrState", len(bad), len(good), err)
		}
	}
	// The last table's end (a 0) made a key's length: the table runs
	// past its section.
	bad := slices.Clone(good)
	bad[len(bad)-1] = 5
	os.WriteFile(path, bad, 0o600)
	back, err = LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	c = NewCollector(nil, 0)
	c.restore(back.Totals)
	c.Add(at(9), true, []byte("tcpserver: pid 5 from 192.0.2.2"))
	if _, err := c.stats(); !errors.Is(err, ErrState) {
		t.Errorf("a damaged table: %v, want ErrState", err)
	}
}

// TestClockSteps: the system clock steps back a minute mid-log, forward
// half an hour later, then back three seconds (one clock for both logs,
// as on a real host). Stats over the whole log and over a range across
// the step back, runs split by a cursor at random lines, and trace all
// still match the ledger exactly. A delay or queue time whose end is
// stamped before its start counts as 0, in ClockBack. (A range of times
// the clock passed twice is read as two pieces of log with a gap
// between, joined as if there were none: see docs/qmail.md.)
func TestClockSteps(t *testing.T) {
	send, smtpd, led := generate(t, 17, 2<<20, func(q *smtplog.Queue) {
		q.StepClock(6000, -time.Minute)
		q.StepClock(12000, 30*time.Minute)
		q.StepClock(18000, -3*time.Second)
	})
	if n := bytes.Count(send, []byte("\n")) + bytes.Count(smtpd, []byte("\n")); n < 19000 {
		t.Fatalf("%d lines: the last step is not in the log", n)
	}
	sd, td := writeLogdirs(t, send, smtpd, "s65536", "n100000")
	// The hour before the step back, logged twice.
	var back tai64.Time
	step := 0
	for i := 1; i < len(led.lines); i++ {
		a, _ := label(t, led.lines[i-1].Time)
		b, _ := label(t, led.lines[i].Time)
		if b.Before(a) && Sub(a, b) > 50*time.Second {
			back, step = a, i
			break
		}
	}
	if back == (tai64.Time{}) {
		t.Fatal("no step back in the ledger")
	}
	// A range from before the time the clock stepped back to: it holds
	// the lines before the step and after it, with no gap between.
	across := span{since: tai64.Time{Sec: back.Sec - 90}}
	before, after := 0, 0
	for i, l := range led.lines {
		if across.in(label(t, l.Time)) {
			if i < step {
				before++
			} else {
				after++
			}
		}
	}
	if first, _ := label(t, led.lines[0].Time); !first.Before(across.since) || before == 0 || after == 0 {
		t.Fatalf("the range holds %d lines before the step back and %d after, and the log starts at %v: want it to start before the range", before, after, first)
	}
	for _, r := range []span{{}, across} {
		cfg := Config{Range: Range{Since: r.since, Until: r.until, HasUntil: r.until != tai64.Time{}, Warn: func(err error) { t.Error(err) }}}
		got, err := Collect(context.Background(), cfg, []string{sd, td})
		if err != nil {
			t.Fatal(err)
		}
		compare(t, fmt.Sprintf("range %v", r), got, led, r)
		if r == (span{}) && got.ClockBack == 0 {
			t.Error("no delay or queue time spans the step back: the test tests nothing")
		}
	}
	t.Run("cursor", func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		var sendCuts, smtpdCuts []int
		for range 10 {
			sendCuts = append(sendCuts, lineStart(send, r.IntN(len(send))))
			smtpdCuts = append(smtpdCuts, lineStart(smtpd, r.IntN(len(smtpd))))
		}
		slices.Sort(sendCuts)
		slices.Sort(smtpdCuts)
		checkCursorRuns(t, send, smtpd, led, sendCuts, smtpdCuts)
	})
	t.Run("trace", func(t *testing.T) { checkTraces(t, send, led, []string{sd, td}) })
}

// lineStart returns the start of the line byte i of log is in.
func lineStart(log []byte, i int) int {
	for i > 0 && log[i-1] != '\n' {
		i--
	}
	return i
}
