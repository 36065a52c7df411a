package qmail

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/mlog/mlog/tai64"
)

// Target is what a trace looks for: a message id, an address, or a qp.
type Target struct {
	Msg  uint64 // a message id, if not zero
	Qp   uint64 // a qp, if not zero
	Addr string // an address (sender or recipient), compared without case
}

// ParseTarget reads a trace's target from its words: "MSG" (digits),
// "qp Q" or "ADDRESS".
func ParseTarget(words []string) (Target, error) {
	var t Target
	switch {
	case len(words) == 2 && words[0] == "qp":
		n, err := strconv.ParseUint(words[1], 10, 64)
		if err != nil || n == 0 {
			return t, errors.New("invalid qp " + strconv.Quote(words[1]))
		}
		t.Qp = n
	case len(words) == 1 && words[0] != "":
		if n, err := strconv.ParseUint(words[0], 10, 64); err == nil && n != 0 {
			t.Msg = n
		} else {
			t.Addr = strings.Trim(words[0], "<>")
		}
	default:
		return t, errors.New("want a message id, an address, or qp and a number")
	}
	return t, nil
}

// TraceLine is one line of a traced message.
type TraceLine struct {
	Time tai64.Time
	Text string // after the stamp
}

// Traced is one life of a message the trace found, with every line about
// it in the order read, its delivery lines joined to it by delivery
// number.
type Traced struct {
	Msg      Message     // Sender and Recip copies of their own
	Attempts []Attempt   // finished or open, in the order started
	Lines    []TraceLine //
	Open     bool        // still in the queue after the last line read
}

// Tracer finds the messages of a [Target] in lines given in time order.
type Tracer struct {
	target Target
	j      *Joiner
	ev     Event
	open   map[uint64]*Traced // by Message.Seq
	match  map[uint64]bool    // Seq of open messages that match
	atts   map[*Attempt]int   // open attempts: index in their Traced
	done   []*Traced
}

// NewTracer returns a Tracer for t.
func NewTracer(t Target) *Tracer {
	return &Tracer{target: t, j: NewJoiner(), open: map[uint64]*Traced{}, match: map[uint64]bool{}, atts: map[*Attempt]int{}}
}

// Add takes one line: its time, whether it has a stamp, its text.
func (tr *Tracer) Add(t tai64.Time, stamped bool, body []byte) {
	if !stamped {
		return
	}
	ev := &tr.ev
	tr.j.Add(t, body, ev)
	if ev.Replaced != nil {
		tr.finish(ev.Replaced, false)
	}
	if ev.Line.Kind == Exiting {
		for a := range tr.atts {
			delete(tr.atts, a)
		}
	}
	m := ev.Msg
	if m == nil {
		return
	}
	tm := tr.open[m.Seq]
	if tm == nil {
		if tr.target.Msg != 0 && m.ID != tr.target.Msg {
			return
		}
		tm = &Traced{}
		tr.open[m.Seq] = tm
	}
	tm.Lines = append(tm.Lines, TraceLine{t, string(body)})
	l := &ev.Line
	switch l.Kind {
	case StartDelivery:
		tr.atts[ev.Att] = len(tm.Attempts)
		a := *ev.Att
		a.Recip = slices.Clone(a.Recip)
		a.Msg = nil
		tm.Attempts = append(tm.Attempts, a)
		if tr.matchAddr(l.Addr) {
			tr.match[m.Seq] = true
		}
	case DeliveryDone:
		if i, ok := tr.atts[ev.Att]; ok {
			delete(tr.atts, ev.Att)
			a := &tm.Attempts[i]
			a.End, a.Done, a.Result = ev.Att.End, true, ev.Att.Result
			a.Reason = slices.Clone(ev.Att.Reason)
		}
	case InfoMsg:
		if tr.matchAddr(l.Addr) || tr.target.Qp != 0 && l.Qp == tr.target.Qp {
			tr.match[m.Seq] = true
		}
	case BounceMsg:
		if tr.target.Qp != 0 && l.Qp == tr.target.Qp {
			tr.match[m.Seq] = true
		}
	}
	if tr.target.Msg != 0 {
		tr.match[m.Seq] = true
	}
	if l.Kind == EndMsg {
		tr.finish(m, false)
	}
}

func (tr *Tracer) matchAddr(a []byte) bool {
	return tr.target.Addr != "" && bytes.EqualFold(a, []byte(tr.target.Addr))
}

// finish hands out m's record if it matched.
func (tr *Tracer) finish(m *Message, open bool) {
	tm := tr.open[m.Seq]
	if tm == nil {
		return
	}
	delete(tr.open, m.Seq)
	if !tr.match[m.Seq] {
		return
	}
	delete(tr.match, m.Seq)
	tm.Msg = *m
	tm.Msg.Sender = slices.Clone(m.Sender)
	tm.Open = open
	tr.done = append(tr.done, tm)
}

// Result returns the messages found: those ended in the order they
// ended, then those still open in the order they were first seen.
func (tr *Tracer) Result() []*Traced {
	var open []*Message
	tr.j.Open(func(m *Message) { open = append(open, m) })
	slices.SortFunc(open, func(a, b *Message) int { return int(a.Seq) - int(b.Seq) })
	out := slices.Clone(tr.done)
	for _, m := range open {
		if tm := tr.open[m.Seq]; tm != nil && tr.match[m.Seq] {
			tm.Msg = *m
			tm.Msg.Sender = slices.Clone(m.Sender)
			tm.Open = true
			out = append(out, tm)
		}
	}
	return out
}

// Trace reads the lines of logdirs in cfg's range (cfg.By and cfg.State
// are not used) and returns the messages of target.
func Trace(ctx context.Context, cfg Config, logdirs []string, target Target) ([]*Traced, int, error) {
	tr := NewTracer(target)
	_, failed, err := Read(ctx, cfg.Range, logdirs, nil, tr.Add)
	return tr.Result(), failed, err
}
