// Command qmail-sim stands in for qmail, which Debian does not package, in
// the examples/qmail services. It speaks just enough of each protocol for
// swaks and a POP3 client, and logs to stderr the lines qmail's programs log,
// so the services' log/run scripts see a realistic stream.
//
//	qmail-sim smtpd [-q QUEUE]
//	                  an SMTP server on fd 0/1, as tcpserver runs qmail-smtpd;
//	                  it logs nothing (qmail-smtpd does not: tcpserver's lines
//	                  are the smtpd log) and puts each accepted message in the
//	                  queue directory QUEUE, as qmail-queue does
//	qmail-sim pop3d   a POP3 server on fd 0/1 (USER, PASS, STAT, LIST, NOOP, QUIT)
//	qmail-sim send [-q QUEUE] [SECONDS]
//	                  qmail-send: takes the messages from QUEUE and "delivers"
//	                  them, logging what qmail-send logs (new msg, info msg,
//	                  starting delivery, delivery results with some deferrals,
//	                  retried, and some failures, bounce msg, end msg, status
//	                  lines); its status line at start and every SECONDS
//	                  (default 60); "status: exiting" on TERM
//
// QUEUE defaults to /var/qmail/queue-sim; smtpd must be able to write it.
// A message's number is its queue file's inode, as qmail's is; its qp is
// the smtpd's pid (it is its own qmail-queue), which is also tcpserver's
// "pid N".
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const usage = "qmail-sim: usage: qmail-sim smtpd | pop3d | send [seconds]\n"

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString(usage)
		os.Exit(100)
	}
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	var err error
	switch os.Args[1] {
	case "smtpd":
		q, _ := queueFlag(os.Args[2:])
		err = smtpd(in, out, q)
	case "pop3d":
		err = pop3d(in, out, os.Stderr)
	case "send":
		q, rest := queueFlag(os.Args[2:])
		err = send(rest, q, os.Stderr)
	default:
		os.Stderr.WriteString(usage)
		os.Exit(100)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "qmail-sim: fatal: %v\n", err)
		os.Exit(111)
	}
}

// queueFlag takes "-q DIR" off the front of args.
func queueFlag(args []string) (string, []string) {
	if len(args) >= 2 && args[0] == "-q" {
		return args[1], args[2:]
	}
	return "/var/qmail/queue-sim", args
}

// me is the name in greetings, as qmail's control/me.
func me() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// conn is one client on stdin/stdout.
type conn struct {
	in  *bufio.Reader
	out *bufio.Writer
}

// readLine returns the next line without its CRLF or LF.
func (c *conn) readLine() (string, error) {
	s, err := c.in.ReadString('\n')
	if err != nil {
		if err == io.EOF && s != "" {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// reply writes CRLF-terminated lines. It flushes only when no pipelined
// command is waiting, as qmail-smtpd does.
func (c *conn) reply(lines ...string) error {
	for _, l := range lines {
		c.out.WriteString(l)
		c.out.WriteString("\r\n")
	}
	if c.in.Buffered() > 0 {
		return nil
	}
	return c.out.Flush()
}

// verb splits "MAIL FROM:<a@b>" into "MAIL" and "FROM:<a@b>".
func verb(line string) (string, string) {
	v, arg, _ := strings.Cut(line, " ")
	return strings.ToUpper(v), strings.TrimSpace(arg)
}

// address returns the <...> of a MAIL or RCPT argument.
func address(arg string) string {
	if i := strings.IndexByte(arg, '<'); i >= 0 {
		if j := strings.IndexByte(arg[i:], '>'); j >= 0 {
			return arg[i+1 : i+j]
		}
	}
	_, a, _ := strings.Cut(arg, ":")
	return strings.TrimSpace(a)
}

// smtpd answers as qmail-smtpd, with its reply texts.
func smtpd(in *bufio.Reader, out *bufio.Writer, queue string) error {
	c := &conn{in, out}
	host := me()
	var from string
	var rcpts []string
	haveMail := false
	return c.serve("220 "+host+" ESMTP", func(v, arg string) (quit bool, err error) {
		switch v {
		case "HELO":
			err = c.reply("250 " + host)
		case "EHLO":
			err = c.reply("250-"+host, "250-PIPELINING", "250 8BITMIME")
		case "MAIL":
			from, rcpts, haveMail = address(arg), nil, true
			err = c.reply("250 ok")
		case "RCPT":
			if !haveMail {
				err = c.reply("503 MAIL first (#5.5.1)")
				break
			}
			rcpts = append(rcpts, address(arg))
			err = c.reply("250 ok")
		case "DATA":
			if len(rcpts) == 0 {
				err = c.reply("503 RCPT first (#5.5.1)")
				break
			}
			if err = c.reply("354 go ahead"); err != nil {
				return false, err
			}
			var n int
			if n, err = c.data(); err != nil {
				return false, err
			}
			pid := os.Getpid()
			if err = enqueue(queue, pid, n, from, rcpts); err != nil {
				err = c.reply("451 qq write error or disk full (#4.3.0)")
				break
			}
			from, rcpts, haveMail = "", nil, false
			err = c.reply("250 ok " + strconv.FormatInt(time.Now().Unix(), 10) + " qp " + strconv.Itoa(pid))
		case "RSET":
			from, rcpts, haveMail = "", nil, false
			err = c.reply("250 flushed")
		case "NOOP":
			err = c.reply("250 ok")
		case "VRFY":
			err = c.reply("252 send some mail, i'll try my best")
		case "HELP":
			err = c.reply("214 qmail home page: http://pobox.com/~djb/qmail.html")
		case "QUIT":
			return true, c.reply("221 " + host)
		default:
			err = c.reply("502 unimplemented (#5.5.1)")
		}
		return false, err
	})
}

// serve writes banner, then answers each command line with answer (given
// the verb, in upper case, and the rest) until it says quit, the client
// hangs up, or an error.
func (c *conn) serve(banner string, answer func(v, arg string) (quit bool, err error)) error {
	if err := c.reply(banner); err != nil {
		return err
	}
	for {
		line, err := c.readLine()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if quit, err := answer(verb(line)); quit || err != nil {
			return err
		}
	}
}

// data reads a message up to the line ".", undoing dot-stuffing, and
// returns its size as qmail stores it (LF line ends).
func (c *conn) data() (int, error) {
	n := 0
	for {
		line, err := c.readLine()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if line == "." {
			return n, nil
		}
		n += len(strings.TrimPrefix(line, ".")) + 1
	}
}

// enqueue writes a message's envelope to the queue directory: qp, uid,
// bytes, sender, then one recipient a line; written under a temporary
// name and renamed, so qmail-sim send never reads half of one.
func enqueue(queue string, pid, bytes int, from string, rcpts []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n%d\n%d\n%s\n", pid, os.Getuid(), bytes, from)
	for _, r := range rcpts {
		b.WriteString(r + "\n")
	}
	tmp := filepath.Join(queue, "tmp."+strconv.Itoa(pid))
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(queue, strconv.Itoa(pid)+".msg"))
}

// pop3d answers as qmail-popup and qmail-pop3d with an empty maildir,
// taking any password. It logs logins and logouts.
func pop3d(in *bufio.Reader, out *bufio.Writer, log io.Writer) error {
	c := &conn{in, out}
	host := me()
	ip := os.Getenv("TCPREMOTEIP") // set by tcpserver
	var user string
	loggedIn := false
	banner := fmt.Sprintf("+OK <%d.%d@%s>", os.Getpid(), time.Now().Unix(), host)
	return c.serve(banner, func(v, arg string) (quit bool, err error) {
		switch {
		case v == "QUIT":
			if loggedIn {
				fmt.Fprintf(log, "pop3d: logout %s\n", user)
			}
			return true, c.reply("+OK ")
		case v == "NOOP":
			err = c.reply("+OK ")
		case !loggedIn && v == "USER":
			user = arg
			err = c.reply("+OK ")
		case !loggedIn && v == "PASS":
			if user == "" {
				err = c.reply("-ERR USER first")
				break
			}
			loggedIn = true
			fmt.Fprintf(log, "pop3d: login %s from %s\n", user, ip)
			err = c.reply("+OK ")
		case loggedIn && v == "STAT":
			err = c.reply("+OK 0 0")
		case loggedIn && v == "LIST":
			err = c.reply("+OK ", ".")
		case !loggedIn:
			err = c.reply("-ERR authorization first")
		default:
			err = c.reply("-ERR unimplemented")
		}
		return false, err
	})
}

// qmsg is a message qmail-sim send has taken from the queue.
type qmsg struct {
	id, file string
	from     string
	rcpts    []*qrcpt
	running  int
	failed   bool
}

type qrcpt struct {
	addr    string
	tries   int
	done    bool
	busy    bool
	retryAt time.Time
}

type delivery struct {
	id  int
	m   *qmsg
	r   *qrcpt
	due time.Time
}

// sendState is qmail-send's: its messages, its deliveries in progress.
type sendState struct {
	log     io.Writer
	queue   string
	msgs    map[string]*qmsg // by file name
	running []*delivery
	delid   int
	local   int
	remote  int
	seq     uint64
}

func (s *sendState) logf(format string, a ...any) { fmt.Fprintf(s.log, format+"\n", a...) }

func (s *sendState) status() {
	s.logf("status: local %d/10 remote %d/20", s.local, s.remote)
}

// hash gives a delivery's fate: the same message, recipient and try give
// the same answer.
func hash(parts ...string) uint64 {
	h := uint64(14695981039346656037)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h = (h ^ uint64(p[i])) * 1099511628211
		}
		h = (h ^ 0xff) * 1099511628211
	}
	return h
}

func remote(addr string) bool { return !strings.HasSuffix(addr, "@example.org") }

// scan takes new messages from the queue directory.
func (s *sendState) scan() {
	ents, err := os.ReadDir(s.queue)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".msg") || s.msgs[name] != nil {
			continue
		}
		path := filepath.Join(s.queue, name)
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		info, err := os.Stat(path)
		if err != nil {
			continue
		}
		st, _ := info.Sys().(*syscall.Stat_t)
		f := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(f) < 5 || st == nil {
			continue
		}
		m := &qmsg{id: strconv.FormatUint(st.Ino, 10), file: path, from: f[3]}
		for _, r := range f[4:] {
			m.rcpts = append(m.rcpts, &qrcpt{addr: r})
		}
		s.msgs[name] = m
		s.logf("new msg %s", m.id)
		s.logf("info msg %s: bytes %s from <%s> qp %s uid %s", m.id, f[2], m.from, f[0], f[1])
	}
}

// start starts the deliveries whose time has come.
func (s *sendState) start(now time.Time) {
	for _, m := range s.msgs {
		for _, r := range m.rcpts {
			if r.done || r.busy || now.Before(r.retryAt) {
				continue
			}
			rem := remote(r.addr)
			if rem && s.remote >= 20 || !rem && s.local >= 10 {
				continue
			}
			s.delid++
			r.busy, r.tries = true, r.tries+1
			m.running++
			ch := "local"
			if rem {
				ch = "remote"
				s.remote++
			} else {
				s.local++
			}
			s.logf("starting delivery %d: msg %s to %s %s", s.delid, m.id, ch, r.addr)
			s.status()
			took := time.Duration(hash(m.id, r.addr, "took")%300) * time.Millisecond
			s.running = append(s.running, &delivery{s.delid, m, r, now.Add(took)})
		}
	}
}

// finish logs the results of the deliveries that are done, and the end of
// the messages that have no recipient left.
func (s *sendState) finish(now time.Time, all bool) {
	keep := s.running[:0]
	for _, d := range s.running {
		if !all && now.Before(d.due) {
			keep = append(keep, d)
			continue
		}
		m, r := d.m, d.r
		r.busy = false
		m.running--
		rem := remote(r.addr)
		if rem {
			s.remote--
		} else {
			s.local--
		}
		x := hash(m.id, r.addr, strconv.Itoa(r.tries)) % 100
		switch {
		case x < 12 && r.tries < 3:
			s.logf("delivery %d: deferral: Connected_to_192.0.2.%d_but_greeting_failed./Remote_host_said:_421_4.7.0_Try_again_later/", d.id, 10+x)
			r.retryAt = now.Add(time.Duration(1+x%3) * time.Second)
		case x >= 92:
			r.done, m.failed = true, true
			if rem {
				s.logf("delivery %d: failure: Connected_to_192.0.2.77_but_sender_was_rejected./Remote_host_said:_550_5.7.1_Mailbox_unavailable/", d.id)
			} else {
				s.logf("delivery %d: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/", d.id)
			}
		default:
			r.done = true
			if rem {
				s.logf("delivery %d: success: 192.0.2.25_accepted_message./Remote_host_said:_250_2.0.0_Ok:_queued/", d.id)
			} else {
				s.logf("delivery %d: success: did_0+0+1/", d.id)
			}
		}
		s.status()
		s.end(m)
	}
	s.running = keep
}

// end logs a message's bounce and end once every recipient is done.
func (s *sendState) end(m *qmsg) {
	if m.running > 0 {
		return
	}
	for _, r := range m.rcpts {
		if !r.done {
			return
		}
	}
	if m.failed && m.from != "" {
		s.seq++
		s.logf("bounce msg %s qp %d", m.id, os.Getpid()+int(s.seq))
	}
	s.logf("end msg %s", m.id)
	os.Remove(m.file)
	delete(s.msgs, filepath.Base(m.file))
}

// send is qmail-send: it logs its status line at start and every
// interval, delivers what smtpd queues, and logs "status: exiting" when
// told to stop, once its deliveries in progress are done, as qmail-send
// does.
func send(args []string, queue string, log io.Writer) error {
	interval := 60 * time.Second
	if len(args) > 0 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n <= 0 {
			os.Stderr.WriteString(usage)
			os.Exit(100)
		}
		interval = time.Duration(n) * time.Second
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(interval)
	poll := time.NewTicker(50 * time.Millisecond)
	s := &sendState{log: log, queue: queue, msgs: map[string]*qmsg{}}
	s.status()
	for {
		select {
		case <-tick.C:
			s.status()
		case now := <-poll.C:
			s.finish(now, false)
			s.scan()
			s.start(now)
		case <-stop:
			s.finish(time.Now(), true)
			s.logf("status: exiting")
			return nil
		}
	}
}
