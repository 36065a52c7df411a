package smtplog

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// Queue generates a mail server's log that follows qmail-send's rules, and
// can write a ledger of the truth beside it: every message with its
// sender, recipients and each delivery attempt's result and times, and
// every other line's time and kind. Unlike [Generator], whose lines only
// look like qmail's, a Queue's messages get "info msg" after "new msg",
// each recipient deliveries until success or failure (deferrals retried
// later), a bounce after a failure, and "end msg" once all is done.
// Message ids are inode numbers taken from a small pool, so they are
// reused; delivery numbers count from 1 again after a restart ("status:
// exiting", once the deliveries in progress are done, as qmail-send
// exits). Now and then a line is a qmail-send warning, a line of junk, or
// a line too long for multilog's s, which multilog cuts.
//
// The same seed and start give the same bytes and the same ledger.
type Queue struct {
	splitmix
	stamp bool
	now   int64 // microseconds since the Unix epoch
	// The system clock's error: stamps are now+skew. steps change skew
	// at a line number (lines counts them).
	skew  int64
	steps []clockStep
	lines int64
	out   [2]*bufio.Writer
	led   *json.Encoder
	ledW  *bufio.Writer

	tcpserver // its pid counts qmail-send's bounce qp too
	delid     uint64
	free      []uint64 // message ids (inodes) not in use
	msgs      []*qmsg  // in the queue
	running   []*qatt
	pending   []qline // lines owed before any new event
	exiting   bool    // qmail-send stops starting deliveries, then exits
	local     int
	remote    int
	owed      []any // the truth of the line being made
}

type qmsg struct {
	L        LedgerMsg
	rcpts    []*qrcpt
	running  int
	failed   bool
	ended    bool
	bouncing bool
}

type qrcpt struct {
	addr    string
	remote  bool
	done    bool
	busy    bool
	retryAt int64
}

type qatt struct {
	m   *qmsg
	r   *qrcpt
	i   int // index in m.L.Attempts
	end int64
}

type clockStep struct{ at, by int64 }

// StepClock makes the system clock step by d (back if d is negative) just
// before the n-th line from the start (counting from 1): that line's
// stamp and those after it are d off the queue's own time, by which it
// schedules deliveries and retries. The ledger's times are the stamps, as
// logged. Steps must be given in the order of n.
func (q *Queue) StepClock(n int64, d time.Duration) {
	q.steps = append(q.steps, clockStep{n, d.Microseconds()})
}

// qline is a line owed: kind and its message.
type qline struct {
	kind string
	m    *qmsg
}

// LedgerMsg is the truth about one message, as the ledger writes it (one
// JSON object per line, type "msg"). Times are TAI64N labels.
type LedgerMsg struct {
	Type     string          `json:"type"`
	ID       uint64          `json:"id"`
	New      string          `json:"new"`
	Info     string          `json:"info"`
	End      string          `json:"end,omitempty"`
	Bytes    uint64          `json:"bytes"`
	Sender   string          `json:"sender"`
	Qp       uint64          `json:"qp"`
	Uid      uint64          `json:"uid"`
	Rcpts    []string        `json:"rcpts"`
	Bounce   string          `json:"bounce,omitempty"` // the "bounce msg" line's time
	BounceQp uint64          `json:"bounce_qp,omitempty"`
	Attempts []LedgerAttempt `json:"attempts"`
}

// LedgerAttempt is one delivery attempt.
type LedgerAttempt struct {
	Delivery uint64 `json:"delivery"`
	Rcpt     string `json:"rcpt"`
	Remote   bool   `json:"remote"`
	Start    string `json:"start"`
	End      string `json:"end,omitempty"`
	Result   string `json:"result,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// LedgerLine is a line that is not about one message (type "line"): its
// time and kind ("status", "exiting", "warning", "junk", "long",
// "tcp-status", "tcp-pid", "tcp-ok", "tcp-end", "rbl") and what it says.
type LedgerLine struct {
	Type   string `json:"type"`
	Time   string `json:"time"`
	Kind   string `json:"kind"`
	Text   string `json:"text,omitempty"` // the key it counts under: client IP, warning text
	N      int    `json:"n,omitempty"`    // status: local; tcp-status: connections; tcp-end: status
	N2     int    `json:"n2,omitempty"`   // status: remote
	Length int    `json:"length,omitempty"`
}

const (
	queueIDs    = 4096 // inodes in the pool
	firstInode  = 131072
	longLineLen = 9000 // more than multilog's smallest s (4096)
)

// NewQueue returns a Queue seeded with seed whose first line is at t0;
// with stamp every line starts with a TAI64N label and a space. If ledger
// is not nil, the truth is written there, one JSON object per line: each
// message once it ends (or, for those still queued, when [Queue.Close]
// is called), each other line as it is logged.
func NewQueue(seed uint64, t0 time.Time, stamp bool, ledger io.Writer) *Queue {
	q := &Queue{splitmix: splitmix(seed), stamp: stamp, now: t0.UnixMicro(), tcpserver: tcpserver{pid: 20000}}
	for i := queueIDs - 1; i >= 0; i-- {
		q.free = append(q.free, firstInode+uint64(i)*7)
	}
	if ledger != nil {
		q.ledW = bufio.NewWriterSize(ledger, 1<<16)
		q.led = json.NewEncoder(q.ledW)
	}
	return q
}

// Write writes whole lines, until at least limit bytes of them, to send
// (qmail-send's lines) and smtpd (tcpserver's and rblsmtpd's); they may be
// the same writer.
func (q *Queue) Write(send, smtpd io.Writer, limit int64) error {
	q.out[0] = bufio.NewWriterSize(send, 1<<20)
	q.out[1] = q.out[0]
	if smtpd != send {
		q.out[1] = bufio.NewWriterSize(smtpd, 1<<20)
	}
	var written int64
	line := make([]byte, 0, 1024)
	for written < limit {
		var which int
		line, which = q.line(line[:0])
		q.out[which].Write(line)
		written += int64(len(line))
		q.flushLedger()
	}
	if err := q.out[0].Flush(); err != nil {
		return err
	}
	return q.out[1].Flush()
}

// Close writes the ledger of the messages still queued and flushes it.
func (q *Queue) Close() error {
	if q.led == nil {
		return nil
	}
	for _, m := range q.msgs {
		q.led.Encode(&m.L)
	}
	return q.ledW.Flush()
}

func (q *Queue) flushLedger() {
	if q.led != nil {
		for _, v := range q.owed {
			q.led.Encode(v)
		}
	}
	q.owed = q.owed[:0]
}

func (q *Queue) label() string {
	now := q.now + q.skew
	var l [25]byte
	return string(appendLabel(l[:0], now/1e6, now%1e6))
}

func (q *Queue) note(l LedgerLine) {
	l.Type, l.Time = "line", q.label()
	q.owed = append(q.owed, &l)
}

// line appends the next line and says which log it is for.
func (q *Queue) line(b []byte) ([]byte, int) {
	q.lines++
	if len(q.steps) > 0 && q.steps[0].at == q.lines {
		q.skew += q.steps[0].by
		q.steps = q.steps[1:]
	}
	q.now += int64(q.intn(4000)) + 1
	if q.intn(64) == 0 {
		q.now += int64(q.intn(2000000))
	}
	if q.stamp {
		b = append(b, q.label()...)
		b = append(b, ' ')
	}
	b, which := q.event(b)
	return append(b, '\n'), which
}

func (q *Queue) event(b []byte) ([]byte, int) {
	if len(q.pending) > 0 {
		p := q.pending[0]
		q.pending = q.pending[1:]
		return q.owedLine(b, p), 0
	}
	// A delivery whose time has come.
	for i, a := range q.running {
		if a.end <= q.now {
			q.running = append(q.running[:i], q.running[i+1:]...)
			return q.result(b, a), 0
		}
	}
	if q.exiting && len(q.running) == 0 {
		q.exiting = false
		q.delid = 0
		q.note(LedgerLine{Kind: "exiting"})
		q.pending = append(q.pending, qline{kind: "status"})
		return append(b, "status: exiting"...), 0
	}
	r := q.intn(1000)
	switch {
	case r < 1 && !q.exiting && q.intn(10) == 0:
		q.exiting = true
		return q.status(b), 0
	case r < 3:
		if q.intn(20) == 0 {
			q.note(LedgerLine{Kind: "long", Length: longLineLen})
			b = append(b, "qmail-send: "...)
			for range longLineLen {
				b = append(b, 'x')
			}
			return b, 0
		}
		if q.intn(2) == 0 {
			q.note(LedgerLine{Kind: "junk"})
			return append(b, "qmail: this line means nothing to qmailanalog"...), 0
		}
		q.note(LedgerLine{Kind: "warning", Text: "warning: trouble injecting bounce message, will try later"})
		return append(b, "warning: trouble injecting bounce message, will try later"...), 0
	case r < 450:
		if b2, ok := q.start(b); ok {
			return b2, 0
		}
		return q.smtp(b), 1
	case r < 900:
		return q.smtp(b), 1
	default:
		return q.status(b), 0
	}
}

func (q *Queue) status(b []byte) []byte {
	q.note(LedgerLine{Kind: "status", N: q.local, N2: q.remote})
	b = append(b, "status: local "...)
	b = strconv.AppendInt(b, int64(q.local), 10)
	b = append(b, "/10 remote "...)
	b = strconv.AppendInt(b, int64(q.remote), 10)
	return append(b, "/20"...)
}

// owedLine logs a line a message owes: info after new, bounce, end.
func (q *Queue) owedLine(b []byte, p qline) []byte {
	m := p.m
	switch p.kind {
	case "status":
		return q.status(b)
	case "info":
		m.L.Info = q.label()
		b = append(b, "info msg "...)
		b = strconv.AppendUint(b, m.L.ID, 10)
		b = append(b, ": bytes "...)
		b = strconv.AppendUint(b, m.L.Bytes, 10)
		b = append(b, " from <"...)
		b = append(b, m.L.Sender...)
		b = append(b, "> qp "...)
		b = strconv.AppendUint(b, m.L.Qp, 10)
		b = append(b, " uid "...)
		return strconv.AppendUint(b, m.L.Uid, 10)
	case "bounce":
		q.pid += uint64(q.intn(4)) + 1
		m.L.Bounce, m.L.BounceQp = q.label(), q.pid
		b = append(b, "bounce msg "...)
		b = strconv.AppendUint(b, m.L.ID, 10)
		b = append(b, " qp "...)
		b = strconv.AppendUint(b, q.pid, 10)
		// The bounce is a new message from <> to the sender.
		q.queue(b[:0:0], "", q.pid, "89", []string{m.L.Sender})
		return b
	case "end":
		m.L.End = q.label()
		m.ended = true
		for i, x := range q.msgs {
			if x == m {
				q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
				break
			}
		}
		q.free = append(q.free, m.L.ID)
		q.owed = append(q.owed, &m.L)
		b = append(b, "end msg "...)
		return strconv.AppendUint(b, m.L.ID, 10)
	}
	// "new"
	m.L.New = q.label()
	b = append(b, "new msg "...)
	return strconv.AppendUint(b, m.L.ID, 10)
}

// queue puts a new message in the queue; its lines are owed.
func (q *Queue) queue(_ []byte, sender string, qp uint64, uid string, rcpts []string) {
	if len(q.free) == 0 {
		return // the queue is full: the mail is refused
	}
	i := q.intn(len(q.free))
	id := q.free[i]
	q.free[i] = q.free[len(q.free)-1]
	q.free = q.free[:len(q.free)-1]
	u, _ := strconv.ParseUint(uid, 10, 64)
	m := &qmsg{L: LedgerMsg{Type: "msg", ID: id, Bytes: uint64(300 + q.intn(80000)), Sender: sender, Qp: qp, Uid: u, Rcpts: rcpts, Attempts: []LedgerAttempt{}}}
	for _, r := range rcpts {
		remote := !strings.HasSuffix(r, "@example.org")
		m.rcpts = append(m.rcpts, &qrcpt{addr: r, remote: remote, retryAt: q.now})
	}
	q.msgs = append(q.msgs, m)
	q.pending = append(q.pending, qline{"new", m}, qline{"info", m})
}

// start starts a delivery to a recipient whose time has come.
func (q *Queue) start(b []byte) ([]byte, bool) {
	if q.exiting || len(q.msgs) == 0 {
		return b, false
	}
	m := q.msgs[q.intn(len(q.msgs))]
	if m.L.Info == "" || m.ended || m.bouncing {
		return b, false
	}
	for _, r := range m.rcpts {
		if r.done || r.busy || r.retryAt > q.now {
			continue
		}
		if r.remote && q.remote >= 20 || !r.remote && q.local >= 10 {
			return b, false
		}
		q.delid++
		r.busy = true
		m.running++
		end := q.now + int64(1000+q.intn(50000))
		if r.remote {
			q.remote++
			end += int64(q.intn(5000000))
		} else {
			q.local++
		}
		m.L.Attempts = append(m.L.Attempts, LedgerAttempt{Delivery: q.delid, Rcpt: r.addr, Remote: r.remote, Start: q.label()})
		q.running = append(q.running, &qatt{m: m, r: r, i: len(m.L.Attempts) - 1, end: end})
		b = append(b, "starting delivery "...)
		b = strconv.AppendUint(b, q.delid, 10)
		b = append(b, ": msg "...)
		b = strconv.AppendUint(b, m.L.ID, 10)
		if r.remote {
			b = append(b, " to remote "...)
		} else {
			b = append(b, " to local "...)
		}
		return append(b, r.addr...), true
	}
	return b, false
}

// result logs a delivery's result, and the message's bounce and end once
// all its recipients are done.
func (q *Queue) result(b []byte, a *qatt) []byte {
	m, r := a.m, a.r
	r.busy = false
	m.running--
	if r.remote {
		q.remote--
	} else {
		q.local--
	}
	la := &m.L.Attempts[a.i]
	la.End = q.label()
	x := q.intn(100)
	switch {
	case x < 78:
		la.Result = "success"
		if r.remote {
			la.Reason = mxOf(r.addr) + "_accepted_message./Remote_host_said:_250_2.0.0_Ok:_queued_as_" + string(appendQueueID(nil, q.next()))
		} else {
			la.Reason = "did_0+0+1/"
		}
		r.done = true
	case x < 92:
		la.Result = "deferral"
		la.Reason = deferrals[q.intn(len(deferrals))]
		r.retryAt = q.now + int64(1+q.intn(600))*1000000
	default:
		la.Result = "failure"
		la.Reason = failures[q.intn(len(failures))]
		r.done = true
		m.failed = true
	}
	b = append(b, "delivery "...)
	b = strconv.AppendUint(b, la.Delivery, 10)
	b = append(b, ": "...)
	b = append(b, la.Result...)
	b = append(b, ": "...)
	b = append(b, la.Reason...)
	if m.running == 0 && !m.bouncing {
		all := true
		for _, r := range m.rcpts {
			all = all && r.done
		}
		if all {
			m.bouncing = true
			if m.failed && m.L.Sender != "" {
				q.pending = append(q.pending, qline{"bounce", m})
			}
			q.pending = append(q.pending, qline{"end", m})
		}
	}
	return b
}

// mxOf returns the address of the mail exchanger of addr's domain: a few
// per domain, as real domains have.
func mxOf(addr string) string {
	h := uint64(14695981039346656037)
	for i := strings.LastIndexByte(addr, '@') + 1; i < len(addr); i++ {
		h = (h ^ uint64(addr[i])) * 1099511628211
	}
	return appendIPString(h&0xffff00 | uint64(len(addr)%3))
}

func appendIPString(r uint64) string { return string(appendIP(nil, r)) }

// smtp logs a tcpserver or rblsmtpd line; a session that ends well
// queues a message.
func (q *Queue) smtp(b []byte) []byte {
	c, i := q.turn(&q.splitmix)
	if c == nil {
		q.note(LedgerLine{Kind: "tcp-status", N: len(q.conns)})
		return appendTCPStatus(b, len(q.conns))
	}
	switch c.step {
	case 1:
		q.note(LedgerLine{Kind: "tcp-pid", Text: appendIPString(c.ip)})
		return appendTCPPid(b, c.pid, c.ip)
	case 2:
		if q.intn(8) == 0 {
			q.note(LedgerLine{Kind: "rbl"})
			return appendRBL(b, c.pid, c.ip)
		}
		c.ok = true
		q.note(LedgerLine{Kind: "tcp-ok"})
		return appendTCPOk(b, c.pid, c.ip)
	}
	cc := *c
	q.hangup(i)
	status := 0
	if q.intn(20) == 0 {
		status = 256
	}
	q.note(LedgerLine{Kind: "tcp-end", N: status})
	b = appendTCPEnd(b, cc.pid, status)
	if status == 0 && cc.ok && q.intn(10) < 8 {
		// qmail-smtpd handed a message to qmail-queue, a child of its own.
		n := 1 + q.intn(3)
		if q.intn(2) == 0 {
			n = 1
		}
		rcpts := make([]string, n)
		for k := range rcpts {
			rcpts[k] = string(appendAddr(nil, q.next()))
		}
		q.queue(nil, string(appendAddr(nil, q.next())), cc.pid+1, uids[q.intn(len(uids))], rcpts)
	}
	return b
}
