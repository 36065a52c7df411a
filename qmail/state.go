package qmail

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"github.com/mlog/mlog/internal/durable"
	"os"
	"strconv"
	"time"

	"github.com/mlog/mlog/tai64"
)

// stateMagic is the version of a state file.
const stateMagic = "mlog-qmail-cursor 2"

// ErrState reports a state file that cannot be read.
var ErrState = errors.New("invalid qmail cursor")

// State is what an incremental run carries to the next, as matchup
// carries its unfinished messages on descriptor 5: where reading stopped
// in each logdir (mlog query's cursor) and the messages and deliveries
// still open there.
type State struct {
	Magic      string         `json:"magic"`
	Query      string         `json:"query_cursor"`
	Seq        uint64         `json:"seq"`
	Messages   []stateMessage `json:"messages"`
	Deliveries []stateAttempt `json:"deliveries"`
	// Totals, for Config.Cumulative, are the counts so far.
	Totals *totals `json:"totals,omitempty"`
}

type stateMessage struct {
	Seq      uint64     `json:"seq"`
	ID       uint64     `json:"id"`
	Start    tai64.Time `json:"start"`
	HasStart bool       `json:"has_start"`
	HasInfo  bool       `json:"has_info"`
	Bytes    uint64     `json:"bytes"`
	Sender   string     `json:"sender"`
	Qp       uint64     `json:"qp"`
	Uid      uint64     `json:"uid"`
	Bounced  bool       `json:"bounced"`
	Attempts [3]int     `json:"attempts"`
}

type stateAttempt struct {
	Delivery uint64     `json:"delivery"`
	MsgID    uint64     `json:"msg_id"`
	MsgSeq   uint64     `json:"msg_seq"` // 0: its message is not open
	Start    tai64.Time `json:"start"`
	Remote   bool       `json:"remote"`
	Recip    string     `json:"recip"`
}

// Save records j's open messages and deliveries in st.
func (j *Joiner) Save(st *State) {
	st.Magic, st.Seq = stateMagic, j.seq
	st.Messages, st.Deliveries = st.Messages[:0], st.Deliveries[:0]
	for _, m := range j.msgs {
		st.Messages = append(st.Messages, stateMessage{
			Seq: m.Seq, ID: m.ID, Start: m.Start, HasStart: m.HasStart, HasInfo: m.HasInfo,
			Bytes: m.Bytes, Sender: string(m.Sender), Qp: m.Qp, Uid: m.Uid, Bounced: m.Bounced,
			Attempts: m.Attempts,
		})
	}
	for _, a := range j.dels {
		sa := stateAttempt{Delivery: a.Delivery, MsgID: a.MsgID, Start: a.Start, Remote: a.Remote, Recip: string(a.Recip)}
		if a.Msg != nil {
			sa.MsgSeq = a.Msg.Seq
		}
		st.Deliveries = append(st.Deliveries, sa)
	}
}

// Restore opens in j, which must be new, the messages and deliveries st
// holds.
func (j *Joiner) Restore(st *State) {
	if st.Seq > j.seq {
		j.seq = st.Seq
	}
	bySeq := make(map[uint64]*Message, len(st.Messages))
	for _, sm := range st.Messages {
		m := &Message{
			Seq: sm.Seq, ID: sm.ID, Start: sm.Start, HasStart: sm.HasStart, HasInfo: sm.HasInfo,
			Bytes: sm.Bytes, Sender: []byte(sm.Sender), Qp: sm.Qp, Uid: sm.Uid, Bounced: sm.Bounced,
			Attempts: sm.Attempts,
		}
		j.msgs[m.ID] = m
		bySeq[m.Seq] = m
	}
	for _, sa := range st.Deliveries {
		a := &Attempt{Delivery: sa.Delivery, MsgID: sa.MsgID, Start: sa.Start, HasStart: true, Remote: sa.Remote, Recip: []byte(sa.Recip)}
		if m := bySeq[sa.MsgSeq]; m != nil && sa.MsgSeq != 0 {
			a.Msg = m
			m.open++
		}
		j.dels[a.Delivery] = a
	}
}

// A state file is stateMagic and a newline, the length of the gob that
// follows as a uvarint, the State in gob, then, if it has Totals, their
// samples and top-list tables (totals.sections), each as a uvarint length
// and its bytes. gob, not JSON: a cumulative state holds every delay and
// every key of the top lists, tens of megabytes for a day of log; and
// those not in the gob, whose reader copied them in chunks, a second for
// every hundred megabytes.

// LoadState reads the state file at path; a missing file is an empty
// state (the first run).
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &State{Magic: stateMagic}, nil
	}
	if err != nil {
		return nil, err
	}
	st := &State{}
	if !decodeState(b, st) {
		return nil, &os.PathError{Op: "read cursor", Path: path, Err: ErrState}
	}
	return st, nil
}

func decodeState(b []byte, st *State) bool {
	b, ok := bytes.CutPrefix(b, []byte(stateMagic+"\n"))
	if !ok {
		return false
	}
	v := varints{b: b}
	part := func() []byte {
		n := v.count()
		p := v.b[:n:n]
		v.b = v.b[n:]
		return p
	}
	g := part()
	if v.bad || gob.NewDecoder(bytes.NewReader(g)).Decode(st) != nil || st.Magic != stateMagic {
		return false
	}
	if st.Totals != nil {
		for _, sec := range st.Totals.sections() {
			if p := part(); v.bad || sec.decode(p) != nil {
				return false
			}
		}
	}
	return len(v.b) == 0
}

// SaveState replaces the state file at path whole: written to a
// temporary file, fsynced, renamed over path, and the directory fsynced
// (google/renameio's order), so a crash leaves the old state or the new.
func SaveState(path string, st *State) error {
	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(st); err != nil {
		return err
	}
	parts := [][]byte{g.Bytes()}
	if st.Totals != nil {
		for _, sec := range st.Totals.sections() {
			parts = append(parts, sec.encode())
		}
	}
	size := len(stateMagic) + 1
	for _, p := range parts {
		size += binary.MaxVarintLen64 + len(p)
	}
	b := make([]byte, 0, size)
	b = append(b, stateMagic+"\n"...)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return durable.WriteFile(path, b)
}

// totals is a [Collector]'s counts, for a cumulative cursor: with them a
// run goes on counting where the last one stopped, and reports what one
// run over everything read so far reports, percentiles included.
type totals struct {
	Range   string                `json:"range"` // the range and bucket width counted, see rangeKey
	Stats   Stats                 `json:"stats"` // the counters; the lists are rebuilt from the rest
	First   time.Time             `json:"first"`
	Last    time.Time             `json:"last"`
	Started bool                  `json:"started"`
	Hosts   map[string]*HostCount `json:"hosts"`
	Buckets []Bucket              `json:"buckets"`

	// The big parts, written after the gob (see sections).
	delays, queue                                         samples
	failures, deferrals, senders, rcpts, domains, clients *counter
}

// section is a part of a state file after its gob.
type section interface {
	encode() []byte
	decode([]byte) error
}

// sections returns t's parts that a state file holds after its gob, in
// their order there, with empty tables where t has none (a decoded t).
func (t *totals) sections() []section {
	for _, c := range []**counter{&t.failures, &t.deferrals, &t.senders, &t.rcpts, &t.domains, &t.clients} {
		if *c == nil {
			*c = newCounter()
		}
	}
	return []section{&t.delays, &t.queue, t.failures, t.deferrals, t.senders, t.rcpts, t.domains, t.clients}
}

// rangeKey names what a cumulative run counts: its range and buckets.
func rangeKey(cfg *Config) string {
	return cfg.Since.String() + " " + cfg.Until.String() + " " + strconv.FormatBool(cfg.HasUntil) + " " + cfg.By.String()
}

// samples are durations, written for a cursor as the varint differences
// of each from the one before: the Collector keeps them sorted, so most
// take a byte or two.
type samples []time.Duration

func (d *samples) encode() []byte {
	b := binary.AppendUvarint(make([]byte, 0, 3*len(*d)+binary.MaxVarintLen64), uint64(len(*d)))
	var last time.Duration
	for _, x := range *d {
		b = binary.AppendVarint(b, int64(x-last))
		last = x
	}
	return b
}

func (d *samples) decode(b []byte) error {
	v := varints{b: b}
	out := make([]time.Duration, v.count())
	var last time.Duration
	for i := range out {
		last += time.Duration(v.int())
		out[i] = last
	}
	if v.bad || len(v.b) != 0 {
		return ErrState
	}
	*d = out
	return nil
}

// save returns c's counts.
func (c *Collector) save(key string) *totals {
	return &totals{
		Range: key, Stats: c.s, First: c.s.First, Last: c.s.Last, Started: !c.first,
		delays: c.delays, queue: c.queue,
		failures: c.failures, deferrals: c.deferrals, senders: c.senders,
		rcpts: c.rcpts, domains: c.domains, clients: c.clients,
		Hosts: c.hosts, Buckets: c.buckets,
	}
}

// restore sets c's counts to t's.
func (c *Collector) restore(t *totals) {
	c.s = t.Stats
	c.s.First, c.s.Last, c.first = t.First, t.Last, !t.Started
	c.delays, c.queue, c.buckets = t.delays, t.queue, t.Buckets
	for _, x := range []struct {
		to   **counter
		from *counter
	}{{&c.failures, t.failures}, {&c.deferrals, t.deferrals}, {&c.senders, t.senders},
		{&c.rcpts, t.rcpts}, {&c.domains, t.domains}, {&c.clients, t.clients}} {
		if x.from != nil {
			*x.to = x.from
		}
	}
	if t.Hosts != nil {
		c.hosts = t.Hosts
	}
}
