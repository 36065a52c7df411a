package qmail

import (
	"bytes"
	"encoding/gob"
	"errors"
	"github.com/mlog/mlog/internal/durable"
	"os"
	"strconv"
	"time"

	"github.com/mlog/mlog/tai64"
)

// stateMagic is the version of a state file.
const stateMagic = "mlog-qmail-cursor 1"

// A state file is stateMagic and a newline, then the State in gob.

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
	rest, ok := bytes.CutPrefix(b, []byte(stateMagic+"\n"))
	if !ok || gob.NewDecoder(bytes.NewReader(rest)).Decode(st) != nil || st.Magic != stateMagic {
		return nil, &os.PathError{Op: "read cursor", Path: path, Err: ErrState}
	}
	return st, nil
}

// SaveState replaces the state file at path whole: written to a
// temporary file, fsynced, renamed over path, and the directory fsynced
// (google/renameio's order), so a crash leaves the old state or the new.
func SaveState(path string, st *State) error {
	// gob, not JSON: a cumulative state holds every delay and every key of
	// the top lists, tens of megabytes for half a gigabyte of log, which
	// JSON took seconds to write and read back.
	var buf bytes.Buffer
	buf.WriteString(stateMagic + "\n")
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		return err
	}
	b := buf.Bytes()
	return durable.WriteFile(path, b)
}

// totals is a [Collector]'s counts, for a cumulative cursor: with them a
// run goes on counting where the last one stopped, and reports what one
// run over everything read so far reports, percentiles included.
type totals struct {
	Range     string                `json:"range"` // the range and bucket width counted, see rangeKey
	Stats     Stats                 `json:"stats"` // the counters; the lists are rebuilt from the rest
	First     time.Time             `json:"first"`
	Last      time.Time             `json:"last"`
	Started   bool                  `json:"started"`
	Delays    []time.Duration       `json:"delays"`
	Queue     []time.Duration       `json:"queue"`
	Failures  keyCounts             `json:"failures"`
	Deferrals keyCounts             `json:"deferrals"`
	Senders   keyCounts             `json:"senders"`
	Rcpts     keyCounts             `json:"rcpts"`
	Domains   keyCounts             `json:"domains"`
	Clients   keyCounts             `json:"clients"`
	Hosts     map[string]*HostCount `json:"hosts"`
	Buckets   []Bucket              `json:"buckets"`
}

// rangeKey names what a cumulative run counts: its range and buckets.
func rangeKey(cfg *Config) string {
	return cfg.Since.String() + " " + cfg.Until.String() + " " + strconv.FormatBool(cfg.HasUntil) + " " + cfg.By.String()
}

// keyCounts is a top list's counts as two slices: gob writes and reads
// slices several times faster than maps, and a top list of SMTP clients
// can hold a key per connection.
type keyCounts struct {
	Keys   []string
	Counts []int64
}

// save returns c's counts.
func (c *Collector) save(key string) *totals {
	return &totals{
		Range: key, Stats: c.s, First: c.s.First, Last: c.s.Last, Started: !c.first,
		Delays: c.delays, Queue: c.queue,
		Failures: c.failures.plain(), Deferrals: c.deferrals.plain(), Senders: c.senders.plain(),
		Rcpts: c.rcpts.plain(), Domains: c.domains.plain(), Clients: c.clients.plain(),
		Hosts: c.hosts, Buckets: c.buckets,
	}
}

// restore sets c's counts to t's.
func (c *Collector) restore(t *totals) {
	c.s = t.Stats
	c.s.First, c.s.Last, c.first = t.First, t.Last, !t.Started
	c.delays, c.queue, c.buckets = t.Delays, t.Queue, t.Buckets
	c.failures, c.deferrals, c.senders = counterOf(t.Failures), counterOf(t.Deferrals), counterOf(t.Senders)
	c.rcpts, c.domains, c.clients = counterOf(t.Rcpts), counterOf(t.Domains), counterOf(t.Clients)
	if t.Hosts != nil {
		c.hosts = t.Hosts
	}
}
