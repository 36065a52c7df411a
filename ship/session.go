package ship

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// sendBufSize is how much the sender gathers before a write.
const sendBufSize = 64 << 10

// tcpPoll is how often, while TCP messages are outstanding, the send
// queue is looked at to see what the collector's TCP has acknowledged.
const tcpPoll = 10 * time.Millisecond

// errSessionFull ends a RELP session whose TXNRs are used up: a new one is
// opened at once.
var errSessionFull = errors.New("session used all its transaction numbers")

// session is one connection to the collector.
type session struct {
	sh   *shipper
	w    *window
	id   uint64
	conn net.Conn
	relp bool
	udp  bool
	br   *bufio.Reader
	buf  []byte // frames gathered for the next write
	upto uint64 // buf holds messages before this sequence number
	txnr uint32 // RELP: the last TXNR used
	// RELP: the TXNR of our "close", once sent; under w.mu.
	closeTxnr uint32
	bytes     int64 // TCP: the stream's length once every message taken is written

	sockBytes atomic.Int64 // bytes written to the connection
	done      chan struct{}
}

// connect dials the collector and, for RELP, opens a session.
func (sh *shipper) connect(ctx context.Context) (*session, error) {
	network := "tcp"
	if sh.cfg.Network == "udp" {
		network = "udp"
	}
	dctx, cancel := context.WithTimeout(ctx, sh.cfg.Timeout)
	defer cancel()
	// The end of the run (draining: nothing is sent on a new session) must
	// not wait for a collector that accepts and never answers.
	go func() {
		select {
		case <-sh.w.drained:
			cancel()
		case <-dctx.Done():
		}
	}()
	conn, err := sh.cfg.Dial(dctx, network, sh.cfg.Addr)
	if err != nil {
		return nil, unwrapNet(err)
	}
	s := &session{sh: sh, w: &sh.w, conn: conn, relp: sh.cfg.Network == "relp", udp: network == "udp",
		buf: make([]byte, 0, sendBufSize+4096), done: make(chan struct{})}
	if s.relp {
		s.br = bufio.NewReaderSize(flushReader{conn, &sh.w}, 16<<10)
		if err := s.open(dctx); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return s, nil
}

// open sends RELP's "open" and reads the answer, giving up when ctx is
// done.
func (s *session) open(ctx context.Context) error {
	s.txnr = 1
	s.conn.SetDeadline(time.Now().Add(s.sh.cfg.Timeout))
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		s.conn.SetDeadline(time.Now())
		close(fired)
	})
	defer func() {
		if !stop() {
			<-fired // clear the deadline only after that
		}
		s.conn.SetDeadline(time.Time{})
	}()
	if _, err := s.conn.Write(appendFrame(nil, 1, "open", []byte(relpOffers))); err != nil {
		return unwrapNet(err)
	}
	fr := frameReader{r: s.br}
	txnr, cmd, data, err := fr.next()
	if err != nil {
		return unwrapNet(err)
	}
	switch {
	case string(cmd) == "serverclose":
		return errServerClose
	case string(cmd) != "rsp" || txnr != 1:
		return errFrame
	case !rspOK(data):
		return &RefusedError{string(data)}
	case !offersSyslog(data):
		return errNoSyslog
	}
	return nil
}

// run sends messages until the session breaks or the run ends. It reports
// whether any message was acknowledged, and returns nil when the run
// ended and the session was closed cleanly.
func (s *session) run(ctx context.Context) (progress bool, err error) {
	w := s.w
	w.mu.Lock()
	w.sess++
	s.id = w.sess
	w.broken = nil
	w.closed = false
	w.sent, w.written, w.ackNext = w.head, w.head, w.head
	acks := w.acks
	w.mu.Unlock()

	go s.read()
	defer func() {
		s.close()
		w.mu.Lock()
		progress = w.acks > acks
		w.sess = 0
		w.mu.Unlock()
	}()
	stopOnCancel := context.AfterFunc(ctx, func() { w.breakSession(s.id, ctx.Err()) })
	defer stopOnCancel()

	for {
		w.mu.Lock()
		lo, hi := w.sent, w.tail
		for {
			if w.broken != nil {
				err := w.broken
				w.mu.Unlock()
				return false, err
			}
			if w.draining {
				w.mu.Unlock()
				return false, s.finish(ctx)
			}
			if s.relp && s.txnr >= maxTxnr {
				w.mu.Unlock()
				if err := s.finish(ctx); err != nil {
					return false, err
				}
				return false, errSessionFull
			}
			lo, hi = w.sent, w.tail
			if lo < hi {
				break
			}
			if len(s.buf) > 0 {
				w.mu.Unlock()
				if err := s.flush(); err != nil {
					return false, err
				}
				w.mu.Lock()
				continue
			}
			w.workWaiters++
			w.work.Wait()
			w.workWaiters--
		}
		// Number the messages taken. Those acknowledged in an earlier
		// session, out of order, are not sent again.
		if s.relp {
			hi = min(hi, lo+uint64(maxTxnr-s.txnr))
		}
		for seq := lo; seq < hi; seq++ {
			m := w.slot(seq)
			m.send = !m.acked
			if !m.send {
				continue
			}
			m.sess = s.id
			if s.relp {
				s.txnr++
				m.txnr = s.txnr
			} else if !s.udp {
				s.bytes += int64(decimalLen(len(m.msg)) + 1 + len(m.msg))
				m.end = s.bytes
			}
		}
		w.sent = hi
		w.mu.Unlock()

		for seq := lo; seq < hi; seq++ {
			m := w.slot(seq)
			if !m.send {
				continue
			}
			if err := s.put(seq, m); err != nil {
				return false, err
			}
		}
	}
}

// flushReader reads the connection for RELP's answers, and before each
// read, which may block, wakes whoever waits for what the answers read so
// far freed (window.released): all a read brought is one batch.
type flushReader struct {
	c net.Conn
	w *window
}

func (r flushReader) Read(p []byte) (int, error) {
	r.w.mu.Lock()
	r.w.released()
	r.w.mu.Unlock()
	return r.c.Read(p)
}

// drainTime bounds the reading of the answers still on their way when a
// session ends.
const drainTime = time.Second

// close ends the connection. If the reader is still reading, the sending
// side is shut first, and the reader gets drainTime to read what the
// collector still sends (acknowledgements of what it has read, up to its
// own close): a message acknowledged is never sent again.
func (s *session) close() {
	select {
	case <-s.done:
	default:
		if tc, ok := s.conn.(interface{ CloseWrite() error }); ok && !s.udp {
			tc.CloseWrite()
			t := time.AfterFunc(drainTime, func() { s.conn.Close() })
			<-s.done
			t.Stop()
		}
	}
	s.conn.Close()
	<-s.done
}

// put adds one message to the buffer, writing the buffer out when full.
// A UDP message is written at once, as one datagram, and counts as
// acknowledged when written.
func (s *session) put(seq uint64, m *slot) error {
	if testHookSent != nil {
		testHookSent(m.msg)
	}
	if s.udp {
		s.w.mu.Lock()
		s.w.written = seq + 1
		s.w.mu.Unlock()
		if err := s.write(m.msg); err != nil {
			return err
		}
		s.w.mu.Lock()
		s.w.ack(seq)
		s.w.released()
		s.w.mu.Unlock()
		return nil
	}
	if s.relp {
		s.buf = appendFrameHeader(s.buf, m.txnr, "syslog", len(m.msg))
		s.buf = append(s.buf, m.msg...)
		s.buf = append(s.buf, '\n')
	} else {
		// RFC 6587 3.4.1 octet counting: MSG-LEN SP SYSLOG-MSG.
		s.buf = strconv.AppendInt(s.buf, int64(len(m.msg)), 10)
		s.buf = append(s.buf, ' ')
		s.buf = append(s.buf, m.msg...)
	}
	s.upto = seq + 1
	if len(s.buf) >= sendBufSize {
		return s.flush()
	}
	return nil
}

// flush writes the buffer out. The messages in it count as written
// before the first byte goes: an acknowledgement may come back before the
// write returns.
func (s *session) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	s.w.mu.Lock()
	s.w.written = max(s.w.written, s.upto)
	s.w.mu.Unlock()
	err := s.write(s.buf)
	s.buf = s.buf[:0]
	if err != nil {
		return err
	}
	if !s.relp {
		s.pollTCP()
		// Wake the reader, which may be waiting out a long timeout, to
		// look at the send queue again soon (see readTCP).
		s.conn.SetReadDeadline(time.Now().Add(tcpPoll))
	}
	return nil
}

func (s *session) write(b []byte) error {
	s.conn.SetWriteDeadline(time.Now().Add(s.sh.cfg.Timeout))
	n, err := s.conn.Write(b)
	s.sockBytes.Add(int64(n))
	return unwrapNet(err)
}

// finish ends the session at the end of the run (or when its TXNRs are
// used up): it writes what is gathered, waits for the acknowledgement of
// everything written, then closes a RELP session with "close".
func (s *session) finish(ctx context.Context) error {
	if err := s.flush(); err != nil {
		return err
	}
	w := s.w
	w.mu.Lock()
	for w.outstanding() && w.broken == nil && ctx.Err() == nil {
		if !s.relp {
			w.mu.Unlock()
			s.pollTCP()
			w.mu.Lock()
			if !w.outstanding() {
				break
			}
			w.workWaiters++
			w.waitTimeout(&w.work, tcpPoll)
			w.workWaiters--
			continue
		}
		w.workWaiters++
		w.work.Wait()
		w.workWaiters--
	}
	err := w.broken
	if err == nil {
		err = ctx.Err()
	}
	w.mu.Unlock()
	if err != nil || !s.relp {
		return err
	}
	w.mu.Lock()
	s.txnr++
	s.closeTxnr = s.txnr
	w.mu.Unlock()
	if err := s.write(appendFrame(nil, s.closeTxnr, "close", nil)); err != nil {
		return err
	}
	w.mu.Lock()
	for !w.closed && w.broken == nil {
		if !w.waitTimeout(&w.work, time.Second) {
			break // closing anyway
		}
	}
	w.mu.Unlock()
	return nil
}

// read reads what the collector sends, until the connection ends: RELP
// responses, or for TCP and UDP only the end of the connection; and
// watches that acknowledgements keep coming.
func (s *session) read() {
	defer close(s.done)
	var err error
	switch {
	case s.relp:
		err = s.readRELP()
	case s.udp:
		err = s.readUDP()
	default:
		err = s.readTCP()
	}
	s.w.breakSession(s.id, err)
	s.conn.Close()
}

func (s *session) readRELP() error {
	w := s.w
	fr := frameReader{r: s.br}
	timeout := s.sh.cfg.Timeout
	var lastAcks int64 = -1
	for {
		s.conn.SetReadDeadline(time.Now().Add(timeout))
		txnr, cmd, data, err := fr.next()
		if err != nil {
			if isTimeout(err) && !fr.mid {
				// Nothing for a whole timeout: fine if nothing is awaited.
				w.mu.Lock()
				stalled := w.outstanding() && w.acks == lastAcks
				lastAcks = w.acks
				w.mu.Unlock()
				if stalled {
					return errNoAck
				}
				continue
			}
			return unwrapNet(err)
		}
		switch string(cmd) {
		case "rsp":
			w.mu.Lock()
			if s.closeTxnr != 0 && txnr == s.closeTxnr {
				w.closed = true
				w.work.Broadcast()
				w.mu.Unlock()
				continue
			}
			if !rspOK(data) {
				// The session ends, but the answers to the messages
				// after this one are still read: an acknowledged
				// message must not be sent again.
				w.mu.Unlock()
				w.breakSession(s.id, &RefusedError{string(data)})
				continue
			}
			err := w.ackTxnr(s.id, txnr)
			w.mu.Unlock()
			if err != nil {
				return err
			}
		case "serverclose":
			return errServerClose
		default:
			return errFrame
		}
	}
}

// readTCP watches a TCP connection: a syslog collector sends nothing, so
// a read ends only at the connection's end; meanwhile, while messages are
// outstanding, the send queue is looked at every tcpPoll.
func (s *session) readTCP() error {
	w := s.w
	var buf [512]byte
	var lastAcks int64
	stall := time.Now()
	for {
		w.mu.Lock()
		busy := w.outstanding()
		if w.acks != lastAcks || !busy {
			lastAcks, stall = w.acks, time.Now()
		}
		w.mu.Unlock()
		if busy && time.Since(stall) > s.sh.cfg.Timeout {
			return errNoAck
		}
		if busy {
			s.conn.SetReadDeadline(time.Now().Add(tcpPoll))
		} else {
			s.conn.SetReadDeadline(time.Now().Add(s.sh.cfg.Timeout))
			// A flush between the look and the deadline set its own
			// short deadline, which this one may have replaced.
			w.mu.Lock()
			busy = w.outstanding()
			w.mu.Unlock()
			if busy {
				s.conn.SetReadDeadline(time.Now().Add(tcpPoll))
			}
		}
		if _, err := s.conn.Read(buf[:]); err != nil {
			if isTimeout(err) {
				s.pollTCP()
				continue
			}
			return unwrapNet(err)
		}
	}
}

// pollTCP acknowledges the TCP messages the collector's TCP has
// acknowledged: those that end before what is still in the send queue.
func (s *session) pollTCP() {
	q, err := sendQueue(s.conn)
	if err != nil {
		q = 0 // not a socket that tells: count what is written
	}
	n := s.sockBytes.Load() - int64(q)
	s.w.mu.Lock()
	s.w.ackBytes(s.id, n)
	s.w.mu.Unlock()
}

// readUDP waits for an error on the socket: on Linux, a datagram refused
// by the collector's host (ICMP port unreachable) shows as a refused
// connection on the next read.
func (s *session) readUDP() error {
	var buf [512]byte
	for {
		if _, err := s.conn.Read(buf[:]); err != nil {
			return unwrapNet(err)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unwrapNet takes the *net.OpError and *os.SyscallError off an error, so
// that a message says "connection refused", not "dial tcp
// 127.0.0.1:2514: connect: connection refused".
func unwrapNet(err error) error {
	for {
		var oe *net.OpError
		var se *os.SyscallError
		switch {
		case errors.As(err, &oe) && oe.Err != nil && err == error(oe):
			err = oe.Err
		case errors.As(err, &se) && err == error(se):
			err = se.Err
		default:
			return err
		}
	}
}

func decimalLen(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
