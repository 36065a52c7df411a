// Command qmail-sim stands in for qmail, which Debian does not package, in
// the examples/qmail services. It speaks just enough of each protocol for
// swaks and a POP3 client, and logs to stderr the lines qmail's programs log,
// so the services' log/run scripts see a realistic stream.
//
//	qmail-sim smtpd   an SMTP server on fd 0/1, as tcpserver runs qmail-smtpd;
//	                  each accepted message is logged as qmail-send logs its
//	                  queueing and local delivery
//	qmail-sim pop3d   a POP3 server on fd 0/1 (USER, PASS, STAT, LIST, NOOP, QUIT)
//	qmail-sim send [SECONDS]
//	                  qmail-send's status line at start and every SECONDS
//	                  (default 60); "status: exiting" on TERM
//
// The message number of an accepted message is the smtpd's pid, which is
// also its qp (it is its own qmail-queue) and tcpserver's "pid N": the log
// lines of one session can be tied together, as in a real qmail log.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
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
		err = smtpd(in, out, os.Stderr)
	case "pop3d":
		err = pop3d(in, out, os.Stderr)
	case "send":
		err = send(os.Args[2:], os.Stderr)
	default:
		os.Stderr.WriteString(usage)
		os.Exit(100)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "qmail-sim: fatal: %v\n", err)
		os.Exit(111)
	}
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
func smtpd(in *bufio.Reader, out *bufio.Writer, log io.Writer) error {
	c := &conn{in, out}
	host := me()
	var from string
	var rcpts []string
	haveMail := false
	if err := c.reply("220 " + host + " ESMTP"); err != nil {
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
		v, arg := verb(line)
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
				return err
			}
			var n int
			if n, err = c.data(); err != nil {
				return err
			}
			pid := os.Getpid()
			if err = deliver(log, pid, n, from, rcpts); err != nil {
				return err
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
			return c.reply("221 " + host)
		default:
			err = c.reply("502 unimplemented (#5.5.1)")
		}
		if err != nil {
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

// deliver logs the message's life in qmail-send's words, in one write so
// that concurrent sessions do not interleave within a block.
func deliver(log io.Writer, msg, bytes int, from string, rcpts []string) error {
	id := strconv.Itoa(msg)
	var b strings.Builder
	b.WriteString("new msg " + id + "\n")
	fmt.Fprintf(&b, "info msg %s: bytes %d from <%s> qp %s uid %d\n", id, bytes, from, id, os.Getuid())
	for i, r := range rcpts {
		d := strconv.Itoa(i + 1)
		b.WriteString("starting delivery " + d + ": msg " + id + " to local " + r + "\n")
		fmt.Fprintf(&b, "status: local %d/10 remote 0/20\n", i+1)
	}
	for i := range rcpts {
		d := strconv.Itoa(i + 1)
		b.WriteString("delivery " + d + ": success: did_0+0+1/\n")
		fmt.Fprintf(&b, "status: local %d/10 remote 0/20\n", len(rcpts)-i-1)
	}
	b.WriteString("end msg " + id + "\n")
	_, err := io.WriteString(log, b.String())
	return err
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
		v, arg := verb(line)
		switch {
		case v == "QUIT":
			if loggedIn {
				fmt.Fprintf(log, "pop3d: logout %s\n", user)
			}
			return c.reply("+OK ")
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
		if err != nil {
			return err
		}
	}
}

// send logs qmail-send's idle status line at start and every interval, and
// "status: exiting" when told to stop, as qmail-send does.
func send(args []string, log io.Writer) error {
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
	for {
		if _, err := io.WriteString(log, "status: local 0/10 remote 0/20\n"); err != nil {
			return err
		}
		select {
		case <-tick.C:
		case <-stop:
			_, err := io.WriteString(log, "status: exiting\n")
			return err
		}
	}
}
