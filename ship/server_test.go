package ship

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeRELP is a RELP server on loopback for the tests. It records every
// syslog message it receives and every one it acknowledges, and can
// misbehave on cue.
type fakeRELP struct {
	t  *testing.T
	ln net.Listener

	// Set before the client connects; read by the server.
	ackDelay time.Duration // wait this long before each batch of acks
	// policy, if set, is asked for every message received (n counts all
	// of them, from 1, over every connection) and says what to do.
	policy func(n int) action

	mu       sync.Mutex
	cond     *sync.Cond
	received []string // every message, in order, repeats included
	acked    []string // every message acknowledged, in order
	ackedSet map[string]bool
	conns    int      // connections opened
	maxOut   int      // the most messages received and not yet acked at once
	frames   []string // protocol violations seen, for the test to report
}

// action is what fakeRELP does with one message.
type action int

const (
	ackIt       action = iota // acknowledge it
	dropConn                  // close the connection without acknowledging it
	serverClose               // acknowledge nothing more; send serverclose and close
	refuse                    // answer "500 refused"
)

func newFakeRELP(t *testing.T) *fakeRELP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeRELP{t: t, ln: ln}
	s.cond = sync.NewCond(&s.mu)
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *fakeRELP) addr() string { return s.ln.Addr().String() }

func (s *fakeRELP) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		go s.session(c)
	}
}

func (s *fakeRELP) violation(msg string) {
	s.mu.Lock()
	s.frames = append(s.frames, msg)
	s.mu.Unlock()
}

// session serves one connection. Acks are written by a goroutine of
// their own, so that a delayed ack does not stop the reading.
func (s *fakeRELP) session(c net.Conn) {
	defer c.Close()
	type ack struct {
		txnr uint32
		msg  string
		rsp  string
	}
	acks := make(chan ack, 1<<16)
	done := make(chan struct{})
	pending := 0 // messages received and not answered, under s.mu
	var wmu sync.Mutex
	send := func(b []byte) {
		wmu.Lock()
		c.Write(b)
		wmu.Unlock()
	}
	go func() {
		defer close(done)
		bw := bufio.NewWriter(c)
		for a := range acks {
			if s.ackDelay > 0 {
				time.Sleep(s.ackDelay)
			}
			batch := []ack{a}
		more:
			for {
				select {
				case a, ok := <-acks:
					if !ok {
						break more
					}
					batch = append(batch, a)
				default:
					break more
				}
			}
			// Counted as answered before the answers go: the client
			// may send the next ones as soon as it reads them.
			s.mu.Lock()
			for _, a := range batch {
				if a.msg != "" {
					pending--
				}
				if a.msg != "" && a.rsp == "200 OK" {
					if s.ackedSet == nil {
						s.ackedSet = map[string]bool{}
					}
					s.ackedSet[a.msg] = true
					s.acked = append(s.acked, a.msg)
				}
			}
			s.cond.Broadcast()
			s.mu.Unlock()
			wmu.Lock()
			for _, a := range batch {
				bw.Write(appendFrame(nil, a.txnr, "rsp", []byte(a.rsp)))
			}
			bw.Flush()
			wmu.Unlock()
		}
	}()
	stopAcks := sync.OnceFunc(func() {
		close(acks)
		<-done
	})
	defer stopAcks()
	fr := frameReader{r: bufio.NewReader(c)}
	want := uint32(1)
	for {
		txnr, cmd, data, err := fr.next()
		if err != nil {
			return
		}
		if txnr != want {
			s.violation("txnr " + strconv.Itoa(int(txnr)) + ", want " + strconv.Itoa(int(want)))
			return
		}
		want++
		switch string(cmd) {
		case "open":
			if !bytes.Contains(data, []byte("relp_version=0")) || !bytes.Contains(data, []byte("commands=syslog")) {
				s.violation("open offers " + strconv.Quote(string(data)))
			}
			send(appendFrame(nil, txnr, "rsp", []byte("200 OK\nrelp_version=0\nrelp_software=fake\ncommands=syslog")))
		case "syslog":
			msg := string(data)
			s.mu.Lock()
			if s.ackedSet[msg] {
				s.frames = append(s.frames, "received again after its ack: "+msg)
			}
			s.received = append(s.received, msg)
			n := len(s.received)
			pending++
			s.maxOut = max(s.maxOut, pending)
			s.cond.Broadcast()
			s.mu.Unlock()
			act := ackIt
			if s.policy != nil {
				act = s.policy(n)
			}
			switch act {
			case ackIt:
				acks <- ack{txnr, msg, "200 OK"}
			case refuse:
				acks <- ack{txnr, msg, "500 refused"}
			case dropConn:
				return
			case serverClose:
				stopAcks()
				send([]byte("0 serverclose 0\n"))
				return
			}
		case "close":
			acks <- ack{txnr, "", ""}
			stopAcks()
			send([]byte("0 serverclose 0\n"))
			return
		default:
			s.violation("command " + string(cmd))
			return
		}
	}
}

// waitAcked waits until n messages have been acknowledged, or fails the
// test after a while.
func (s *fakeRELP) waitAcked(n int) {
	s.t.Helper()
	s.waitFor(func() bool { return len(s.acked) >= n }, "acked >= "+strconv.Itoa(n))
}

// waitFor waits for cond (called with s.mu held), failing after 20 s.
func (s *fakeRELP) waitFor(cond func() bool, what string) {
	s.t.Helper()
	deadline := time.AfterFunc(20*time.Second, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer deadline.Stop()
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for !cond() {
		if time.Since(start) > 20*time.Second {
			s.t.Fatalf("fake RELP server: timed out waiting for %s (received %d, acked %d)", what, len(s.received), len(s.acked))
		}
		s.cond.Wait()
	}
}

func (s *fakeRELP) snapshot() (received, acked []string, conns int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.received...), append([]string(nil), s.acked...), s.conns
}
