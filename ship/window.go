package ship

import (
	"sync"
	"time"

	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/tai64"
)

// slot is one message in the window, from the time its line is read until
// the collector acknowledges it.
type slot struct {
	msg []byte         // the RFC 5424 message; its array is reused
	src int            // the source (logdir) of the line
	pos query.Position // the position just after the line

	// Under window.mu.
	acked bool
	sess  uint64 // the session it was last sent in
	txnr  uint32 // RELP: its TXNR in that session
	end   int64  // TCP: the session's byte count after it

	// Only the sender's.
	send bool
}

// maxKeptMsg is the largest message buffer a slot keeps for the next
// message: longer messages (rare) cost an allocation each.
const maxKeptMsg = 2048

// Test hooks, nil outside tests: a message is being sent (outside w.mu),
// a message was acknowledged (under w.mu).
var testHookSent, testHookAcked func(msg []byte)

// window is the ring of messages read and not yet acknowledged: the
// producers (one source per logdir) put messages at tail, the sender
// sends [sent, tail), the acknowledgements free them from head.
//
// Sequence numbers count messages from the start of the run; slot seq is
// slots[seq % len(slots)]. Invariants: head <= written <= sent <= tail,
// tail - head <= len(slots), and the slot at head is not acknowledged
// (head advances over acknowledged slots at once).
type window struct {
	mu    sync.Mutex
	space sync.Cond // producers wait here for room; waitEmpty too
	work  sync.Cond // the sender waits here for messages, acks or a broken session
	slots []slot

	head    uint64 // the oldest message not acknowledged
	written uint64 // messages before it have been handed to the connection
	sent    uint64 // messages before it have been taken by the sender in this session
	tail    uint64 // the next message to be read

	spaceWaiters, workWaiters int

	sess    uint64 // the current session; 0 when there is none
	broken  error  // why the current session must end
	ackNext uint64 // the message whose acknowledgement is expected next
	closed  bool   // RELP: the server answered our close
	acks    int64  // acknowledged in all
	// ackBytesTotal is the bytes of the messages acknowledged in all.
	ackBytesTotal int64

	stopped  bool          // no more messages are taken from producers
	draining bool          // the run is ending: send nothing new
	drained  chan struct{} // closed when draining starts

	committed []query.Position // per source, after its last line acknowledged in order
	have      []bool           // committed[i] is set
	changed   bool             // committed changed since the last commit
	commitC   chan struct{}
}

func (w *window) init(n int, srcs []*source) {
	w.space.L, w.work.L = &w.mu, &w.mu
	w.slots = make([]slot, n)
	w.drained = make(chan struct{})
	w.committed = make([]query.Position, len(srcs))
	w.have = make([]bool, len(srcs))
	for i, s := range srcs {
		w.committed[i], w.have[i] = s.start, s.haveStart
	}
	if len(srcs) > 0 {
		w.commitC = srcs[0].sh.commitC
	}
}

func (w *window) slot(seq uint64) *slot { return &w.slots[seq%uint64(len(w.slots))] }

// push adds the message for one line, waiting for room; t and stampLen
// are as for formatter.append. It returns the message's sequence number,
// or errStopped once the run is ending.
func (w *window) push(src int, pos *query.Position, line []byte, t tai64.Time, stampLen int, f *formatter) (uint64, error) {
	w.mu.Lock()
	for w.tail-w.head == uint64(len(w.slots)) && !w.stopped {
		// About to block: let the sender have what is there.
		if w.workWaiters > 0 {
			w.work.Signal()
		}
		w.spaceWaiters++
		w.space.Wait()
		w.spaceWaiters--
	}
	if w.stopped {
		w.mu.Unlock()
		return 0, errStopped
	}
	seq := w.tail
	s := w.slot(seq)
	if cap(s.msg) > maxKeptMsg {
		s.msg = nil // do not hoard: a few long lines would keep a window of long buffers
	}
	s.msg = f.append(s.msg[:0], line, t, stampLen)
	s.src, s.pos = src, *pos
	s.acked, s.sess = false, 0
	w.tail++
	w.mu.Unlock()
	return seq, nil
}

// kick wakes the sender: a producer has put what it had.
func (w *window) kick() {
	w.mu.Lock()
	if w.workWaiters > 0 && w.sent < w.tail {
		w.work.Signal()
	}
	w.mu.Unlock()
}

// ack marks message seq acknowledged, moves head over the acknowledged
// messages at the front, and records their positions for the cursor.
// w.mu is held.
func (w *window) ack(seq uint64) {
	s := w.slot(seq)
	if s.acked {
		return
	}
	s.acked = true
	w.acks++
	w.ackBytesTotal += int64(len(s.msg))
	if testHookAcked != nil {
		testHookAcked(s.msg)
	}
	if seq != w.head {
		return
	}
	for w.head < w.written && w.slot(w.head).acked {
		h := w.slot(w.head)
		w.committed[h.src], w.have[h.src] = h.pos, true
		w.head++
	}
	w.changed = true
	select {
	case w.commitC <- struct{}{}:
	default:
	}
}

// released wakes whoever waits for acknowledgements: producers for room,
// waitEmpty, a draining sender. It is called after a batch of
// acknowledgements (all that one read brought: see flushReader), not after
// each: a producer woken fills what a whole batch freed, and the sender
// sends it at once. That matters beyond the wake-ups: the server's TCP,
// with Nagle's algorithm on (librelp does not turn it off), holds its next
// answers until we acknowledge its last segment, and our acknowledgement
// goes at once only on a segment of ours; without one it is delayed up to
// 40 ms, and a full window with it (128 messages per 40 ms, before). w.mu
// is held.
func (w *window) released() {
	if w.spaceWaiters > 0 && w.tail-w.head < uint64(len(w.slots)) {
		w.space.Broadcast()
	}
	if w.workWaiters > 0 && (w.draining || w.head == w.written) {
		w.work.Signal()
	}
}

// ackTxnr acknowledges the RELP message of session sess with TXNR txnr.
// w.mu is held. Acknowledgements normally come in order: the one expected
// is tried first.
func (w *window) ackTxnr(sess uint64, txnr uint32) error {
	if sess != w.sess {
		return nil
	}
	w.ackNext = max(w.ackNext, w.head)
	for seq := w.ackNext; seq < w.written; seq++ {
		s := w.slot(seq)
		if s.acked || s.sess != sess {
			continue
		}
		if s.txnr == txnr {
			w.ack(seq)
			w.ackNext = seq + 1
			return nil
		}
		break
	}
	for seq := w.head; seq < w.written; seq++ {
		if s := w.slot(seq); !s.acked && s.sess == sess && s.txnr == txnr {
			w.ack(seq)
			return nil
		}
	}
	return errUnknownAck
}

// ackBytes acknowledges the TCP messages of session sess that end at or
// before byte n of the session's stream. w.mu is held.
func (w *window) ackBytes(sess uint64, n int64) {
	if sess != w.sess {
		return
	}
	seq := max(w.ackNext, w.head)
	for ; seq < w.written; seq++ {
		s := w.slot(seq)
		if s.acked || s.sess != sess {
			continue
		}
		if s.end > n {
			break
		}
		w.ack(seq)
	}
	w.ackNext = seq
	w.released()
}

// outstanding reports whether messages have been written and not
// acknowledged. w.mu is held.
func (w *window) outstanding() bool { return w.head < w.written }

// breakSession ends session sess for err, if it is still the current one.
func (w *window) breakSession(sess uint64, err error) {
	w.mu.Lock()
	if w.sess == sess && w.broken == nil {
		w.broken = err
		w.work.Broadcast()
	}
	w.mu.Unlock()
}

// stop makes producers stop: push returns errStopped from now on.
func (w *window) stop() {
	w.mu.Lock()
	w.stopped = true
	w.space.Broadcast()
	w.mu.Unlock()
}

// drain starts the end of the run: the sender sends nothing new, waits
// for the acknowledgements of what it sent, and closes the session.
func (w *window) drain() {
	w.mu.Lock()
	if !w.draining {
		w.draining = true
		close(w.drained)
	}
	w.work.Broadcast()
	w.mu.Unlock()
}

func (w *window) finished() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.draining
}

// wakeAll wakes every waiter, to look at a context that is done.
func (w *window) wakeAll() {
	w.mu.Lock()
	w.space.Broadcast()
	w.work.Broadcast()
	w.mu.Unlock()
}

// waitEmpty waits until every message read has been acknowledged, or ctx
// is done.
func (w *window) waitEmpty(ctx interface{ Err() error }) {
	w.mu.Lock()
	for w.head != w.tail && ctx.Err() == nil {
		w.spaceWaiters++
		w.space.Wait()
		w.spaceWaiters--
	}
	w.mu.Unlock()
}

func (w *window) ackedCount() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.acks
}

// progress returns the acknowledgements so far and whether any message
// read is still waiting for one.
func (w *window) progress() (acks int64, waiting bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.acks, w.head != w.tail
}

// waitTimeout waits on c for at most d; it reports false if d passed.
// w.mu is held.
func (w *window) waitTimeout(c *sync.Cond, d time.Duration) bool {
	expired := false
	t := time.AfterFunc(d, func() {
		w.mu.Lock()
		expired = true
		c.Broadcast()
		w.mu.Unlock()
	})
	c.Wait()
	t.Stop()
	return !expired
}
