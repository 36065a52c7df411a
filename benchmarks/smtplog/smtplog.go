// Package smtplog generates a realistic, deterministic mail server log for
// benchmarks: qmail-smtpd under tcpserver interleaved with qmail-send, as
// multilog receives it (see cmd/gensmtp, which writes it to a file, and
// mlog bench, which feeds it to the loggers).
package smtplog

import (
	"bufio"
	"io"
	"strconv"
	"time"
)

// New returns a generator seeded with seed whose first line is at t0; with
// stamp every line starts with a TAI64N label and a space. The same
// arguments always give the same bytes.
func New(seed uint64, t0 time.Time, stamp bool) *Generator { return newGenerator(seed, t0, stamp) }

// Write writes whole lines, at most limit bytes of them, to w.
func (g *Generator) Write(w io.Writer, limit int64) error { return g.write(w, limit) }

// Generator holds the state of the simulated mail server.
type Generator struct {
	splitmix
	stamp bool

	sec  int64 // Unix time of the current line
	usec int64 // 0 <= usec < 1e6

	tcpserver
	msg      uint64 // last queued message (an inode number, as qmail's are)
	delivery uint64 // last delivery number
	local    int    // deliveries in progress, as status: lines count them
	remote   int

	// Work still to log, so that every message gets its deliveries and its
	// end: queued holds msgs awaiting delivery; pending deliveries in
	// progress as (delivery, msg).
	queued  []uint64
	pending []pendingDelivery
	ending  []uint64 // messages whose deliveries are all done
}

type conn struct {
	pid, ip uint64
	step    int  // lines logged after the opening status
	ok      bool // tcpserver said ok (Queue: the session may queue a message)
}

// tcpserver is tcpserver's side of both generators: its children's pids
// and its open connections.
type tcpserver struct {
	pid   uint64 // the last child's pid
	conns []conn // open SMTP connections, len(conns) <= maxConns
	due   bool   // tcpserver logs "status" next
}

// turn says whose line is next: tcpserver's status (nil), when due or as
// a connection opens, else one of the open connections, its step counted.
func (t *tcpserver) turn(r *splitmix) (c *conn, i int) {
	if t.due {
		t.due = false
		return nil, -1
	}
	if len(t.conns) == 0 || len(t.conns) < maxConns && r.intn(3) == 0 {
		t.pid += uint64(r.intn(4)) + 1
		t.conns = append(t.conns, conn{pid: t.pid, ip: r.next()})
		return nil, -1
	}
	i = r.intn(len(t.conns))
	c = &t.conns[i]
	c.step++
	return c, i
}

// hangup forgets connection i; tcpserver logs its status next.
func (t *tcpserver) hangup(i int) {
	t.conns[i] = t.conns[len(t.conns)-1]
	t.conns = t.conns[:len(t.conns)-1]
	t.due = true
}

type pendingDelivery struct {
	id, msg uint64
	remote  bool
}

const (
	maxConns  = 40 // tcpserver -c 40
	maxLocal  = 10 // concurrencylocal
	maxRemote = 20 // concurrencyremote
)

func newGenerator(seed uint64, t0 time.Time, stamp bool) *Generator {
	return &Generator{
		splitmix:  splitmix(seed),
		stamp:     stamp,
		sec:       t0.Unix(),
		usec:      int64(t0.Nanosecond() / 1000),
		tcpserver: tcpserver{pid: 20000, conns: make([]conn, 0, maxConns)},
		msg:       1048576,
		ending:    make([]uint64, 0, 64),
		queued:    make([]uint64, 0, 64),
		pending:   make([]pendingDelivery, 0, 64),
	}
}

// splitmix is both generators' pseudo-random sequence: splitmix64's
// state.
type splitmix uint64

// next returns 64 pseudo-random bits.
func (r *splitmix) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a pseudo-random number in [0, n).
func (r *splitmix) intn(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }

// write writes whole lines to w, at most limit bytes.
func (g *Generator) write(w io.Writer, limit int64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	line := make([]byte, 0, 1024)
	var written int64
	for {
		line = g.line(line[:0])
		if written+int64(len(line)) > limit {
			break
		}
		bw.Write(line)
		written += int64(len(line))
	}
	return bw.Flush()
}

const hexDigits = "0123456789abcdef"

// line appends the next line of the log to b.
func (g *Generator) line(b []byte) []byte {
	// Lines come a few milliseconds apart, in bursts.
	g.usec += int64(g.intn(4000)) + 1
	if g.intn(64) == 0 {
		g.usec += int64(g.intn(2000000))
	}
	g.sec += g.usec / 1000000
	g.usec %= 1000000
	if g.stamp {
		b = append(appendLabel(b, g.sec, g.usec), ' ')
	}
	return append(g.event(b), '\n')
}

// appendLabel appends daemontools' label of Unix time sec and usec
// microseconds: 2^62+10+sec, usec*1000+500 (see package tai64).
func appendLabel(b []byte, sec, usec int64) []byte {
	s := uint64(sec) + 1<<62 + 10
	n := uint32(usec*1000 + 500)
	var l [25]byte
	l[0] = '@'
	for i := 16; i >= 1; i-- {
		l[i] = hexDigits[s&15]
		s >>= 4
	}
	for i := 24; i >= 17; i-- {
		l[i] = hexDigits[n&15]
		n >>= 4
	}
	return append(b, l[:]...)
}

// event appends one log message, chosen so that the queue keeps moving:
// connections bring messages, messages get deliveries, deliveries end.
func (g *Generator) event(b []byte) []byte {
	r := g.intn(100)
	switch {
	case len(g.ending) > 0 && r < 10:
		m := g.ending[len(g.ending)-1]
		g.ending = g.ending[:len(g.ending)-1]
		b = append(b, "end msg "...)
		return strconv.AppendUint(b, m, 10)
	case len(g.pending) > 0 && (r < 30 || len(g.pending) >= maxLocal+maxRemote):
		return g.finishDelivery(b)
	case len(g.queued) > 0 && r < 55 && g.local+g.remote < maxLocal+maxRemote:
		return g.startDelivery(b)
	case r < 75:
		return g.smtp(b)
	case r < 92:
		return g.inject(b)
	default:
		return g.status(b)
	}
}

// smtp appends a tcpserver line. A connection logs, as tcpserver does,
// "status" as it opens, then "pid ... from", then "ok" (or an rblsmtpd
// rejection), and at last "end" and "status" again.
func (g *Generator) smtp(b []byte) []byte {
	c, i := g.turn(&g.splitmix)
	if c == nil {
		return appendTCPStatus(b, len(g.conns))
	}
	switch c.step {
	case 1:
		return appendTCPPid(b, c.pid, c.ip)
	case 2:
		if g.intn(8) == 0 {
			return appendRBL(b, c.pid, c.ip)
		}
		return appendTCPOk(b, c.pid, c.ip)
	}
	pid := c.pid
	g.hangup(i)
	status := 0
	if g.intn(20) == 0 {
		status = 256
	}
	return appendTCPEnd(b, pid, status)
}

// The lines of tcpserver and rblsmtpd, as both generators write them.

func appendTCPStatus(b []byte, n int) []byte {
	b = append(b, "tcpserver: status: "...)
	b = strconv.AppendUint(b, uint64(n), 10)
	b = append(b, '/')
	return strconv.AppendUint(b, maxConns, 10)
}

// appendTCP appends "tcpserver: WHAT PID".
func appendTCP(b []byte, what string, pid uint64) []byte {
	b = append(b, "tcpserver: "...)
	b = append(b, what...)
	b = append(b, ' ')
	return strconv.AppendUint(b, pid, 10)
}

func appendTCPPid(b []byte, pid, ip uint64) []byte {
	return appendIP(append(appendTCP(b, "pid", pid), " from "...), ip)
}

func appendRBL(b []byte, pid, ip uint64) []byte {
	b = appendIP(append(b, "rblsmtpd: "...), ip)
	b = strconv.AppendUint(append(b, " pid "...), pid, 10)
	return appendIP(append(b, ": 451 http://www.spamhaus.org/query/bl?ip="...), ip)
}

func appendTCPOk(b []byte, pid, ip uint64) []byte {
	b = append(appendTCP(b, "ok", pid), " mail.example.org:192.0.2.25:25 "...)
	b = append(append(b, hosts[ip>>40%uint64(len(hosts))]...), ':')
	b = append(appendIP(b, ip), "::"...)
	return strconv.AppendUint(b, 1024+ip>>32%60000, 10)
}

func appendTCPEnd(b []byte, pid uint64, status int) []byte {
	return strconv.AppendInt(append(appendTCP(b, "end", pid), " status "...), int64(status), 10)
}

// inject appends qmail-queue's work: a new message and its envelope.
func (g *Generator) inject(b []byte) []byte {
	if len(g.queued) > 0 && g.intn(2) == 0 {
		m := g.queued[len(g.queued)-1]
		b = append(b, "info msg "...)
		b = strconv.AppendUint(b, m, 10)
		b = append(b, ": bytes "...)
		b = strconv.AppendUint(b, uint64(300+g.intn(80000)), 10)
		b = append(b, " from <"...)
		b = appendAddr(b, g.next())
		b = append(b, "> qp "...)
		b = strconv.AppendUint(b, g.pid+uint64(g.intn(9)), 10)
		b = append(b, " uid "...)
		return append(b, uids[g.intn(len(uids))]...)
	}
	g.msg += uint64(g.intn(300)) + 1
	if len(g.queued) < cap(g.queued) {
		g.queued = append(g.queued, g.msg)
	}
	b = append(b, "new msg "...)
	return strconv.AppendUint(b, g.msg, 10)
}

// startDelivery appends "starting delivery" for a queued message.
func (g *Generator) startDelivery(b []byte) []byte {
	i := g.intn(len(g.queued))
	m := g.queued[i]
	remote := g.intn(3) != 0
	if remote && g.remote >= maxRemote || !remote && g.local >= maxLocal {
		remote = !remote
	}
	g.delivery++
	if len(g.pending) < cap(g.pending) {
		g.pending = append(g.pending, pendingDelivery{g.delivery, m, remote})
	}
	if g.intn(4) != 0 { // most messages have one recipient
		g.queued[i] = g.queued[len(g.queued)-1]
		g.queued = g.queued[:len(g.queued)-1]
	}
	b = append(b, "starting delivery "...)
	b = strconv.AppendUint(b, g.delivery, 10)
	b = append(b, ": msg "...)
	b = strconv.AppendUint(b, m, 10)
	if remote {
		g.remote++
		b = append(b, " to remote "...)
	} else {
		g.local++
		b = append(b, " to local "...)
	}
	return appendAddr(b, g.next())
}

// finishDelivery appends the result of a delivery in progress, then
// sometimes the message's end.
func (g *Generator) finishDelivery(b []byte) []byte {
	i := g.intn(len(g.pending))
	d := g.pending[i]
	g.pending[i] = g.pending[len(g.pending)-1]
	g.pending = g.pending[:len(g.pending)-1]
	if len(g.ending) < cap(g.ending) && !g.busy(d.msg) {
		g.ending = append(g.ending, d.msg)
	}
	if d.remote {
		g.remote = max(g.remote-1, 0)
	} else {
		g.local = max(g.local-1, 0)
	}
	b = append(b, "delivery "...)
	b = strconv.AppendUint(b, d.id, 10)
	r := g.intn(100)
	switch {
	case r < 80 && d.remote:
		b = append(b, ": success: "...)
		b = appendIP(b, g.next())
		b = append(b, "_accepted_message./Remote_host_said:_250_2.0.0_Ok:_queued_as_"...)
		return appendQueueID(b, g.next())
	case r < 80:
		return append(b, ": success: did_0+0+1/"...)
	case r < 93:
		b = append(b, ": deferral: "...)
		return append(b, deferrals[g.intn(len(deferrals))]...)
	default:
		b = append(b, ": failure: "...)
		return append(b, failures[g.intn(len(failures))]...)
	}
}

// busy reports whether msg has recipients left or deliveries in progress.
func (g *Generator) busy(msg uint64) bool {
	for _, m := range g.queued {
		if m == msg {
			return true
		}
	}
	for _, d := range g.pending {
		if d.msg == msg {
			return true
		}
	}
	return false
}

// status appends qmail-send's status line, or an end or bounce line.
func (g *Generator) status(b []byte) []byte {
	if g.intn(16) == 0 {
		b = append(b, "bounce msg "...)
		b = strconv.AppendUint(b, g.msg-uint64(g.intn(1000)), 10)
		b = append(b, " qp "...)
		return strconv.AppendUint(b, g.pid, 10)
	}
	b = append(b, "status: local "...)
	b = strconv.AppendUint(b, uint64(g.local), 10)
	b = append(b, "/10 remote "...)
	b = strconv.AppendUint(b, uint64(g.remote), 10)
	return append(b, "/20"...)
}

// appendIP appends a dotted quad from the low 32 bits of r, avoiding
// 0 and 255 in the last byte.
func appendIP(b []byte, r uint64) []byte {
	b = strconv.AppendUint(b, 1+r&0xff%223, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, r>>8&0xff, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, r>>16&0xff, 10)
	b = append(b, '.')
	return strconv.AppendUint(b, 1+(r>>24&0xff)%254, 10)
}

// appendAddr appends a mail address made from r.
func appendAddr(b []byte, r uint64) []byte {
	b = append(b, users[r%uint64(len(users))]...)
	if r>>16&3 == 0 {
		b = strconv.AppendUint(b, r>>20&0xfff, 10)
	}
	b = append(b, '@')
	return append(b, domains[r>>8%uint64(len(domains))]...)
}

// appendQueueID appends a Postfix-like queue id, as remote hosts answer.
func appendQueueID(b []byte, r uint64) []byte {
	const alnum = "0123456789ABCDEFGHJKLMNPQRSTVWXYZ"
	for i := 0; i < 10; i++ {
		b = append(b, alnum[r%uint64(len(alnum))])
		r /= uint64(len(alnum))
	}
	return append(b, '/')
}

var (
	users = []string{
		"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
		"ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil",
		"trent", "victor", "walter", "postmaster", "root", "noreply", "billing",
		"support", "newsletter", "mailer-daemon", "sales", "info",
	}
	domains = []string{
		"example.org", "example.com", "example.net", "mail.example.org",
		"lists.example.com", "corp.example.net", "shop.example.com",
		"university.example.edu", "isp.example.net", "mx.example.org",
	}
	hosts = []string{
		"", "", "", "mx1.example.com", "mail-out.example.net",
		"smtp.example.edu", "relay.example.org",
	}
	uids = []string{
		"89", "89", "89", "1000", "1001", "0", "7791",
	}
	deferrals = []string{
		"Connected_to_203.0.113.5_but_greeting_failed./Remote_host_said:_421_4.7.0_Try_again_later,_closing_connection./",
		"Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/",
		"Connected_to_198.51.100.9_but_sender_was_rejected./Remote_host_said:_451_4.7.1_Greylisted,_see_http://postgrey.example.org/",
		"Sorry,_I_couldn't_find_any_host_by_that_name._(#4.1.2)/",
		"Unable_to_switch_to_/home/bob:_file_does_not_exist._(#4.3.0)/",
	}
	failures = []string{
		"Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/",
		"Connected_to_192.0.2.77_but_sender_was_rejected./Remote_host_said:_550_5.7.1_Message_rejected_as_spam/",
		"Sorry._Although_I'm_listed_as_a_best-preference_MX_or_A_for_that_host,/it_isn't_in_my_control/locals_file,_so_I_don't_treat_it_as_local._(#5.4.6)/",
		"User_and_password_not_set,_continuing_without_authentication./Remote_host_said:_552_5.2.2_Mailbox_full/",
	}
)
