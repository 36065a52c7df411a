package qmail

import (
	"github.com/mlog/mlog/tai64"
)

// Message is what the log says about one message: one life of a message
// id, from its "new msg" to its "end msg" (qmail reuses ids, which are
// inode numbers).
type Message struct {
	Seq      uint64 // this life's number, unique within a [Joiner] and its cursor
	ID       uint64
	Start    tai64.Time // the "new msg" line, if HasStart
	HasStart bool       // false: the message was queued before the lines read
	End      tai64.Time // the "end msg" line, if Ended
	Ended    bool
	HasInfo  bool // an "info msg" line was read
	Bytes    uint64
	Sender   []byte // without the angle brackets; empty for a bounce
	Qp, Uid  uint64
	Bounced  bool // qmail-send bounced it ("bounce msg")

	// Attempts counts its delivery results by result.
	Attempts [numResults]int
	open     int // deliveries in progress
}

// Attempt is one delivery attempt: "starting delivery" to its result.
type Attempt struct {
	Delivery uint64
	MsgID    uint64     // the message id its start named (0 if not seen)
	Msg      *Message   // its message, nil if its start was not read
	Start    tai64.Time // if HasStart
	HasStart bool       // false: the delivery started before the lines read
	End      tai64.Time // if Done
	Done     bool
	Remote   bool
	Recip    []byte
	Result   Result
	Reason   []byte
}

// Event is what one line meant to the [Joiner]. Its pointers and slices
// are valid until the next call to [Joiner.Add].
type Event struct {
	Time tai64.Time
	Line Line
	Msg  *Message // the message the line is about, if known
	Att  *Attempt // StartDelivery, DeliveryDone: the attempt

	// Replaced, on NewMsg, is a message still open under the same id: its
	// "end msg" was never logged (or not read). It is closed unended.
	Replaced *Message
	// Abandoned, on Exiting, counts the deliveries in progress that
	// qmail-send's restart dropped.
	Abandoned int
}

// Joiner joins qmail-send's lines into messages and delivery attempts the
// way qmail-send means them: by time. A delivery number names the latest
// "starting delivery" with that number not yet finished, a message id the
// latest "new msg" with that id not yet ended; both are reused. Lines must
// come in time order. A Joiner does no allocation per line once its
// tables have grown to the log's queue.
type Joiner struct {
	msgs map[uint64]*Message
	dels map[uint64]*Attempt
	seq  uint64

	freeMsgs []*Message
	freeAtts []*Attempt
	// Records handed out with the last event, recycled at the next Add.
	doneMsgs []*Message
	doneAtts []*Attempt
}

// NewJoiner returns a Joiner with nothing open.
func NewJoiner() *Joiner {
	return &Joiner{msgs: make(map[uint64]*Message), dels: make(map[uint64]*Attempt)}
}

func (j *Joiner) newMsg(id uint64) *Message {
	var m *Message
	if n := len(j.freeMsgs); n > 0 {
		m = j.freeMsgs[n-1]
		j.freeMsgs = j.freeMsgs[:n-1]
		s := m.Sender[:0]
		*m = Message{Sender: s}
	} else {
		m = &Message{}
	}
	j.seq++
	m.Seq, m.ID = j.seq, id
	return m
}

func (j *Joiner) newAtt() *Attempt {
	if n := len(j.freeAtts); n > 0 {
		a := j.freeAtts[n-1]
		j.freeAtts = j.freeAtts[:n-1]
		r, s := a.Recip[:0], a.Reason[:0]
		*a = Attempt{Recip: r, Reason: s}
		return a
	}
	return &Attempt{}
}

// msg returns the open message id, opening one without a start if there
// is none (its "new msg" came before the lines read).
func (j *Joiner) msg(id uint64) *Message {
	m := j.msgs[id]
	if m == nil {
		m = j.newMsg(id)
		j.msgs[id] = m
	}
	return m
}

// Add joins the line with text body (after its stamp) at time t and
// returns what it meant into ev.
func (j *Joiner) Add(t tai64.Time, body []byte, ev *Event) {
	j.recycle()
	ev.Time, ev.Msg, ev.Att, ev.Replaced, ev.Abandoned = t, nil, nil, nil, 0
	l := &ev.Line
	switch Parse(body, l) {
	case NewMsg:
		if old := j.msgs[l.Msg]; old != nil {
			j.close(old)
			ev.Replaced = old
		}
		m := j.newMsg(l.Msg)
		m.Start, m.HasStart = t, true
		j.msgs[l.Msg] = m
		ev.Msg = m
	case InfoMsg:
		m := j.msg(l.Msg)
		m.HasInfo, m.Bytes, m.Qp, m.Uid = true, l.Bytes, l.Qp, l.Uid
		m.Sender = append(m.Sender[:0], l.Addr...)
		ev.Msg = m
	case StartDelivery:
		if old := j.dels[l.Delivery]; old != nil {
			// Its result was never logged (or not read): drop it.
			j.drop(old)
		}
		m := j.msg(l.Msg)
		m.open++
		a := j.newAtt()
		a.Delivery, a.MsgID, a.Msg = l.Delivery, l.Msg, m
		a.Start, a.HasStart, a.Remote = t, true, l.Remote
		a.Recip = append(a.Recip, l.Addr...)
		j.dels[l.Delivery] = a
		ev.Msg, ev.Att = m, a
	case DeliveryDone:
		a := j.dels[l.Delivery]
		if a != nil {
			delete(j.dels, l.Delivery)
			if a.Msg != nil {
				a.Msg.open--
			}
		} else {
			a = j.newAtt()
			a.Delivery = l.Delivery
		}
		a.End, a.Done, a.Result = t, true, l.Result
		a.Reason = append(a.Reason[:0], l.Reason...)
		if a.Msg != nil {
			a.Msg.Attempts[l.Result]++
		}
		j.doneAtts = append(j.doneAtts, a)
		ev.Msg, ev.Att = a.Msg, a
	case BounceMsg:
		if m := j.msgs[l.Msg]; m != nil {
			m.Bounced = true
			ev.Msg = m
		}
	case TripleBounce:
		ev.Msg = j.msgs[l.Msg]
	case EndMsg:
		m := j.msgs[l.Msg]
		if m == nil {
			m = j.newMsg(l.Msg)
		} else {
			delete(j.msgs, l.Msg)
		}
		m.End, m.Ended = t, true
		j.close(m)
		ev.Msg = m
	case Exiting:
		// qmail-send waits for its deliveries before it logs this; any
		// still open had their results lost, and the next qmail-send
		// numbers its deliveries afresh.
		for id, a := range j.dels {
			delete(j.dels, id)
			j.drop(a)
			ev.Abandoned++
		}
	}
}

// close detaches m's deliveries still in progress from it and hands it
// out for recycling after the event.
func (j *Joiner) close(m *Message) {
	if m.open > 0 {
		for _, a := range j.dels {
			if a.Msg == m {
				a.Msg = nil
			}
		}
		m.open = 0
	}
	if !m.Ended {
		delete(j.msgs, m.ID)
	}
	j.doneMsgs = append(j.doneMsgs, m)
}

// drop forgets an attempt whose result is lost.
func (j *Joiner) drop(a *Attempt) {
	if a.Msg != nil {
		a.Msg.open--
	}
	j.doneAtts = append(j.doneAtts, a)
}

func (j *Joiner) recycle() {
	j.freeMsgs = append(j.freeMsgs, j.doneMsgs...)
	j.freeAtts = append(j.freeAtts, j.doneAtts...)
	j.doneMsgs, j.doneAtts = j.doneMsgs[:0], j.doneAtts[:0]
}

// Open calls fn for each message still open, in no particular order.
func (j *Joiner) Open(fn func(*Message)) {
	for _, m := range j.msgs {
		fn(m)
	}
}

// InProgress calls fn for each delivery still in progress.
func (j *Joiner) InProgress(fn func(*Attempt)) {
	for _, a := range j.dels {
		fn(a)
	}
}
